// Gaussian-process regression with a constant mean, a Matérn-5/2 ARD kernel
// (gp_kernel.h) and learned Gaussian noise; the model of the GP designer.
//
// Model (Rasmussen and Williams, "Gaussian Processes for Machine Learning",
// 2006, ch. 2 and 5): y = c + f(x) + e, f ~ GP(0, k), e ~ N(0, sn^2).
// Hyperparameters theta = [log l_1..log l_D, log s^2, log sn^2, c, log w]
// (w the weight of the kernel's additive part, gp_kernel.h).
//
// Posterior at x (eq. 2.25-2.26), with K = k(X, X) + (sn^2 + jitter) I = L L^T,
// alpha = K^-1 (y - c) and k* = k(X, x):
//   mean(x) = c + k*^T alpha
//   var(x)  = k(x, x) - v^T v,  v = L^-1 k*        (latent f, without noise)
//   dmean/dx = (dk*/dx) alpha,  dvar/dx = -2 (dk*/dx) K^-1 k*
//
// Log marginal likelihood (eq. 2.30) and its gradient (eq. 5.9):
//   LML = -1/2 (y-c)^T alpha - sum_i log L_ii - n/2 log(2 pi)
//   dLML/dtheta_j = 1/2 tr((alpha alpha^T - K^-1) dK/dtheta_j),  dLML/dc = 1^T alpha
// The fit maximises LML + log prior, with weak independent priors:
//   log l_d  ~ N(log(0.5 sqrt(D)), 1.5^2)  (length scales grow with the
//              dimension, after Hvarfner, Hellsten and Nardi, "Vanilla Bayesian
//              optimization performs great in high dimensions", ICML 2024)
//   log s^2  ~ N(0, 1.5^2)                 (outputs are standardised)
//   log sn^2 ~ N(log 1e-3, 3^2)            (from noise-free to very noisy)
//   c        ~ N(0, 1)
//   log w    ~ N(0, 2^2)                   (additive and joint parts equally
//              weighted a priori; bounded to [1e-4, 100], so the fit never
//              becomes the plain ARD kernel exactly, only nearly)
// using NLopt's L-BFGS (Liu and Nocedal 1989) with analytic gradients inside
// box bounds, from several starting points.
//
// Cholesky factorisation with escalating jitter: first none, then
// 1e-10, 1e-9, ... 1e-3 times the mean diagonal added to the diagonal; beyond
// that (or on non-finite input) FailedPrecondition, which the designer turns
// into a quasi-random suggestion. Not thread-safe; copyable.
#ifndef TUNER_ALGORITHMS_GP_REGRESSION_H_
#define TUNER_ALGORITHMS_GP_REGRESSION_H_

#include <Eigen/Dense>
#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algorithms/gp_kernel.h"

namespace tuner {

struct GpHyperparameters {
  Eigen::VectorXd log_length_scales;  // D
  double log_signal_variance = 0.0;   // log s^2
  double log_noise_variance = -6.9;   // log sn^2
  double mean = 0.0;                  // c
  double log_additive_weight = 0.0;   // log w

