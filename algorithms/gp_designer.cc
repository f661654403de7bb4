#include "algorithms/gp_designer.h"

#include <algorithm>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <future>
#include <limits>
#include <nlopt.hpp>
#include <numeric>
#include <sstream>
#include <system_error>
#include <utility>

#include "algorithms/gp_acquisition.h"
#include "algorithms/gp_candidates.h"
#include "algorithms/gp_output_choice.h"
#include "algorithms/gp_output_warping.h"
#include "algorithms/gp_scalarised_ei.h"
#include "algorithms/seeding.h"

namespace tuner {

int GpFeatureCount(const SearchSpace& space) { return GpEncoding(space).num_features(); }
namespace {

constexpr double kVarianceFloor = 1e-12;    // standardised units
constexpr double kFinishedDistance = 1e-6;  // feature space, Euclidean
constexpr int kEveryTrialUpTo = 30;         // refit after every trial until then
constexpr double kRefitGrowth = 1.1;        // then when the data grows by 10%
constexpr int kColdEvery = 6;               // every sixth later fit starts cold
constexpr int kFitAheadFrom = 100;          // cadence points fitted ahead from this size
constexpr size_t kFitCacheCap = 4096;       // fits kept before the cache starts over
constexpr int kLocalBases = 5;              // best trials perturbed for candidates
// EHVI's reference point: this fraction of each objective's range (at least
// 1, standardised units) below its worst value. bench_mo_quality, 20 seeds
// (60 on digits_size): 0.1 gave ZDT1 0.866, ZDT2 0.532, digits_size 1.2032;
// 0.3: 0.864, 0.532, 1.2052; 1.0: 0.861, 0.530, 1.2059; 1.5 and 2.0 no
// better on digits_size. A far reference credits the front's ends more.
constexpr double kHypervolumeMargin = 1.0;
// gp_output_choice.h: the transform is chosen from this many values on (fewer
// rank too few trials to tell the transforms apart; the half-rank warp then).
constexpr int kMinValuesToChoose = 20;
constexpr int kCoordinateValues = 16;  // redraws per coordinate of a best trial
constexpr int kPolishEvaluations = 60;
constexpr int64_t kMaxEnumeration = 100000;

// Stream tags for DeriveSeed, apart from the suggestion indices.
constexpr uint64_t kCandidateStream = 0xC0FFEE0000000000ULL;
constexpr uint64_t kLocalStream = 0x10CA100000000000ULL;
constexpr uint64_t kWeightStream = 0x3E16470000000000ULL;
constexpr uint64_t kRetryStream = 0x4E7E400000000000ULL;
constexpr uint64_t kSubsetStream = 0x5AB5E70000000000ULL;
constexpr uint64_t kCoordinateStream = 0xC00D100000000000ULL;
constexpr uint64_t kFantasyStream = 0xFA7A500000000000ULL;

uint64_t Mix(uint64_t h, uint64_t v) { return SplitMix64(h ^ SplitMix64(v)); }

uint64_t Bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}

uint64_t HashVector(uint64_t h, const Eigen::VectorXd& v) {
  for (Eigen::Index i = 0; i < v.size(); ++i) h = Mix(h, Bits(v(i)));
  return h;
}

// GpDesigner::SavedState: its format, to change whenever the fits would
// (a state from a build that fits otherwise is then ignored). 2: the noise
// floor of 1e-8 (kGpMinNoiseVariance), 1e-6 for the multi-task fits. 3: cold
// fits' starts explored on a sample of rows (GpDesignerOptions::explore_rows).
constexpr uint64_t kStateFormat = 3;

std::string Hex(uint64_t v) {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(v));
  return out;
}

std::optional<uint64_t> ParseHex(const std::string& s) {
  if (s.size() != 16 || s.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return std::nullopt;
  }
  return std::strtoull(s.c_str(), nullptr, 16);
}

// Cadence points 1, 2, ..., 30, 33, 36, 39, 42, 46, ... up to n.
std::vector<int> CheckpointSizes(int n) {
  std::vector<int> sizes;
  int c = 1;
  while (c <= n) {
    sizes.push_back(c);
    c = c < kEveryTrialUpTo ? c + 1
                            : std::max(c + 1, static_cast<int>(std::floor(c * kRefitGrowth)));
  }
  return sizes;
}

bool ColdCheckpoint(int index) {
  return index < kEveryTrialUpTo || (index - kEveryTrialUpTo) % kColdEvery == 0;
}

