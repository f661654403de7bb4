// GpDesigner: Bayesian optimisation with Gaussian processes, the "bayesian"
// algorithm of a study.
//
// Each suggestion:
//  1. Trials become kernel inputs through GpEncoding (gp_encoding.h: unit cube
//     through each scale, one-hot categories, fixed values for inactive
//     conditional parameters) and outputs through WarpOutputs
//     (gp_output_warping.h: oriented so larger is better, half-rank warped,
//     standardised; INFEASIBLE and FAILED trials, and finished trials without
//     a finite objective value, get a penalty below the worst value seen).
//     From 20 trials with values on, each cold fit (below) is made twice, on
//     half-rank warped and on only standardised values, and the transform
//     whose GP predicts the better half's ranks better is used
//     (gp_output_choice.h); warm fits keep their cadence point's choice.
//     Once chosen, a portfolio: every `other_transform_every`-th suggestion
//     (by trial index k: k % n == n - 1) is modelled under the transform not
//     chosen, whose fits follow the same cadence. Neither transform, nor the
//     choice, wins everywhere; the other transform's turns bring the
//     exploration it would have made (docs/bayesian-optimisation.md, "Output
//     transform"). With several objectives there is no portfolio: with EHVI
//     every multi-objective problem of bench_mo_quality measured better
//     without it.
//  2. One GP per objective (gp_regression.h: Matérn-5/2 ARD, constant mean,
//     learned noise) conditions on at most `max_model_points` finished trials
//     (beyond that: the best fifth by that objective plus a seeded random
//     sample of the rest). Hyperparameters are refitted on a cadence: after
//     every trial up to 30 finished trials, then each time the data grows by
//     10%. A fit uses the first c finished trials by id (c the last cadence
//     point), at most `max_fit_points` of them, and is warm-started from the
//     previous cadence point's fit; every sixth fit is cold (prior mode plus
//     random restarts, which explore on a sample of `explore_rows` rows
//     before the best is fitted to all). Fits are cached by their data, so a designer rebuilt
//     from the history recomputes at most six fits and reaches the same
//     hyperparameters as one that lived through the whole study.
//     From a cadence point of 100 trials on, fits run one cadence point
//     behind: the model uses the previous cadence point's fits (both output
//     transforms') while another thread fits the latest from a copy of its
//     data, so a suggestion does not wait for a fit unless trials finish
//     faster than fits are made. Which fits a suggestion uses depends only on
//     the history, never on the thread's timing. A suggestion that finds
//     neither output transform's fits made (step 1; a designer's first call,
//     100 trials on) makes the two at once, one on another thread.
//  3. Running trials (and suggestions already made in this batch) enter as
//     fantasies with the "kriging believer" value, the posterior mean
//     (Ginsbourger, Le Riche and Carraro, "Kriging is well-suited to
//     parallelize optimization", 2010): the mean stays, the variance near
//     them collapses, so a batch spreads out. With one objective and log EI,
//     their outcomes are then drawn `pending_fantasies` times from the
//     posterior of their latent values (antithetic pairs, seeded by the
//     suggestion's index), and the acquisition is log EI averaged over the
//     draws, each with its own posterior mean and its own incumbent (the best
//     of the finished trials and the drawn running ones): the improvement
//     expected beyond what the running trials will bring (Snoek, Larochelle
//     and Adams, "Practical Bayesian optimization of machine learning
//     algorithms", 2012). A hard rule backs it up against
//     near-duplicates: no suggestion within `min_pending_distance` (Euclidean,
//     feature space) of a running trial or of another suggestion of the batch
//     (small: a wider rule keeps a batch from refining the optimum), and none within
//     1e-6 of any finished trial (infeasible and failed ones included), so a
//     point is never suggested twice.
//  4. The acquisition — log expected improvement (gp_acquisition.h) or UCB
//     for one objective; for two (with `ehvi`, the default), log expected
//     hypervolume improvement (gp_ehvi.h) over the complete trials' front in
//     warped values, the reference one range below each objective's worst
//     value (the candidates around the best trials then come from a random
//     scalarisation as below); for three or more, log expected improvement of a random
//     Chebyshev scalarisation (gp_scalarised_ei.h; the form and the weights of Golovin and
//     Zhang's hypervolume scalarisation, "Random hypervolume scalarizations for provable
//     multi-objective black box optimization", ICML 2020, with r beyond the front):
//     s(y) = min_j (y_j - r_j) / w_j with w drawn uniformly on the positive unit sphere per
//     suggestion and r a utopia point (each objective's best warped value plus a tenth of the
//     non-dominated trials' range), over the best s of the trials (bench/mo_quality.cc, 20
//     seeds: r below the front, the usual hypervolume reference, either sent most weight
//     directions to the front's edges or kept the front from growing past r)
//     — is maximised over scrambled
//     Sobol candidates plus candidates around the five best trials (gp_candidates.h: perturbations
//     of a random subset of coordinates, and single coordinates redrawn across
//     their whole range), then the best few are polished by
//     bounded L-BFGS along their active double coordinates. Integer, discrete
//     and categorical coordinates are evaluated at their rounded values.
//  5. Warm start (options.priors, gp_transfer.h): with a single objective,
//     the GP can be a multi-task GP: the earlier studies' trials are
//     observations too, each study with a task feature whose learned length
//     scale sets how much it counts here (status() gives the correlations);
//     candidates and this study's trials have task features 0, and the
//     kernel's additive part is held off. At every model build both it and
//     the usual GP of this study alone are fitted, and the one under which
//     this study's values are more probable is used: log p(y | earlier
//     trials) of the multi-task GP against log p(y) of the single-task one
//     (Bayesian model comparison by marginal likelihood), so unhelpful
//     earlier studies are set aside. The configurations
//     WarmStartDesigner tries first (`warm_start_trials`) come before the
//     usual initial design (measured: shortening it lost more on unrelated
//     studies than it gained on related ones).
//  6. Until the initial design's trials exist, with fewer than two finished trials
//     with values, or when the model cannot be built (Cholesky fails even
//     with jitter) the suggestion is the study's next scrambled Sobol point
//     (deduplicated); status() says which path was taken and why.
//
// Determinism: suggestion k (k = finished + active trials + index in the
// batch) is a pure function of (seed, history, k). Not thread-safe (the
// thread of step 2 shares nothing with the designer's callers).
#ifndef TUNER_ALGORITHMS_GP_DESIGNER_H_
#define TUNER_ALGORITHMS_GP_DESIGNER_H_