  // The prior's mode for a D-dimensional input.
  static GpHyperparameters Default(int dimension);
  // [log l, log s^2, log sn^2, c, log w] and back.
  Eigen::VectorXd ToVector() const;
  static GpHyperparameters FromVector(const Eigen::VectorXd& theta);
  Matern52Kernel Kernel() const;
};

// Box bounds on theta used by the fit (and by tests).
void HyperparameterBounds(int dimension, Eigen::VectorXd* lower, Eigen::VectorXd* upper);
// Their lower bound of the noise variance (standardised outputs). At 1e-6 (a
// noise sd of a thousandth of the outputs' spread) a deterministic objective's
// optimum was refined only to ~1e-5 of its range: Branin 5.6e-5 -> 3.6e-6
// with 1e-8 (docs/bayesian-optimisation.md, "The noise floor").
inline constexpr double kGpMinNoiseVariance = 1e-8;

// L L^T = a + jitter I with the smallest jitter of the schedule above that
// gives a finite factor with a positive diagonal (zeros above it). `jitter`
// gets the amount added. FailedPrecondition if none works, and `lower` is then
// unspecified. `lower`'s storage is reused when its size matches; it must not
// be `a`.
absl::Status CholeskyWithJitter(const Eigen::MatrixXd& a, Eigen::MatrixXd* lower, double* jitter);

// The log marginal likelihood of (x, y) under `hp` and, when `gradient` is not
// null, its gradient with respect to ToVector(). FailedPrecondition when the
// covariance cannot be factorised.
absl::StatusOr<double> LogMarginalLikelihood(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                             const GpHyperparameters& hp,
                                             Eigen::VectorXd* gradient);

// The log density of the priors above (up to a constant) and its gradient.
double LogHyperprior(const GpHyperparameters& hp, Eigen::VectorXd* gradient);

struct GpFitOptions {
  int random_starts = 2;      // in addition to the given starts
  int max_evaluations = 150;  // per start
  uint64_t seed = 0;          // for the random starts
  // false: the kernel's additive part is held at its lower bound (w = 1e-4),
  // i.e. nearly the plain ARD kernel. The GP designer's warm start needs
  // that: the additive part would correlate its task features (gp_transfer.h)
  // by at least w (D - 1) / (D (1 + w)) whatever their length scales.
  bool additive = true;
  // The noise variance's lower bound (HyperparameterBounds' is the default).
  double min_noise_variance = kGpMinNoiseVariance;
  // When it turns true, the fit stops at its next evaluation and returns the
  // best point seen so far (the first start, clamped, if none); for a fit
  // whose result is no longer wanted.
  const std::atomic<bool>* cancel = nullptr;
  // With more rows than this (and more than one start), every start is
  // optimised on a seeded sample of this many rows, and only the best of them
  // then on all rows: the starts find the mode, at a fraction of the cost of
  // each on all rows (a likelihood costs ~n^3). 0: every start on all rows.
  int explore_rows = 0;
};

// Maximises LML + log prior from each of `starts` (the prior's mode when
// empty) and `options.random_starts` draws from the prior (see explore_rows);
// returns the best. Never fails: when no evaluation succeeds, returns the
// first start.
GpHyperparameters FitHyperparameters(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                     const std::vector<GpHyperparameters>& starts,
                                     const GpFitOptions& options);

class GaussianProcess {
 public:
  // Conditions on (x, y): rows of `x` are inputs. FailedPrecondition when the
  // covariance cannot be factorised (the model is then unusable).
  absl::Status Condition(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                         const GpHyperparameters& hp);

  // Adds one observation with an O(n^2) update of the factor (used for
  // fantasies); the hyperparameters stay.
  void Append(const Eigen::VectorXd& x, double y);

  // Posterior mean and latent variance (clamped at >= 0) at every row.
  void Predict(const Eigen::MatrixXd& points, Eigen::VectorXd* mean,
               Eigen::VectorXd* variance) const;
  // One point with gradients of mean and variance with respect to x.
  void PredictWithGradient(const Eigen::VectorXd& x, double* mean, double* variance,
                           Eigen::VectorXd* mean_gradient,
                           Eigen::VectorXd* variance_gradient) const;

  // Other outcomes of the last trials (fantasies), for the same inputs and
  // hyperparameters. TrailingCovariance: the posterior covariance of the
  // latent values at the last `count` inputs given the other observations.
  // ShiftedWeights: per column of `shifts` (size() rows), the weights
  // K^-1 (y + shift - mean) of the posterior mean had the outputs been
  // y + shift. PredictUnder and PredictWithGradientUnder: Predict and
  // PredictWithGradient with one mean (and mean gradient, a column each) per
  // column of such weights; the variance does not depend on the outputs.
  Eigen::MatrixXd TrailingCovariance(int count) const;
  Eigen::MatrixXd ShiftedWeights(const Eigen::MatrixXd& shifts) const;
  void PredictUnder(const Eigen::MatrixXd& weights, const Eigen::MatrixXd& points,
                    Eigen::MatrixXd* means, Eigen::VectorXd* variance) const;
  void PredictWithGradientUnder(const Eigen::MatrixXd& weights, const Eigen::VectorXd& x,
                                Eigen::VectorXd* means, double* variance,
                                Eigen::MatrixXd* mean_gradients,
                                Eigen::VectorXd* variance_gradient) const;

  // Posterior mean at the training inputs.
  Eigen::VectorXd TrainingMean() const;
  // Leave-one-out posterior means of the noisy observations: row i predicted
  // from the others, y_i - alpha_i / [K^-1]_ii (Rasmussen & Williams 2006,
  // eq. 5.12), with the hyperparameters held. O(n^3).
  Eigen::VectorXd LeaveOneOutMeans() const;

  int size() const { return static_cast<int>(x_.rows()); }
  double jitter() const { return jitter_; }
  const GpHyperparameters& hyperparameters() const { return hp_; }
  const Eigen::MatrixXd& inputs() const { return x_; }

 private:
  GpHyperparameters hp_;
  Matern52Kernel kernel_;
  Eigen::MatrixXd x_;
  Eigen::VectorXd y_;
  Eigen::MatrixXd lower_;  // Cholesky factor of k(X, X) + (sn^2 + jitter) I
  Eigen::VectorXd alpha_;
  double jitter_ = 0.0;
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_GP_REGRESSION_H_