// At most `cap` indices of `y`: the best fifth, then a seeded random sample of
// the others; ascending.
std::vector<int> SelectSubset(const Eigen::VectorXd& y, int cap, uint64_t seed) {
  const int n = static_cast<int>(y.size());
  cap = std::max(cap, 2);
  std::vector<int> all(n);
  std::iota(all.begin(), all.end(), 0);
  if (n <= cap) return all;
  std::vector<int> by_value = all;
  std::stable_sort(by_value.begin(), by_value.end(), [&](int a, int b) { return y(a) > y(b); });
  const int best = cap / 5;
  std::vector<int> chosen(by_value.begin(), by_value.begin() + best);
  std::vector<int> rest(by_value.begin() + best, by_value.end());
  std::sort(rest.begin(), rest.end());
  boost::random::mt19937_64 engine(seed);
  for (int i = 0; i < cap - best; ++i) {  // partial Fisher-Yates
    boost::random::uniform_int_distribution<int> pick(i, static_cast<int>(rest.size()) - 1);
    std::swap(rest[i], rest[pick(engine)]);
    chosen.push_back(rest[i]);
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

std::optional<double> ObjectiveValue(const Trial& trial, const Objective& objective) {
  if (trial.state != TrialState::kCompleted && trial.state != TrialState::kStopped) {
    return std::nullopt;
  }
  if (!trial.final_measurement) return std::nullopt;
  auto it = trial.final_measurement->metrics.find(objective.metric);
  if (it == trial.final_measurement->metrics.end() || !std::isfinite(it->second)) {
    return std::nullopt;
  }
  return objective.goal == Goal::kMaximize ? it->second : -it->second;
}

}  // namespace

GpDesigner::GpDesigner(SearchSpace space, std::vector<Objective> objectives,
                       GpDesignerOptions options)
    : encoding_(space),
      objectives_(std::move(objectives)),
      options_(options),
      sobol_(std::move(space), SobolDesignerOptions{options.seed, true}) {
  if (objectives_.size() == 1 && !options_.priors.empty()) {
    transfer_ = GpTransferData::Build(encoding_, options_.priors);
  }
  if (objectives_.size() > 1) options_.other_transform_every = 0;  // step 1
}

GpDesigner::GpDesigner(const GpDesigner& from, FitsOnly)
    : encoding_(from.encoding_),
      objectives_(from.objectives_),
      options_(from.options_),
      sobol_(from.encoding_.space(), SobolDesignerOptions{from.options_.seed, true}),
      finished_(from.finished_),
      prefix_hash_(from.prefix_hash_),
      fit_cache_(from.fit_cache_),
      transfer_(from.transfer_) {}

GpDesigner::~GpDesigner() {
  if (!ahead_.valid()) return;
  cancel_ahead_->store(true, std::memory_order_relaxed);
  ahead_.wait();
}

int GpInitialTrials(const SearchSpace& space, int initial_trials, int64_t max_trials) {
  if (initial_trials > 0) return initial_trials;
  const int by_space = std::max(5, 2 * static_cast<int>(space.parameters.size()));
  if (max_trials <= 0) return by_space;
  return static_cast<int>(std::min<int64_t>(by_space, std::max<int64_t>(3, max_trials / 4)));
}

int GpDesigner::InitialTrials() const {
  return options_.warm_start_trials +
         GpInitialTrials(encoding_.space(), options_.initial_trials, options_.max_trials);
}

Eigen::MatrixXd GpDesigner::Inputs(const Eigen::MatrixXd& features, bool transfer) const {
  return transfer ? transfer_.ThisStudy(features) : features;
}

Eigen::VectorXd GpDesigner::Input(const Eigen::VectorXd& features, bool transfer) const {
  if (!transfer) return features;
  Eigen::VectorXd x = Eigen::VectorXd::Zero(features.size() + transfer_.tasks);
  x.head(features.size()) = features;
  return x;
}

void GpDesigner::ModelData(const std::vector<int>& rows, const Eigen::VectorXd& y, bool transfer,
                           Eigen::MatrixXd* x, Eigen::VectorXd* all_y) const {
  const auto n = static_cast<Eigen::Index>(rows.size());
  const Eigen::Index prior = transfer ? transfer_.x.rows() : 0;
  x->resize(n + prior, encoding_.num_features() + (transfer ? transfer_.tasks : 0));
  all_y->resize(n + prior);
  for (Eigen::Index r = 0; r < n; ++r) {
    const size_t row = static_cast<size_t>(rows[static_cast<size_t>(r)]);
    x->row(r) = Input(finished_[row].features, transfer).transpose();
    (*all_y)(r) = y(static_cast<Eigen::Index>(row));
  }
  if (prior > 0) {
    x->bottomRows(prior) = transfer_.x;
    all_y->tail(prior) = transfer_.y;
  }
}

void GpDesigner::Update(const std::vector<const Trial*>& finished,
                        const std::vector<const Trial*>& active) {
  finished_.clear();
  finished_.reserve(finished.size());
  for (const Trial* t : finished) {
    Observation o;
    o.id = t->id;
    o.features = encoding_.Features(t->parameters);
    o.search_point = encoding_.SearchPointOf(t->parameters);
    for (const Objective& objective : objectives_)
      o.values.push_back(ObjectiveValue(*t, objective));
    finished_.push_back(std::move(o));
  }
  std::stable_sort(finished_.begin(), finished_.end(),
                   [](const Observation& a, const Observation& b) { return a.id < b.id; });
  const int d = encoding_.num_features();
  prefix_hash_.assign(1, 0x9E3779B97F4A7C15ULL);
  finished_features_.resize(static_cast<Eigen::Index>(finished_.size()), d);
  for (size_t i = 0; i < finished_.size(); ++i) {
    const Observation& o = finished_[i];
    uint64_t h = Mix(prefix_hash_.back(), static_cast<uint64_t>(o.id));
    h = HashVector(h, o.features);
    for (const std::optional<double>& v : o.values) h = Mix(h, v ? Bits(*v) : 0x7FF8DEADULL);
    prefix_hash_.push_back(h);
    finished_features_.row(static_cast<Eigen::Index>(i)) = o.features.transpose();
  }
  running_.clear();
  uint64_t h = Mix(prefix_hash_.back(), active.size());
  for (const Trial* t : active) {
    running_.push_back(encoding_.Features(t->parameters));
    h = HashVector(h, running_.back());
  }
  history_hash_ = h;
  pending_features_.resize(static_cast<Eigen::Index>(running_.size()), d);
  for (size_t i = 0; i < running_.size(); ++i) {
    pending_features_.row(static_cast<Eigen::Index>(i)) = running_[i].transpose();
  }
  next_index_ = static_cast<int64_t>(finished.size() + active.size());
  working_ready_ = false;
}

int GpDesigner::NumWithValues() const {
  int n = 0;
  for (const Observation& o : finished_) {
    bool all = !o.values.empty();
    for (const std::optional<double>& v : o.values) all = all && v.has_value();
    n += all ? 1 : 0;
  }
  return n;
}

int GpDesigner::FitIndex(int last) const {
  const int size = CheckpointSizes(static_cast<int>(finished_.size()))[last];
  return size >= kFitAheadFrom && last > 0 ? last - 1 : last;
}

uint64_t GpDesigner::FitKey(int objective, int checkpoint_index, bool transfer,
                            std::optional<bool> half_rank) const {
  const int size = CheckpointSizes(static_cast<int>(finished_.size()))[checkpoint_index];
  uint64_t key = Mix(Mix(prefix_hash_[size], static_cast<uint64_t>(objective)),
                     static_cast<uint64_t>(options_.max_fit_points));
  if (transfer) key = Mix(key, 0x7EA5F3E0ULL);  // the single-task key is as without a warm start
  if (half_rank) key = Mix(key, *half_rank ? 0x4A1F0ULL : 0x57D0ULL);
  return key;
}

void GpDesigner::TakeFitsAhead(bool wait) {
  if (!ahead_.valid()) return;
  if (!wait && ahead_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
  std::map<uint64_t, OutputFit> fits = ahead_.get();
  if (fit_cache_.size() + fits.size() > kFitCacheCap) fit_cache_.clear();
  fits_added_ += fits.size();
  fit_cache_.merge(fits);
}

void GpDesigner::StartFitsAhead(int checkpoint_index) {
  const uint64_t key = FitKey(0, checkpoint_index, false);
  if (!options_.fit_threads || ahead_.valid() || fit_cache_.count(key) > 0) return;
  // The thread works on a copy of what the fits read, its own alone.
  std::shared_ptr<GpDesigner> copy(new GpDesigner(*this, FitsOnly{}));
  // One thread: the other core stays with the suggestions.
  copy->options_.fit_threads = false;
  cancel_ahead_ = std::make_shared<std::atomic<bool>>(false);
  copy->cancel_ahead_ = cancel_ahead_;  // the copy keeps the flag alive
  copy->cancel_fits_ = cancel_ahead_.get();
  try {
    ahead_ = std::async(std::launch::async, [copy, checkpoint_index] {
      GpDesigner& fits = *copy;
      for (size_t j = 0; j < fits.objectives_.size(); ++j) {
        const OutputFit fit = fits.FitAt(static_cast<int>(j), checkpoint_index, false);
        if (fits.options_.other_transform_every > 0 && fit.chosen) {
          fits.FitAt(static_cast<int>(j), checkpoint_index, false, !fit.half_rank);
        }
      }
      if (!fits.transfer_.empty()) fits.FitAt(0, checkpoint_index, true);
      return std::move(fits.fit_cache_);
    });
    ahead_key_ = key;
  } catch (const std::system_error&) {
    // No thread to be had: the fits are made when they are needed.
  }
}

GpDesigner::OutputFit GpDesigner::FitAt(int objective, int checkpoint_index, bool transfer,
                                        std::optional<bool> half_rank) {
  const int size = CheckpointSizes(static_cast<int>(finished_.size()))[checkpoint_index];
  const uint64_t key = FitKey(objective, checkpoint_index, transfer, half_rank);
  const auto forced = [&](bool transform) {
    return FitKey(objective, checkpoint_index, transfer, transform);
  };
  if (auto it = fit_cache_.find(key); it != fit_cache_.end()) return it->second;

  std::vector<std::optional<double>> values;
  int with_values = 0;
  for (int i = 0; i < size; ++i) {
    values.push_back(finished_[i].values[objective]);
    with_values += values.back().has_value() ? 1 : 0;
  }
  // The data a fit under `transform` sees (its rows drawn with `data_key`).
  const auto data = [&](bool transform, uint64_t data_key, Eigen::MatrixXd* x, Eigen::VectorXd* y,
                        std::vector<bool>* has_value) {
    const Eigen::VectorXd warped = WarpOutputs(values, 1.0, transform);
    const std::vector<int> rows = SelectSubset(warped, options_.max_fit_points,
                                               DeriveSeed(options_.seed, data_key ^ kSubsetStream));
    ModelData(rows, warped, transfer, x, y);
    if (has_value) {
      for (const int r : rows) has_value->push_back(values[static_cast<size_t>(r)].has_value());
    }
  };

  OutputFit result;
  if (half_rank) {
    // One transform: cold (prior mode plus random restarts) or warm-started
    // from the previous checkpoint's fit under the same transform.
    GpFitOptions fit;
    fit.seed = DeriveSeed(options_.seed, key);
    fit.additive = !transfer;
    if (transfer) fit.min_noise_variance = kTransferMinNoiseVariance;
    fit.cancel = cancel_fits_;
    std::vector<GpHyperparameters> starts;
    if (ColdCheckpoint(checkpoint_index)) {
      starts.push_back(
          GpHyperparameters::Default(encoding_.num_features() + (transfer ? transfer_.tasks : 0)));
      fit.random_starts = 2;
      fit.explore_rows = options_.explore_rows;
    } else {
      starts.push_back(FitAt(objective, checkpoint_index - 1, transfer, half_rank).hp);
      fit.random_starts = 0;
    }
    Eigen::MatrixXd x;
    Eigen::VectorXd y;
    data(*half_rank, key, &x, &y, nullptr);
    result = OutputFit{FitHyperparameters(x, y, starts, fit), *half_rank, false};
    ++fits_made_;
  } else if (!ColdCheckpoint(checkpoint_index)) {
    // A warm checkpoint keeps the previous checkpoint's choice.
    const OutputFit previous = FitAt(objective, checkpoint_index - 1, transfer);
    result = FitAt(objective, checkpoint_index, transfer, previous.half_rank);
    result.chosen = previous.chosen;
  } else if (!transfer_.empty() || with_values < kMinValuesToChoose) {
    // No choice: with a warm start the earlier studies' values are half-rank
    // warped, so this study's are too; too few values to tell (see above).
    result = FitAt(objective, checkpoint_index, transfer, true);
  } else {
    // Both transforms; a tie (or two unusable fits) keeps the half-rank warp.
    FitBothTransforms(objective, checkpoint_index, transfer);
    double best_score = -std::numeric_limits<double>::infinity();
    for (const bool transform : {true, false}) {
      const OutputFit fit = FitAt(objective, checkpoint_index, transfer, transform);
      Eigen::MatrixXd x;
      Eigen::VectorXd y;
      std::vector<bool> has_value;
      data(transform, forced(transform), &x, &y, &has_value);
      GaussianProcess gp;
      const double score = gp.Condition(x, y, fit.hp).ok()
                               ? OutputTransformScore(gp, y, has_value)
                               : -std::numeric_limits<double>::infinity();
      if (transform || score > best_score) {
        best_score = score;
        result = OutputFit{fit.hp, transform, true};
      }
    }
  }
  if (fit_cache_.size() > kFitCacheCap) fit_cache_.clear();
  fit_cache_.emplace(key, result);
  ++fits_added_;
  return result;
}

void GpDesigner::FitBothTransforms(int objective, int checkpoint_index, bool transfer) {
  const int size = CheckpointSizes(static_cast<int>(finished_.size()))[checkpoint_index];
  if (!options_.fit_threads || size < kFitAheadFrom ||
      fit_cache_.count(FitKey(objective, checkpoint_index, transfer, false)) > 0 ||
      fit_cache_.count(FitKey(objective, checkpoint_index, transfer, true)) > 0) {
    return;
  }
  std::shared_ptr<GpDesigner> copy(new GpDesigner(*this, FitsOnly{}));
  std::future<void> other;
  try {
    other = std::async(std::launch::async, [copy, objective, checkpoint_index, transfer] {
      copy->FitAt(objective, checkpoint_index, transfer, false);
    });
  } catch (const std::system_error&) {
    return;  // no thread to be had: the fits are made here when needed
  }
  FitAt(objective, checkpoint_index, transfer, true);
  other.get();
  fits_made_ += copy->fits_made_;
  if (fit_cache_.size() + copy->fit_cache_.size() > kFitCacheCap) fit_cache_.clear();
  for (const auto& [key, fit] : copy->fit_cache_)
    fits_added_ += fit_cache_.emplace(key, fit).second;
}

uint64_t GpDesigner::StateFingerprint() const {
  uint64_t h = Mix(kStateFormat, options_.seed);
  h = Mix(h, static_cast<uint64_t>(encoding_.num_features()));
  h = Mix(h, objectives_.size());
  h = Mix(h, static_cast<uint64_t>(options_.max_fit_points));
  h = Mix(h, static_cast<uint64_t>(options_.explore_rows));
  h = Mix(h, static_cast<uint64_t>(transfer_.tasks));
  h = HashVector(h, transfer_.y);
  for (Eigen::Index r = 0; r < transfer_.x.rows(); ++r)
    h = HashVector(h, transfer_.x.row(r).transpose());
  return h;
}

// The state: a header line "gp-fits <fingerprint>", then one line per fit:
// "<key> <half_rank> <chosen> <n> <theta_1> ... <theta_n>", numbers in
// hexadecimal (the doubles as C99 hex floats, so they read back exactly);
// then "end", so that a cut state is told from a whole one.
std::string GpDesigner::SavedState() const {
  if (finished_.empty()) return {};
  const int last = static_cast<int>(CheckpointSizes(static_cast<int>(finished_.size())).size()) - 1;
  std::string out = "gp-fits " + Hex(StateFingerprint()) + "\n";
  char number[40];
  for (int index = std::max(0, last - 1); index <= last; ++index) {
    for (size_t j = 0; j < objectives_.size(); ++j) {
      for (const bool transfer : {false, true}) {
        if (transfer && transfer_.empty()) continue;
        for (const std::optional<bool> half_rank :
             {std::optional<bool>(), std::optional(true), std::optional(false)}) {
          const uint64_t key = FitKey(static_cast<int>(j), index, transfer, half_rank);
          const auto it = fit_cache_.find(key);
          if (it == fit_cache_.end()) continue;
          const Eigen::VectorXd theta = it->second.hp.ToVector();
          out += Hex(key) + (it->second.half_rank ? " 1" : " 0") +
                 (it->second.chosen ? " 1 " : " 0 ") + std::to_string(theta.size());
          for (Eigen::Index i = 0; i < theta.size(); ++i) {
            std::snprintf(number, sizeof number, " %a", theta(i));
            out += number;
          }
          out += "\n";
        }
      }
    }
  }
  return out + "end\n";
}

void GpDesigner::RestoreState(std::string_view state) {
  // All or nothing: a state that does not parse, or is not this designer's,
  // is ignored (the fits are then made again).
  std::istringstream in{std::string(state)};
  std::string word;
  if (!(in >> word) || word != "gp-fits" || !(in >> word) || word != Hex(StateFingerprint())) {
    return;
  }
  const auto features = static_cast<Eigen::Index>(encoding_.num_features());
  std::map<uint64_t, OutputFit> fits;
  std::string key, half_rank, chosen;
  Eigen::Index n = 0;
  while (in >> key && key != "end") {
    const std::optional<uint64_t> k = ParseHex(key);
    if (!(in >> half_rank >> chosen >> n)) return;
    if (!k || (half_rank != "0" && half_rank != "1") || (chosen != "0" && chosen != "1") ||
        (n != features + 4 && n != features + transfer_.tasks + 4)) {
      return;
    }
    Eigen::VectorXd theta(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      if (!(in >> word)) return;
      char* end = nullptr;
      theta(i) = std::strtod(word.c_str(), &end);
      if (end != word.c_str() + word.size() || !std::isfinite(theta(i))) return;
    }
    fits[*k] = OutputFit{GpHyperparameters::FromVector(theta), half_rank == "1", chosen == "1"};
  }
  if (key != "end" || in >> word) return;
  if (fit_cache_.size() + fits.size() > kFitCacheCap) fit_cache_.clear();
  fit_cache_.merge(fits);
}

void GpDesigner::ChooseTransfer(int checkpoint_index, const std::vector<int>& rows, Model* model,
                                GpHyperparameters* hp) {
  const GpHyperparameters warm = FitAt(0, checkpoint_index, true).hp;
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  ModelData(rows, model->warped, false, &x, &y);
  const absl::StatusOr<double> cold = LogMarginalLikelihood(x, y, *hp, nullptr);
  ModelData(rows, model->warped, true, &x, &y);
  const absl::StatusOr<double> all = LogMarginalLikelihood(x, y, warm, nullptr);
  // log p(earlier trials) under the same hyperparameters: refits keep them
  // between checkpoints, so this is mostly the cached value.
  const Eigen::VectorXd theta = warm.ToVector();
  if (prior_evidence_.first.size() != theta.size() || prior_evidence_.first != theta) {
    prior_evidence_ = {theta, LogMarginalLikelihood(transfer_.x, transfer_.y, warm, nullptr)};
  }
  const absl::StatusOr<double>& prior = prior_evidence_.second;
  if (!cold.ok() || !all.ok() || !prior.ok()) {
    model->transfer = all.ok() && prior.ok();
  } else {
    model->evidence_cold = *cold;
    model->evidence_warm = *all - *prior;  // log p(y | the earlier trials)
    model->transfer = model->evidence_warm > model->evidence_cold;
  }
  if (model->transfer) *hp = warm;
}

Front2 GpDesigner::HypervolumeFront(const std::vector<int>& complete) const {
  Eigen::MatrixXd values(static_cast<Eigen::Index>(complete.size()), 2);
  for (size_t r = 0; r < complete.size(); ++r) {
    for (Eigen::Index j = 0; j < 2; ++j) {
      values(static_cast<Eigen::Index>(r), j) = base_models_[j].warped(complete[r]);
    }
  }
  std::array<double, 2> reference;
  for (Eigen::Index j = 0; j < 2; ++j) {
    const double low = values.col(j).minCoeff(), high = values.col(j).maxCoeff();
    reference[j] = low - kHypervolumeMargin * std::max(high - low, 1.0);
  }
  return ParetoFront2(values, reference);
}

void GpDesigner::SetScalarisationReference() {
  // Trials with every objective's value (the model is used with two or more).
  std::vector<Eigen::Index> complete;
  for (size_t i = 0; i < finished_.size(); ++i) {
    bool all = true;
    for (const std::optional<double>& v : finished_[i].values) all = all && v.has_value();
    if (all) complete.push_back(static_cast<Eigen::Index>(i));
  }
  const auto n_objectives = static_cast<Eigen::Index>(objectives_.size());
  Eigen::MatrixXd values(static_cast<Eigen::Index>(complete.size()), n_objectives);
  for (Eigen::Index j = 0; j < n_objectives; ++j) {
    for (size_t r = 0; r < complete.size(); ++r)
      values(static_cast<Eigen::Index>(r), j) = base_models_[j].warped(complete[r]);
  }
  reference_ = ScalarisationReference(values, 0.1, 0.1);
}

bool GpDesigner::EnsureModels(bool other) {
  if (working_ready_ && base_other_ == other) {
    if (!base_ok_) status_ = base_status_;
    return base_ok_;
  }
  if (!base_built_ || base_hash_ != history_hash_ || base_other_ != other) {
    base_built_ = true;
    base_hash_ = history_hash_;
    base_other_ = other;
    base_ok_ = true;
    base_status_.clear();
    base_models_.assign(objectives_.size(), Model{});
    const int last =
        static_cast<int>(CheckpointSizes(static_cast<int>(finished_.size())).size()) - 1;
    const int index = FitIndex(last);
    TakeFitsAhead(/*wait=*/ahead_.valid() && FitKey(0, index, false) == ahead_key_);
    for (size_t j = 0; j < objectives_.size() && base_ok_; ++j) {
      Model& model = base_models_[j];
      std::vector<std::optional<double>> values;
      for (const Observation& o : finished_) values.push_back(o.values[j]);
      // Fitting ahead, the other transform's fit too: its turns then find it
      // ready (after a restart, this first call makes both, at once).
      const bool both = index != last && options_.other_transform_every > 0;
      if (both && transfer_.empty()) FitBothTransforms(static_cast<int>(j), index, false);
      OutputFit fit = FitAt(static_cast<int>(j), index, false);
      model.other = other && fit.chosen;
      if (fit.chosen && (model.other || both)) {
        const OutputFit alternative = FitAt(static_cast<int>(j), index, false, !fit.half_rank);
        if (model.other) fit = alternative;
      }
      GpHyperparameters hp = fit.hp;
      model.warped = WarpOutputs(values, 1.0, fit.half_rank);
      model.half_rank = fit.half_rank;
      const std::vector<int> rows =
          SelectSubset(model.warped, options_.max_model_points,
                       DeriveSeed(options_.seed, Mix(prefix_hash_.back(), j) ^ kSubsetStream));
      if (j == 0 && !transfer_.empty()) ChooseTransfer(index, rows, &model, &hp);
      Eigen::MatrixXd x;
      Eigen::VectorXd y;
      ModelData(rows, model.warped, model.transfer, &x, &y);
      if (absl::Status s = model.gp.Condition(x, y, hp); !s.ok()) {
        base_ok_ = false;
        base_status_ = "quasi-random: GP for " + objectives_[j].metric +
                       " unusable: " + std::string(s.message());
        break;
      }
      const Eigen::VectorXd fitted = model.gp.TrainingMean();
      model.incumbent = -std::numeric_limits<double>::infinity();
      for (size_t r = 0; r < rows.size(); ++r) {
        if (values[rows[r]])
          model.incumbent = std::max(model.incumbent, fitted(static_cast<Eigen::Index>(r)));
      }
      if (!std::isfinite(model.incumbent))
        model.incumbent = fitted.head(static_cast<Eigen::Index>(rows.size())).maxCoeff();
      // Kriging believer: each running trial observes the posterior mean.
      for (const Eigen::VectorXd& r : running_) {
        const Eigen::VectorXd input = Input(r, model.transfer);
        Eigen::VectorXd mean, var;
        model.gp.Predict(input.transpose(), &mean, &var);
        model.gp.Append(input, mean(0));
      }
    }
    if (base_ok_) SetScalarisationReference();
    if (index != last) StartFitsAhead(last);
  }
  models_ = base_models_;
  working_ready_ = true;
  if (!base_ok_) {
    status_ = base_status_;
    return false;
  }
  // Earlier suggestions of this batch (made before the model was needed).
  for (Eigen::Index i = static_cast<Eigen::Index>(running_.size()); i < pending_features_.rows();
       ++i) {
    for (Model& model : models_) {
      const Eigen::VectorXd f = Input(pending_features_.row(i).transpose(), model.transfer);
      Eigen::VectorXd mean, var;
      model.gp.Predict(f.transpose(), &mean, &var);
      model.gp.Append(f, mean(0));
    }
  }
  return true;
}

Eigen::VectorXd GpDesigner::Acquisition(const Eigen::MatrixXd& features,
                                        const Scalarisation& s) const {
  const Eigen::Index n = features.rows();
  const size_t m = models_.size();
  std::vector<Eigen::VectorXd> means(m), sds(m);
  Eigen::MatrixXd fantasy_means;  // candidates x fantasies (step 3), instead of means[0]
  for (size_t j = 0; j < m; ++j) {
    Eigen::VectorXd var;
    const Eigen::MatrixXd inputs = Inputs(features, models_[j].transfer);
    if (j == 0 && fantasy_weights_.size() > 0) {
      models_[0].gp.PredictUnder(fantasy_weights_, inputs, &fantasy_means, &var);
    } else {
      models_[j].gp.Predict(inputs, &means[j], &var);
    }
    sds[j] = var.cwiseMax(kPosteriorVarianceFloor).cwiseSqrt();
  }
  Eigen::VectorXd out(n);
  std::vector<double> mean(m), sd(m);
  for (Eigen::Index i = 0; i < n; ++i) {
    double value;
    if (s.front) {
      value = LogExpectedHypervolumeImprovement2({means[0](i), means[1](i)}, {sds[0](i), sds[1](i)},
                                                 *s.front)
                  .value;
    } else if (m > 1) {
      for (size_t j = 0; j < m; ++j) {
        mean[j] = (means[j](i) - s.reference[j]) / s.weights[j];
        sd[j] = sds[j](i) / s.weights[j];
      }
      value = LogScalarisedExpectedImprovement(mean, sd, s.best).value;
    } else if (options_.acquisition == GpAcquisition::kUcb) {
      value = UpperConfidenceBound(means[0](i), sds[0](i), options_.ucb_beta).value;
    } else if (fantasy_weights_.size() > 0) {
      value = LogMeanExpectedImprovement(fantasy_means.row(i).transpose(), sds[0](i),
                                         fantasy_incumbents_)
                  .value;
    } else {
      value = LogExpectedImprovement(means[0](i), sds[0](i), models_[0].incumbent).value;
    }
    out(i) = std::isfinite(value) ? value : -std::numeric_limits<double>::infinity();
  }
  return out;
}

double GpDesigner::AcquisitionAt(const Eigen::VectorXd& x, const Scalarisation& s,
                                 Eigen::VectorXd* gradient) const {
  if (fantasy_weights_.size() > 0) {  // one objective, log EI (step 3)
    const FantasyPosteriorGradient p =
        PosteriorWithGradient(models_[0].gp, fantasy_weights_, Input(x, models_[0].transfer));
    const FantasyValue fv = LogMeanExpectedImprovement(p.means, p.sd, fantasy_incumbents_);
    *gradient = (p.d_means * fv.d_means + fv.d_sd * p.d_sd).head(x.size());
    return fv.value;
  }
  const size_t m = models_.size();
  std::vector<PosteriorGradient> posterior;
  for (const Model& model : models_) {
    posterior.push_back(PosteriorWithGradient(model.gp, Input(x, model.transfer)));
  }
  AcquisitionValue v;
  if (m > 1) {
    // The scalarisation's means and sds are divided by the weights; EHVI's are not.
    const std::vector<double> scale = s.front ? std::vector<double>(m, 1.0) : s.weights;
    ScalarisedValue sv;
    if (s.front) {
      sv = LogExpectedHypervolumeImprovement2({posterior[0].mean, posterior[1].mean},
                                              {posterior[0].sd, posterior[1].sd}, *s.front);
    } else {
      std::vector<double> mean(m), sd(m);
      for (size_t j = 0; j < m; ++j) {
        mean[j] = (posterior[j].mean - s.reference[j]) / s.weights[j];
        sd[j] = posterior[j].sd / s.weights[j];
      }
      sv = LogScalarisedExpectedImprovement(mean, sd, s.best);
    }
    *gradient = Eigen::VectorXd::Zero(x.size());
    for (size_t j = 0; j < m; ++j) {
      *gradient +=
          ((sv.d_mean[j] * posterior[j].d_mean + sv.d_sd[j] * posterior[j].d_sd) / scale[j])
              .head(x.size());  // without the task features
    }
    return sv.value;
  }
  if (options_.acquisition == GpAcquisition::kUcb) {
    v = UpperConfidenceBound(posterior[0].mean, posterior[0].sd, options_.ucb_beta);
  } else {
    v = LogExpectedImprovement(posterior[0].mean, posterior[0].sd, models_[0].incumbent);
  }
  *gradient = (v.d_mean * posterior[0].d_mean + v.d_sd * posterior[0].d_sd).head(x.size());
  return v.value;
}

double GpDesigner::MinDistanceSquared(const Eigen::VectorXd& x, bool finished_only) const {
  const Eigen::MatrixXd& m = finished_only ? finished_features_ : pending_features_;
  if (m.rows() == 0) return std::numeric_limits<double>::infinity();
  return (m.rowwise() - x.transpose()).rowwise().squaredNorm().minCoeff();
}

bool GpDesigner::Acceptable(const Eigen::VectorXd& x) const {
  if (!x.allFinite()) return false;
  if (MinDistanceSquared(x, true) <= kFinishedDistance * kFinishedDistance) return false;
  const double pending =
      options_.min_pending_distance * std::sqrt(static_cast<double>(encoding_.num_features()));
  return MinDistanceSquared(x, false) >= pending * pending;
}

namespace {

struct PolishState {
  const std::function<double(const Eigen::VectorXd&, Eigen::VectorXd*)>* acquisition;
  Eigen::VectorXd features;
  const std::vector<std::pair<int, int>>* smooth;
  double best_value = -std::numeric_limits<double>::infinity();
  std::vector<double> best;
};

double PolishObjective(const std::vector<double>& v, std::vector<double>& grad, void* data) {
  PolishState* state = static_cast<PolishState*>(data);
  for (size_t i = 0; i < v.size(); ++i) state->features((*state->smooth)[i].second) = v[i];
  Eigen::VectorXd g;
  const double value = (*state->acquisition)(state->features, &g);
  if (!std::isfinite(value) || !g.allFinite()) {
    for (double& gi : grad) gi = 0.0;
    return -1e300;
  }
  for (size_t i = 0; i < grad.size(); ++i) grad[i] = g((*state->smooth)[i].second);
  if (value > state->best_value) {
    state->best_value = value;
    state->best = v;
  }
  return value;
}

}  // namespace

std::optional<Assignment> GpDesigner::SuggestByModel(uint64_t k) {
  // The portfolio's turn for the output transform not chosen (step 1).
  const int every = options_.other_transform_every;
  const bool other =
      every > 0 && k % static_cast<uint64_t>(every) == static_cast<uint64_t>(every - 1);
  if (!EnsureModels(other)) return std::nullopt;
  DrawFantasies(k);
  const int p = encoding_.num_parameters();
  const int n_model = models_.front().gp.size();

  // Scalarisation weights for several objectives: uniform on the positive
  // unit sphere.
  Scalarisation scalarisation;
  std::vector<double>& weights = scalarisation.weights;
  weights.assign(objectives_.size(), 1.0);
  if (objectives_.size() > 1) {
    boost::random::mt19937_64 engine(DeriveSeed(options_.seed, k ^ kWeightStream));
    boost::random::normal_distribution<double> normal;
    double norm = 0.0;
    for (double& w : weights) {
      w = std::abs(normal(engine)) + 1e-6;
      norm += w * w;
    }
    for (double& w : weights) w /= std::sqrt(norm);
  }
  scalarisation.reference.assign(reference_.data(), reference_.data() + reference_.size());

  // Candidates: scrambled Sobol points, then perturbations of the best trials.
  std::vector<std::vector<double>> candidates;
  const int n_sobol = std::min(
      options_.sobol_candidates,
      std::max(256, static_cast<int>(2e7 / std::max(1.0, static_cast<double>(n_model) * n_model))));
  {
    SobolDesigner shifted(
        encoding_.space(),
        SobolDesignerOptions{DeriveSeed(options_.seed, k ^ kCandidateStream), true});
    for (int i = 0; i < n_sobol; ++i)
      candidates.push_back(shifted.UnitPoint(static_cast<uint64_t>(i)));
  }
  {
    std::vector<int> bases;
    std::vector<double> score(finished_.size(), -std::numeric_limits<double>::infinity());
    for (size_t i = 0; i < finished_.size(); ++i) {
      bool all = true;
      double s = std::numeric_limits<double>::infinity();
      for (size_t j = 0; j < objectives_.size(); ++j) {
        all = all && finished_[i].values[j].has_value();
        s = std::min(
            s, (base_models_[j].warped(static_cast<Eigen::Index>(i)) - scalarisation.reference[j]) /
                   weights[j]);
      }
      if (all) {
        score[i] = s;
        bases.push_back(static_cast<int>(i));
      }
    }
    std::stable_sort(bases.begin(), bases.end(), [&](int a, int b) { return score[a] > score[b]; });
    if (!bases.empty()) scalarisation.best = score[bases.front()];
    if (objectives_.size() == 2 && options_.ehvi && !bases.empty()) {
      scalarisation.front = HypervolumeFront(bases);
    }
    if (bases.size() > static_cast<size_t>(kLocalBases)) bases.resize(kLocalBases);
    std::vector<SearchPoint> base_points;
    for (int b : bases) base_points.push_back(finished_[b].search_point);
    const int n_local = bases.empty() ? 0 : std::max(64, n_sobol / 4);
    for (SearchPoint& z :
         PerturbationCandidates(encoding_.space(), base_points, std::min(1.0, 2.0 / p), n_local,
                                DeriveSeed(options_.seed, k ^ kLocalStream))) {
      candidates.push_back(std::move(z));
    }
    for (SearchPoint& z :
         CoordinateCandidates(base_points, kCoordinateValues, std::max(64, n_sobol / 2),
                              DeriveSeed(options_.seed, k ^ kCoordinateStream))) {
      candidates.push_back(std::move(z));
    }
  }

  const Eigen::Index n_candidates = static_cast<Eigen::Index>(candidates.size());
  Eigen::MatrixXd features(n_candidates, encoding_.num_features());
  for (Eigen::Index i = 0; i < n_candidates; ++i) {
    Eigen::VectorXd f;
    encoding_.Decode(candidates[i], &f, nullptr);
    features.row(i) = f.transpose();
  }
  const Eigen::VectorXd values = Acquisition(features, scalarisation);
  std::vector<Eigen::Index> order(static_cast<size_t>(n_candidates));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](Eigen::Index a, Eigen::Index b) { return values(a) > values(b); });
  std::vector<Eigen::Index> chosen;
  for (Eigen::Index i : order) {
    if (!std::isfinite(values(i)) || !Acceptable(features.row(i).transpose())) continue;
    bool repeat = false;
    for (Eigen::Index c : chosen)
      repeat = repeat || (features.row(c) - features.row(i)).squaredNorm() < 1e-18;
    if (repeat) continue;
    chosen.push_back(i);
    if (static_cast<int>(chosen.size()) >= options_.polished_candidates) break;
  }
  if (chosen.empty()) {
    status_ = "quasi-random: every acquisition candidate is too close to a trial";
    return std::nullopt;
  }

  const std::function<double(const Eigen::VectorXd&, Eigen::VectorXd*)> acquisition =
      [&](const Eigen::VectorXd& x, Eigen::VectorXd* g) {
        return AcquisitionAt(x, scalarisation, g);
      };
  double best_value = -std::numeric_limits<double>::infinity();
  std::vector<double> best_z;
  for (Eigen::Index c : chosen) {
    std::vector<double> z = candidates[c];
    double value = values(c);
    std::vector<std::pair<int, int>> smooth;
    Eigen::VectorXd f;
    encoding_.Decode(z, &f, &smooth);
    if (!smooth.empty()) {
      PolishState state{&acquisition, f, &smooth};
      std::vector<double> v;
      for (const auto& [param, feature] : smooth) v.push_back(z[param]);
      nlopt::opt opt(nlopt::LD_LBFGS, static_cast<unsigned>(v.size()));
      opt.set_lower_bounds(std::vector<double>(v.size(), 0.0));
      opt.set_upper_bounds(std::vector<double>(v.size(), 1.0));
      opt.set_max_objective(PolishObjective, &state);
      opt.set_maxeval(kPolishEvaluations);
      opt.set_ftol_rel(1e-10);
      opt.set_xtol_abs(1e-7);
      double unused = 0.0;
      try {
        opt.optimize(v, unused);
      } catch (const std::exception&) {
        // Keep the best point seen.
      }
      if (!state.best.empty() && state.best_value > value) {
        std::vector<double> polished = z;
        for (size_t i = 0; i < smooth.size(); ++i) polished[smooth[i].first] = state.best[i];
        Eigen::VectorXd pf;
        encoding_.Decode(polished, &pf, nullptr);
        if (Acceptable(pf)) {
          z = std::move(polished);
          value = state.best_value;
        }
      }
    }
    if (value > best_value || best_z.empty()) {
      best_value = value;
      best_z = std::move(z);
    }
  }
  status_ = std::string("gp: ") +
            (scalarisation.front ? "log_ehvi"
             : objectives_.size() > 1
                 ? "scalarised log_ei"
                 : (options_.acquisition == GpAcquisition::kUcb ? "ucb" : "log_ei")) +
            " over " + std::to_string(n_model) + " points";
  if (fantasy_weights_.size() > 0) {
    status_ += " (" + std::to_string(pending_features_.rows()) + " pending, their outcomes drawn " +
               std::to_string(fantasy_weights_.cols()) + " times)";
  }
  for (size_t j = 0; j < models_.size(); ++j) {
    const std::string& metric = objectives_[j].metric;
    if (models_[j].other) {
      status_ += ", " + metric + (models_[j].half_rank ? " half-rank warped" : " standardised") +
                 " (the transform not chosen)";
    } else if (!models_[j].half_rank) {
      status_ += ", " + metric + " standardised";
    }
  }
  const Model& first = models_.front();
  char evidence[96];
  std::snprintf(evidence, sizeof evidence, "log evidence %.1f with them, %.1f without",
                first.evidence_warm, first.evidence_cold);
  if (!transfer_.empty() && !first.transfer) {
    status_ += std::string(", earlier studies set aside (") + evidence + ")";
  } else if (!transfer_.empty()) {
    const Matern52Kernel kernel = first.gp.hyperparameters().Kernel();
    status_ +=
        ", " + std::to_string(transfer_.x.rows()) + " of them from earlier studies (correlation";
    for (int t = 0; t < transfer_.tasks; ++t) {
      char rho[32];
      std::snprintf(rho, sizeof rho, " %.2f", transfer_.Correlation(kernel, t));
      status_ += rho;
    }
    status_ += std::string("; ") + evidence + ")";
  }
  return encoding_.Decode(best_z, nullptr, nullptr);
}