#include <Eigen/Dense>
#include <atomic>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "algorithms/designer.h"
#include "algorithms/gp_ehvi.h"
#include "algorithms/gp_encoding.h"
#include "algorithms/gp_regression.h"
#include "algorithms/gp_transfer.h"
#include "algorithms/objective.h"
#include "algorithms/search_space.h"
#include "algorithms/sobol_designer.h"

namespace tuner {

enum class GpAcquisition { kLogEi, kUcb };

// The most kernel features a GP search space may have (gp_encoding.h: one per
// numeric parameter, one per value of a categorical). What the designer holds
// grows with it: every finished trial keeps its features twice (8 KiB each at
// the cap), the model conditions on max_model_points x features, and the
// acquisition scores at most 1.75 x sobol_candidates rows of features
// (~15 MiB at the cap). MakeDesigner and the study validator refuse more.
inline constexpr int kMaxGpFeatures = 1024;

// GpEncoding(space).num_features().
int GpFeatureCount(const SearchSpace& space);

// How many quasi-random (scrambled Sobol) trials come before the model:
// `initial_trials` when > 0; else max(5, 2 x the space's parameters), and for
// a budget of `max_trials` (> 0) at most max(3, max_trials / 4) of them, so
// that most of a small budget is model-guided (16 trials: 4).
int GpInitialTrials(const SearchSpace& space, int initial_trials, int64_t max_trials);

struct GpDesignerOptions {
  uint64_t seed = 0;
  GpAcquisition acquisition = GpAcquisition::kLogEi;  // one objective; several: log EI
  double ucb_beta = 2.0;                              // acquisition kUcb, one objective
  int initial_trials = 0;      // quasi-random trials first; 0: GpInitialTrials' default
  int64_t max_trials = 0;      // the study's budget (caps that default); 0: unknown
  int max_model_points = 500;  // finished trials the GP conditions on
  int max_fit_points = 250;    // finished trials the hyperparameter fit sees
  // A cold fit's starts are optimised on a sample of this many of its rows
  // and only the best on all (GpFitOptions::explore_rows); 0: all rows.
  int explore_rows = 60;
  // Fits on other threads: the fits ahead (step 2) and a cold refit point's
  // two transforms at once. false: every fit on the calling thread, when
  // needed. Either way the same fits, so the same suggestions.
  bool fit_threads = true;
  int sobol_candidates = 1024;    // acquisition candidates (fewer for large models)
  int polished_candidates = 4;    // best candidates refined by L-BFGS
  int other_transform_every = 5;  // portfolio of output transforms (step 1; one objective); 0: off
  bool ehvi = true;  // two objectives: expected hypervolume improvement; else scalarised log EI
  double min_pending_distance = 1e-4;  // x sqrt(features): from running trials / batch
  int pending_fantasies = 16;  // one objective, log EI: outcomes drawn for running trials (step 3)
  std::vector<PriorStudy> priors;  // warm start (gp_transfer.h); one objective only
  int warm_start_trials = 0;       // configurations tried before the initial design
};

class GpDesigner : public Designer {
 public:
  GpDesigner(SearchSpace space, std::vector<Objective> objectives, GpDesignerOptions options);
  // Stops the fits ahead (step 2) at their next likelihood evaluation and
  // waits for that, not for the fits.
  ~GpDesigner() override;

