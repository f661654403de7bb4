#include "algorithms/hyperband_designer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "algorithms/designer_factory.h"
#include "algorithms/gp_designer.h"
#include "algorithms/seeding.h"

namespace tuner {
namespace {

constexpr double kWorst = -std::numeric_limits<double>::infinity();
// Streams of the study seed for the samplers (see seeding.h).
constexpr uint64_t kRandomStream = 0x68625f72616e64ULL;      // "hb_rand"
constexpr uint64_t kBayesianStream = 0x68625f6261796573ULL;  // "hb_bayes"

// RandomDesigner draws point k for a history of k trials; these stand in for
// the configurations already drawn (it reads only how many there are).
const Trial* Placeholder() {
  static const Trial* const trial = new Trial();
  return trial;
}

std::optional<int64_t> ResourceValue(const ParameterValue& value) {
  if (const int64_t* i = std::get_if<int64_t>(&value)) return *i;
  if (const double* d = std::get_if<double>(&value)) {
    if (std::isfinite(*d) && *d == std::floor(*d) && std::fabs(*d) < 9.0e15) {
      return static_cast<int64_t>(*d);
    }
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HyperbandDesigner>> HyperbandDesigner::Create(
    SearchSpace space, std::vector<Objective> objectives, uint64_t seed, HyperbandOptions options) {
  if (options.variant != "async" && options.variant != "sync") {
    return absl::InvalidArgumentError("hyperband: variant must be async or sync (got \"" +
                                      options.variant + "\")");
  }
  if (options.sampler != "random" && options.sampler != "bayesian") {
    return absl::InvalidArgumentError("hyperband: sampler must be random or bayesian (got \"" +
                                      options.sampler + "\")");
  }
  if (options.sampler == "bayesian") {
    const std::vector<std::string>& names = AvailableDesigners();
    if (std::find(names.begin(), names.end(), "bayesian") == names.end()) {
      return absl::InvalidArgumentError(
          "hyperband: sampler \"bayesian\" needs the bayesian designer, which is not available "
          "in this build");
    }
  }
  SearchSpace config_space;
  int64_t min_resource = 1;
  int64_t max_resource = 1;
  if (options.resource.empty()) {
    config_space = space;
  } else {
    const ParameterSpec* resource = space.Find(options.resource);
    if (resource == nullptr) {
      return absl::InvalidArgumentError("hyperband: the search space has no resource parameter \"" +
                                        options.resource + "\"");
    }
    if (resource->type != ParameterType::kInteger || resource->when) {
      return absl::InvalidArgumentError("hyperband: the resource \"" + options.resource +
                                        "\" must be an unconditional integer parameter");
    }
    min_resource = static_cast<int64_t>(resource->min);
    max_resource = static_cast<int64_t>(resource->max);
    for (const ParameterSpec& p : space.parameters) {
      if (p.name == options.resource) continue;
      if (p.when && p.when->parent == options.resource) {
        return absl::InvalidArgumentError("hyperband: parameter \"" + p.name +
                                          "\" cannot depend on the resource \"" + options.resource +
                                          "\"");
      }
      config_space.parameters.push_back(p);
    }
  }
  if (options.sampler == "bayesian") {
    if (const int features = GpFeatureCount(config_space); features > kMaxGpFeatures) {
      return absl::InvalidArgumentError(
          "hyperband: sampler \"bayesian\" takes at most " + std::to_string(kMaxGpFeatures) +
          " features (one per numeric parameter, one per categorical value); these parameters "
          "have " +
          std::to_string(features));
    }
  }
  absl::StatusOr<HyperbandSchedule> schedule =
      MakeHyperbandSchedule(min_resource, max_resource, options.eta);
  if (!schedule.ok()) return schedule.status();
  return std::unique_ptr<HyperbandDesigner>(
      new HyperbandDesigner(std::move(config_space), std::move(objectives), seed,
                            std::move(options), std::move(*schedule)));
}

HyperbandDesigner::HyperbandDesigner(SearchSpace config_space, std::vector<Objective> objectives,
                                     uint64_t seed, HyperbandOptions options,
                                     HyperbandSchedule schedule)
    : config_space_(std::move(config_space)),
      objectives_(std::move(objectives)),
      seed_(seed),
      options_(std::move(options)),
      schedule_(std::move(schedule)),
      sync_(options_.variant == "sync"),
      bayesian_(options_.sampler == "bayesian"),
      random_(config_space_, DeriveSeed(seed, kRandomStream)) {
  warm_configs_ = WarmStartConfigs(config_space_, options_.warm_start);
}

// ---------------------------------------------------------------- reading

double HyperbandDesigner::ValueOf(const Trial& trial) const {
  if (trial.state == TrialState::kFailed || trial.state == TrialState::kInfeasible) return kWorst;
  if (objectives_.empty() || !trial.final_measurement) return kWorst;
  const Objective& objective = objectives_.front();
  auto it = trial.final_measurement->metrics.find(objective.metric);
  if (it == trial.final_measurement->metrics.end() || !std::isfinite(it->second)) return kWorst;
  return objective.goal == Goal::kMaximize ? it->second : -it->second;
}

const HyperbandBracket& HyperbandDesigner::BracketOf(const Instance& instance) const {
  return schedule_.BracketOfInstance(instance.k);
}

bool HyperbandDesigner::IsFull(const Instance& instance) const {
  return instance.counts[0] >= BracketOf(instance).rungs[0].size;
}

bool HyperbandDesigner::RungsFull(const Instance& instance) const {
  const HyperbandBracket& bracket = BracketOf(instance);
  for (size_t i = 0; i < bracket.rungs.size(); ++i) {
    if (instance.counts[i] < bracket.rungs[i].size) return false;
  }
  return true;
}

bool HyperbandDesigner::IsComplete(const Instance& instance) const {
  if (!RungsFull(instance)) return false;
  for (size_t i = 0; i < instance.counts.size(); ++i) {
    if (instance.finished[i] < instance.counts[i]) return false;
  }
  return true;
}

void HyperbandDesigner::Open(int64_t k) {
  Instance instance;
  instance.k = k;
  const size_t rungs = schedule_.BracketOfInstance(k).rungs.size();
  instance.counts.assign(rungs, 0);
  instance.finished.assign(rungs, 0);
  instances_.push_back(std::move(instance));
}

void HyperbandDesigner::Ingest(const Assignment& parameters, const Record& record,
                               const Trial* trial) {
  Assignment config = parameters;
  int64_t resource = schedule_.min_resource;
  if (!options_.resource.empty()) {
    auto it = config.find(options_.resource);
    if (it == config.end()) return;  // not a Hyperband trial
    std::optional<int64_t> r = ResourceValue(it->second);
    if (!r) return;
    resource = *r;
    config.erase(it);
  }
  if (trial != nullptr && record.finished) {
    Observed observed;
    observed.resource = resource;
    observed.has_value = std::isfinite(record.value);
    observed.trial = *trial;
    observed.trial.parameters = config;
    observed_.push_back(std::move(observed));
  }
  if (!record.finished) pending_.push_back(config);

  // A promotion of a configuration already running?
  std::vector<Where>& runs = runs_of_[config];
  for (const Where& where : runs) {
    Instance& instance = instances_[where.instance];
    ConfigRun& run = instance.configs[where.config];
    const HyperbandBracket& bracket = BracketOf(instance);
    const size_t t = run.rungs.size();
    if (t == 0 || t >= bracket.rungs.size()) continue;
    if (!run.rungs[t - 1].finished || bracket.rungs[t].resource != resource) continue;
    if (instance.counts[t] >= bracket.rungs[t].size) continue;
    run.rungs.push_back(record);
    ++instance.counts[t];
    if (record.finished) ++instance.finished[t];
    return;
  }

  // A new configuration: the first instance of its bracket that is not full,
  // or the next instance to open if that is one of its bracket.
  const int64_t cycle = static_cast<int64_t>(schedule_.brackets.size());
  int64_t position = -1;
  for (int64_t b = 0; b < cycle; ++b) {
    if (schedule_.brackets[static_cast<size_t>(b)].rungs[0].resource == resource) position = b;
  }
  if (position < 0) return;  // not a bottom resource: ignored
  size_t target = instances_.size();
  for (size_t i = first_not_full_; i < instances_.size(); ++i) {
    if (instances_[i].k % cycle == position && !IsFull(instances_[i])) {
      target = i;
      break;
    }
  }
  if (target == instances_.size()) {
    if (static_cast<int64_t>(instances_.size()) % cycle != position) return;  // out of turn
    Open(static_cast<int64_t>(instances_.size()));
  }
  Instance& instance = instances_[target];
  ConfigRun run;
  run.config = std::move(config);
  run.rungs.push_back(record);
  instance.configs.push_back(std::move(run));
  ++instance.counts[0];
  if (record.finished) ++instance.finished[0];
  runs.push_back({target, instance.configs.size() - 1});
  ++new_configs_;
}

void HyperbandDesigner::Update(const std::vector<const Trial*>& finished,
                               const std::vector<const Trial*>& active) {
  instances_.clear();
  runs_of_.clear();
  observed_.clear();
  pending_.clear();
  new_configs_ = 0;
  next_id_ = 1;
  first_not_full_ = first_rungs_open_ = first_incomplete_ = 0;

  std::vector<const Trial*> trials;
  trials.reserve(finished.size() + active.size());
  trials.insert(trials.end(), finished.begin(), finished.end());
  trials.insert(trials.end(), active.begin(), active.end());
  std::sort(trials.begin(), trials.end(),
            [](const Trial* a, const Trial* b) { return a->id < b->id; });
  for (const Trial* trial : trials) {
    Record record;
    record.id = trial->id;
    record.finished = IsFinal(trial->state);
    record.value = record.finished ? ValueOf(*trial) : kWorst;
    Ingest(trial->parameters, record, trial);
    next_id_ = std::max(next_id_, trial->id + 1);
  }
}

// ---------------------------------------------------------------- deciding

std::vector<size_t> HyperbandDesigner::Ranked(const Instance& instance, size_t rung) const {
  std::vector<size_t> out;
  for (size_t c = 0; c < instance.configs.size(); ++c) {
    const ConfigRun& run = instance.configs[c];
    if (run.rungs.size() > rung && run.rungs[rung].finished) out.push_back(c);
  }
  std::sort(out.begin(), out.end(), [&](size_t a, size_t b) {
    const Record& ra = instance.configs[a].rungs[rung];
    const Record& rb = instance.configs[b].rungs[rung];
    if (ra.value != rb.value) return ra.value > rb.value;
    return ra.id < rb.id;
  });
  return out;
}

Assignment HyperbandDesigner::WithResource(Assignment config, int64_t resource) const {
  if (!options_.resource.empty()) config[options_.resource] = resource;
  return config;
}

std::optional<Assignment> HyperbandDesigner::SampleBayesian() {
  if (!bayesian_) return std::nullopt;
  std::map<int64_t, size_t> with_values;
  for (const Observed& o : observed_) {
    if (o.has_value) ++with_values[o.resource];
  }
  const size_t needed = config_space_.parameters.size() + 2;
  std::optional<int64_t> budget;
  for (auto it = with_values.rbegin(); it != with_values.rend(); ++it) {
    if (it->second >= needed) {
      budget = it->first;
      break;
    }
  }
  if (!budget) return std::nullopt;
  if (gp_ == nullptr) {
    DesignerOptions options;
    options.algorithm = "bayesian";
    options.seed = DeriveSeed(seed_, kBayesianStream);
    // The sampler is used only once `needed` results exist: model from then on.
    options.initial_trials = static_cast<int>(needed);
    absl::StatusOr<std::unique_ptr<Designer>> gp =
        MakeDesigner(options, config_space_, objectives_);
    if (!gp.ok()) return std::nullopt;
    gp_ = std::move(*gp);
  }
  std::vector<const Trial*> finished;
  for (const Observed& o : observed_) {
    if (o.resource == *budget) finished.push_back(&o.trial);
  }
  // Running configurations not yet measured at this budget are pending.
  std::vector<Trial> pending;
  for (const Assignment& config : pending_) {
    bool measured = false;
    for (const Trial* t : finished) measured = measured || t->parameters == config;
    if (measured) continue;
    Trial trial;
    trial.id = next_id_ + static_cast<int64_t>(pending.size());
    trial.parameters = config;
    pending.push_back(std::move(trial));
  }
  std::vector<const Trial*> active;
  for (const Trial& t : pending) active.push_back(&t);
  gp_->Update(finished, active);
  std::vector<Assignment> got = gp_->Suggest(1);
  if (got.empty()) return std::nullopt;
  return std::move(got.front());
}

Assignment HyperbandDesigner::SampleConfig() {
  if (new_configs_ < static_cast<int64_t>(warm_configs_.size())) {
    sampled_origin_ = warm_configs_[static_cast<size_t>(new_configs_)].origin;
    return warm_configs_[static_cast<size_t>(new_configs_)].parameters;
  }
  sampled_origin_ = "hyperband";
  if (std::optional<Assignment> config = SampleBayesian()) return std::move(*config);
  const std::vector<const Trial*> drawn(static_cast<size_t>(new_configs_), Placeholder());
  random_.Update(drawn, {});
  return std::move(random_.Suggest(1).front());
}

Assignment HyperbandDesigner::StartIn(int64_t k) {
  return WithResource(SampleConfig(), schedule_.BracketOfInstance(k).rungs[0].resource);
}

std::optional<Assignment> HyperbandDesigner::NextAsync() {
  while (first_rungs_open_ < instances_.size() && RungsFull(instances_[first_rungs_open_])) {
    ++first_rungs_open_;
  }
  for (size_t i = first_rungs_open_; i < instances_.size(); ++i) {
    const Instance& instance = instances_[i];
    const HyperbandBracket& bracket = BracketOf(instance);
    for (size_t rung = bracket.rungs.size() - 1; rung-- > 0;) {
      const int64_t room = bracket.rungs[rung + 1].size - instance.counts[rung + 1];
      if (room <= 0 || instance.finished[rung] == 0) continue;
      // The top floor(c * n_{i+1} / n_i) of the c finished results may move up.
      const __int128 allowed = static_cast<__int128>(instance.finished[rung]) *
                               bracket.rungs[rung + 1].size / bracket.rungs[rung].size;
      const std::vector<size_t> ranked = Ranked(instance, rung);
      for (size_t r = 0; r < ranked.size() && static_cast<__int128>(r) < allowed; ++r) {
        const ConfigRun& run = instance.configs[ranked[r]];
        if (run.rungs.size() == rung + 1) {
          return WithResource(run.config, bracket.rungs[rung + 1].resource);
        }
      }
    }
  }
  while (first_not_full_ < instances_.size() && IsFull(instances_[first_not_full_])) {
    ++first_not_full_;
  }
  return StartIn(static_cast<int64_t>(first_not_full_));  // == size(): the next to open
}

std::optional<Assignment> HyperbandDesigner::NextSync() {
  while (first_incomplete_ < instances_.size() && IsComplete(instances_[first_incomplete_])) {
    ++first_incomplete_;
  }
  if (first_incomplete_ == instances_.size()) {
    return StartIn(static_cast<int64_t>(first_incomplete_));
  }
  const Instance& instance = instances_[first_incomplete_];
  const HyperbandBracket& bracket = BracketOf(instance);
  if (instance.counts[0] < bracket.rungs[0].size) {
    return StartIn(instance.k);
  }
  for (size_t rung = 1; rung < bracket.rungs.size(); ++rung) {
    if (instance.counts[rung] >= bracket.rungs[rung].size) continue;
    // Rung `rung - 1` is full; it must also have finished.
    if (instance.finished[rung - 1] < instance.counts[rung - 1]) return std::nullopt;
    for (size_t c : Ranked(instance, rung - 1)) {
      const ConfigRun& run = instance.configs[c];
      if (run.rungs.size() == rung) {
        return WithResource(run.config, bracket.rungs[rung].resource);
      }
    }
    return std::nullopt;
  }
  return std::nullopt;  // every rung is full; waiting for the last trials
}

std::vector<Assignment> HyperbandDesigner::Suggest(int count) {
  std::vector<Assignment> out;
  origins_.clear();
  for (int i = 0; i < count; ++i) {
    sampled_origin_ = "hyperband";  // a promotion samples nothing
    std::optional<Assignment> next = sync_ ? NextSync() : NextAsync();
    if (!next) break;
    origins_.push_back(sampled_origin_);
    Record record;
    record.id = next_id_++;
    Ingest(*next, record, nullptr);
    out.push_back(std::move(*next));
  }
  return out;
}

}  // namespace tuner