std::optional<Assignment> GpDesigner::QuasiRandom(uint64_t k) {
  const auto fresh = [&](const Assignment& a) {
    const Eigen::VectorXd f = encoding_.Features(a);
    return MinDistanceSquared(f, true) > 1e-18 && MinDistanceSquared(f, false) > 1e-18 &&
           encoding_.space().Validate(a).ok();
  };
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::vector<double> z;
    if (attempt == 0) {
      z = sobol_.UnitPoint(k);
    } else {
      boost::random::mt19937_64 engine(
          DeriveSeed(options_.seed, Mix(k, static_cast<uint64_t>(attempt)) ^ kRetryStream));
      boost::random::uniform_01<double> uniform;
      z.resize(static_cast<size_t>(encoding_.num_parameters()));
      for (double& u : z) u = uniform(engine);
    }
    Assignment a = encoding_.Decode(z, nullptr, nullptr);
    if (fresh(a)) return a;
  }
  // A finite space: walk through it in order.
  int64_t total = 1;
  for (const ParameterSpec& spec : encoding_.space().parameters) {
    const int64_t c = spec.Cardinality();
    if (c <= 0 || total > kMaxEnumeration / std::max<int64_t>(c, 1)) return std::nullopt;
    total *= c;
  }
  const auto& params = encoding_.space().parameters;
  for (int64_t index = 0; index < total; ++index) {
    std::vector<double> z(params.size());
    int64_t rest = index;
    for (size_t i = 0; i < params.size(); ++i) {
      const ParameterSpec& spec = params[i];
      const int64_t c = spec.Cardinality();
      const int64_t j = rest % c;
      rest /= c;
      const ParameterValue v = spec.type == ParameterType::kInteger
                                   ? ParameterValue(static_cast<int64_t>(spec.min) + j)
                                   : spec.values[static_cast<size_t>(j)];
      z[i] = ToUnit(spec, v);
    }
    Assignment a = encoding_.Decode(z, nullptr, nullptr);
    if (fresh(a)) return a;
  }
  return std::nullopt;
}