  void Update(const std::vector<const Trial*>& finished,
              const std::vector<const Trial*>& active) override;
  std::vector<Assignment> Suggest(int count) override;

  // How the last suggestion was made, e.g. "gp: log_ei over 42 trials",
  // "gp: log_ei over 42 trials, loss standardised" (outputs not warped),
  // "gp: log_ei over 42 trials, loss half-rank warped (the transform not
  // chosen)" (the portfolio's turn),
  // "gp: log_ei over 44 points (2 pending, their outcomes drawn 16 times)"
  // (step 3) or "quasi-random: Cholesky failed ...". For logs and tests.
  const std::string& status() const { return status_; }

  // Designer state (designer.h): the hyperparameter fits of the latest two
  // cadence points (step 2), which a rebuilt designer would otherwise make
  // again before its first suggestion (up to six fits per transform). Kept
  // only by a designer with the same seed, space, objectives, fit options
  // and earlier studies; a fit is used only for the data it was made on.
  std::string SavedState() const override;
  void RestoreState(std::string_view state) override;
  uint64_t state_version() const override { return fits_added_; }
  // Hyperparameter fits this designer made itself (not the thread of step
  // 2), over its life. For tests.
  int fits_made() const { return fits_made_; }

 private:
  struct Observation {
    int64_t id = 0;
    Eigen::VectorXd features;
    std::vector<double> search_point;
    std::vector<std::optional<double>> values;  // per objective, larger is better
  };
  struct Model {
    GaussianProcess gp;
    double incumbent = 0.0;  // best posterior mean at a finished trial
    Eigen::VectorXd warped;  // of every finished trial
    bool half_rank = true;   // warped by the half-rank warp, else standardised only
    bool other = false;      // half_rank is the transform not chosen (the portfolio's turn)
    bool transfer = false;   // the earlier studies are in the GP (task features)
    double evidence_warm = 0.0, evidence_cold = 0.0;  // log p(this study's values)
  };

  int InitialTrials() const;
  int NumWithValues() const;
  // The models of the history; `other`: under the output transform not
  // chosen, for every objective whose transform was chosen.
  bool EnsureModels(bool other);
  // Hyperparameters fitted to the first checkpoint_index-th checkpoint's
  // trials, and the output transform they were fitted under.
  // `half_rank` forces the transform (WarpOutputs' half-rank warp, else
  // standardised only); without it, the transform chosen as in step 1.
  struct OutputFit {
    GpHyperparameters hp;
    bool half_rank = true;
    bool chosen = false;  // chosen between the two transforms (not forced, not by default)
  };
  OutputFit FitAt(int objective, int checkpoint_index, bool transfer,
                  std::optional<bool> half_rank = std::nullopt);
  // From kFitAheadFrom trials on, with neither transform's fit at
  // checkpoint_index made: both, at once, the one without the warp (and its
  // warm chain back to the cold fit) on another thread, on a copy as for the
  // fits ahead (which make theirs on their one thread). They enter
  // fit_cache_ as FitAt would have made them.
  void FitBothTransforms(int objective, int checkpoint_index, bool transfer);
  // fit_cache_'s key of that fit.
  uint64_t FitKey(int objective, int checkpoint_index, bool transfer,
                  std::optional<bool> half_rank = std::nullopt) const;
  // The checkpoint whose fits the model uses when `last` is the latest: the
  // one before it from kFitAheadFrom trials on (step 2).
  int FitIndex(int last) const;
  // Fits ahead: a thread fitting checkpoint_index's fits (every objective,
  // both transforms, with and without the earlier studies) on a copy of the
  // data, unless one runs or they exist; taken into fit_cache_ when done, or
  // waited for with `wait`.
  void StartFitsAhead(int checkpoint_index);
  void TakeFitsAhead(bool wait);
  // What a saved state must match besides the fits' keys: the seed, the
  // features, the objectives, the fit options and the earlier studies.
  uint64_t StateFingerprint() const;
  // The copy StartFitsAhead fits on: what FitAt reads, and fit_cache_.
  struct FitsOnly {};
  GpDesigner(const GpDesigner& from, FitsOnly);
  // With a warm start: whether `model` (of the first objective, its `warped`
  // set) uses the earlier studies, by comparing the evidence of this study's
  // `rows`; `hp` (the single-task fit) becomes the multi-task fit if so.
  void ChooseTransfer(int checkpoint_index, const std::vector<int>& rows, Model* model,
                      GpHyperparameters* hp);
  // Kernel inputs of this study's features: with a warm start, the task
  // features (zeros) appended (gp_transfer.h).
  Eigen::MatrixXd Inputs(const Eigen::MatrixXd& features, bool transfer) const;
  Eigen::VectorXd Input(const Eigen::VectorXd& features, bool transfer) const;
  // The model's data: this study's `rows` of finished_ with their `y`, then
  // (with `transfer`) the earlier studies' trials.
  void ModelData(const std::vector<int>& rows, const Eigen::VectorXd& y, bool transfer,
                 Eigen::MatrixXd* x, Eigen::VectorXd* all_y) const;
  std::optional<Assignment> SuggestByModel(uint64_t k);
  std::optional<Assignment> QuasiRandom(uint64_t k);
  double MinDistanceSquared(const Eigen::VectorXd& x, bool finished_only) const;
  bool Acceptable(const Eigen::VectorXd& x) const;
  void SetScalarisationReference();  // reference_
  // Two objectives: the front of the `complete` rows of finished_ (every
  // objective's value) in the models' warped values, over a reference below
  // their worst values.
  Front2 HypervolumeFront(const std::vector<int>& complete) const;
  void Record(const Assignment& assignment);
  // fantasy_weights_ and fantasy_incumbents_ for suggestion k.
  void DrawFantasies(uint64_t k);

  // Several objectives: this suggestion's scalarisation weights, the
  // reference point, and the best scalarised value of the finished trials.
  struct Scalarisation {
    std::vector<double> weights;
    std::vector<double> reference;
    double best = 0.0;
    std::optional<Front2> front;  // two objectives with options_.ehvi: EHVI over it instead
  };
  // Acquisition of each row of `features` / of one point with its gradient
  // with respect to the features.
  Eigen::VectorXd Acquisition(const Eigen::MatrixXd& features, const Scalarisation& s) const;
  double AcquisitionAt(const Eigen::VectorXd& x, const Scalarisation& s,
                       Eigen::VectorXd* gradient) const;

  GpEncoding encoding_;
  std::vector<Objective> objectives_;
  GpDesignerOptions options_;
  SobolDesigner sobol_;

  std::vector<Observation> finished_;     // by id
  std::vector<uint64_t> prefix_hash_;     // of the first c finished trials
  std::vector<Eigen::VectorXd> running_;  // features of active trials
  Eigen::MatrixXd finished_features_;     // rows: finished trials
  Eigen::MatrixXd pending_features_;      // rows: active trials + this batch
  uint64_t history_hash_ = 0;
  int64_t next_index_ = 0;

  std::map<uint64_t, OutputFit> fit_cache_;
  uint64_t fits_added_ = 0;  // fits that entered fit_cache_ (state_version())
  int fits_made_ = 0;
  std::future<std::map<uint64_t, OutputFit>> ahead_;  // fit_cache_ of the fits ahead
  uint64_t ahead_key_ = 0;                            // FitKey(0, their checkpoint, false)
  std::shared_ptr<std::atomic<bool>> cancel_ahead_;   // set: the fits ahead stop
  const std::atomic<bool>* cancel_fits_ = nullptr;    // in the thread's copy: cancel_ahead_
  GpTransferData transfer_;  // empty without a warm start (or with several objectives)
  // ChooseTransfer: the hyperparameters and log p(earlier trials) under them.
  std::pair<Eigen::VectorXd, absl::StatusOr<double>> prior_evidence_{Eigen::VectorXd(), 0.0};
  // Models for the history (with fantasies for running trials), kept while
  // the history does not change; `models_` adds this batch's fantasies.
  bool base_built_ = false;
  bool base_other_ = false;  // the models are under the transforms not chosen
  bool base_ok_ = false;
  uint64_t base_hash_ = 0;
  Eigen::VectorXd reference_;  // the scalarisation's utopia point (used with several objectives)
  std::string base_status_;
  std::vector<Model> base_models_;
  bool working_ready_ = false;
  std::vector<Model> models_;
  // Step 3's outcomes of the pending trials, for this suggestion (empty
  // without them): weights of models_[0].gp's mean under each
  // (GaussianProcess::ShiftedWeights), and the incumbent under each.
  Eigen::MatrixXd fantasy_weights_;
  Eigen::VectorXd fantasy_incumbents_;
  std::string status_ = "no suggestion yet";
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_GP_DESIGNER_H_