void GpDesigner::Record(const Assignment& assignment) {
  const Eigen::VectorXd f = encoding_.Features(assignment);
  const Eigen::Index n = pending_features_.rows();
  pending_features_.conservativeResize(n + 1, encoding_.num_features());
  pending_features_.row(n) = f.transpose();
  if (working_ready_ && base_ok_) {
    for (Model& model : models_) {
      const Eigen::VectorXd input = Input(f, model.transfer);
      Eigen::VectorXd mean, var;
      model.gp.Predict(input.transpose(), &mean, &var);
      model.gp.Append(input, mean(0));
    }
  }
}

namespace {

// A matrix whose square (times its transpose) is the covariance `c`: the
// Cholesky factor, or where c is singular or round-off made it indefinite,
// V sqrt(max(Lambda, 0)) from its eigendecomposition V Lambda V'.
Eigen::MatrixXd SquareRoot(const Eigen::MatrixXd& c) {
  const Eigen::LLT<Eigen::MatrixXd> llt(c);
  if (llt.info() == Eigen::Success) return llt.matrixL();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(c);
  return eigen.eigenvectors() * eigen.eigenvalues().cwiseMax(0.0).cwiseSqrt().asDiagonal();
}

}  // namespace

void GpDesigner::DrawFantasies(uint64_t k) {
  const Eigen::Index pending = pending_features_.rows();
  fantasy_weights_.resize(0, 0);
  fantasy_incumbents_.resize(0);
  if (pending == 0 || options_.pending_fantasies <= 0 || models_.size() != 1 ||
      options_.acquisition != GpAcquisition::kLogEi)
    return;
  // The models end with the pending trials at the posterior mean (step 3);
  // their latent values are drawn from the posterior given the rest, in
  // antithetic pairs so that the draws' mean stays the believer's.
  const GaussianProcess& gp = models_[0].gp;
  const int half = (options_.pending_fantasies + 1) / 2;
  Eigen::MatrixXd z(pending, 2 * half);
  boost::random::mt19937_64 engine(DeriveSeed(options_.seed, k ^ kFantasyStream));
  boost::random::normal_distribution<double> normal;
  for (int s = 0; s < half; ++s) {
    for (Eigen::Index i = 0; i < pending; ++i) {
      z(i, 2 * s) = normal(engine);
      z(i, 2 * s + 1) = -z(i, 2 * s);
    }
  }
  Eigen::MatrixXd shifts = Eigen::MatrixXd::Zero(gp.size(), 2 * half);
  shifts.bottomRows(pending) = SquareRoot(gp.TrailingCovariance(static_cast<int>(pending))) * z;
  fantasy_weights_ = gp.ShiftedWeights(shifts);
  // The incumbent under each: the best posterior mean at a finished trial
  // or at a pending one.
  Eigen::MatrixXd at_pending;
  Eigen::VectorXd var;
  gp.PredictUnder(fantasy_weights_, gp.inputs().bottomRows(pending), &at_pending, &var);
  fantasy_incumbents_ = at_pending.colwise().maxCoeff().transpose().cwiseMax(models_[0].incumbent);
}

std::vector<Assignment> GpDesigner::Suggest(int count) {
  std::vector<Assignment> out;
  origins_.clear();
  for (int i = 0; i < count; ++i) {
    const uint64_t k = static_cast<uint64_t>(next_index_++);
    std::optional<Assignment> a;
    if (static_cast<int64_t>(k) < InitialTrials()) {
      status_ = "quasi-random: initial design, " + std::to_string(k + 1) + " of " +
                std::to_string(InitialTrials());
    } else if (objectives_.empty()) {
      status_ = "quasi-random: no objective to model";
    } else if (NumWithValues() < 2) {
      status_ = "quasi-random: fewer than two finished trials with objective values";
    } else {
      a = SuggestByModel(k);
      if (a && !encoding_.space().Validate(*a).ok()) {
        status_ = "quasi-random: the model's suggestion failed validation";
        a.reset();
      }
    }
    const bool by_model = a.has_value();
    if (!a) a = QuasiRandom(k);
    if (!a) break;  // a finite space with every point tried
    Record(*a);
    out.push_back(std::move(*a));
    origins_.push_back(by_model ? "gp" : "sobol");
  }
  return out;
}

}  // namespace tuner
