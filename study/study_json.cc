#include "study/study_json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "absl/status/status.h"
#include "algorithms/designer_factory.h"
#include "algorithms/gp_designer.h"
#include "algorithms/stopping_asha.h"
#include "study/identifier.h"
#include "study/json_path.h"
#include "study/json_reader.h"
#include "study/json_text.h"
#include "study/parameters_json.h"
#include "study/trainer_json.h"

namespace tuner {
namespace {

constexpr size_t kMaxStudyNameLength = 128;
constexpr int kMaxInt = std::numeric_limits<int>::max();

const std::vector<std::string>& TopLevelKeys() {
  static const auto* keys = new std::vector<std::string>{"name",
                                                         "objective",
                                                         "objectives",
                                                         "algorithm",
                                                         "max_trials",
                                                         "max_parallel_trials",
                                                         "max_failed_trials",
                                                         "early_stopping",
                                                         "warm_start",
                                                         "parameters",
                                                         "trainer"};
  return *keys;
}

// "1.5", "2" (%g).
std::string ShortNumber(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", value);
  return buffer;
}

bool IsStudyNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

void ParseStudyName(ObjectReader& reader, FaultList* faults, StudySpec* spec) {
  const Json* value = reader.Require("name", "letters, digits, '_', '.' or '-'");
  if (value == nullptr) return;
  const std::string path = reader.PathOf("name");
  std::optional<std::string> name = ReadString(*value, path, faults);
  if (!name) return;
  if (name->empty()) {
    faults->Add(path, "must not be empty");
    return;
  }
  if (name->size() > kMaxStudyNameLength) {
    faults->Add(path, "must be at most " + std::to_string(kMaxStudyNameLength) +
                          " characters (got " + std::to_string(name->size()) + ")");
    return;
  }
  if (*name == "." || *name == "..") {
    // A study's name becomes a directory name (its trials' output).
    faults->Add(path, "must not be \".\" or \"..\" (the name is used as a directory name)");
    return;
  }
  for (size_t i = 0; i < name->size(); ++i) {
    if (!IsStudyNameChar((*name)[i])) {
      faults->Add(path, "may contain only letters, digits, '_', '.' and '-' (got " +
                            Describe(*value) + ", position " + std::to_string(i) + ")");
      return;
    }
  }
  spec->name = std::move(*name);
}

std::optional<Objective> ParseObjective(const Json& value, const std::string& path,
                                        FaultList* faults) {
  if (!value.is_object()) {
    faults->Add(path,
                "expected an object {\"metric\": ..., \"goal\": ...}, got " + TypeName(value));
    return std::nullopt;
  }
  const size_t faults_before = faults->size();
  ObjectReader reader(value, path, {"metric", "goal"}, faults);
  Objective objective;
  if (const Json* metric = reader.Require("metric", "the name of the metric to optimise")) {
    std::optional<std::string> name = ReadString(*metric, reader.PathOf("metric"), faults);
    if (name && name->empty()) faults->Add(reader.PathOf("metric"), "must not be empty");
    if (name) objective.metric = std::move(*name);
  }
  if (const Json* goal = reader.Require("goal", "maximize or minimize")) {
    std::optional<std::string> name =
        ReadChoice(*goal, reader.PathOf("goal"), GoalChoices(), faults);
    if (name) objective.goal = *name == "minimize" ? Goal::kMinimize : Goal::kMaximize;
  }
  if (faults->size() != faults_before) return std::nullopt;
  return objective;
}

void ParseObjectives(ObjectReader& reader, FaultList* faults, StudySpec* spec) {
  const Json* single = reader.Find("objective");
  const Json* several = reader.Find("objectives");
  if (single == nullptr && several == nullptr) {
    faults->Add(reader.PathOf("objective"),
                "required ({\"metric\": ..., \"goal\": ...}, or `objectives` for several)");
    return;
  }
  if (single != nullptr && several != nullptr) {
    faults->Add(reader.PathOf("objectives"),
                "not allowed together with objective (use objective for one metric, "
                "objectives for several)");
  }
  if (single != nullptr) {
    if (std::optional<Objective> o = ParseObjective(*single, reader.PathOf("objective"), faults)) {
      spec->objectives.push_back(std::move(*o));
    }
  }
  if (several == nullptr) return;
  const std::string path = reader.PathOf("objectives");
  if (!several->is_array()) {
    faults->Add(path, "expected an array of objectives, got " + TypeName(*several));
    return;
  }
  if (several->empty()) {
    faults->Add(path, "must list at least one objective");
    return;
  }
  std::map<std::string, size_t> seen;  // metric -> first index
  for (size_t i = 0; i < several->size(); ++i) {
    const std::string item_path = IndexPath(path, i);
    std::optional<Objective> o = ParseObjective((*several)[i], item_path, faults);
    if (!o) continue;
    auto [it, inserted] = seen.emplace(o->metric, i);
    if (!inserted) {
      faults->Add(KeyPath(item_path, "metric"), "duplicate metric " + Quote(o->metric) + " (also " +
                                                    IndexPath(path, it->second) + ")");
      continue;
    }
    if (single == nullptr) spec->objectives.push_back(std::move(*o));
  }
}

// ---- hyperband (docs/hyperband.md)
constexpr int64_t kMaxResource = int64_t{1} << 53;

const NamedChoices& HyperbandVariantChoices() {
  static const NamedChoices* choices = new NamedChoices{{"async", "sync"}};
  return *choices;
}

const NamedChoices& HyperbandSamplerChoices() {
  static const NamedChoices* choices = new NamedChoices{{"random", "bayesian"}};
  return *choices;
}

// `resource`: {"name": identifier, "min": integer >= 1 (default 1), "max": integer > min}.
// Sets `*resource` only when all of it is valid.
void ParseHyperbandResource(const Json& value, const std::string& path, FaultList* faults,
                            AlgorithmSpec::Resource* resource) {
  if (!value.is_object()) {
    faults->Add(path, "expected an object {\"name\": ..., \"min\": ..., \"max\": ...}, got " +
                          TypeName(value));
    return;
  }
  const size_t faults_before = faults->size();
  ObjectReader reader(value, path, {"name", "min", "max"}, faults);
  AlgorithmSpec::Resource out;
  if (const Json* name = reader.Require("name", "the trainer argument that takes the budget")) {
    std::optional<std::string> s = ReadString(*name, reader.PathOf("name"), faults);
    if (s && (!IsIdentifier(*s) || s->size() > kMaxParameterNameLength)) {
      faults->Add(reader.PathOf("name"),
                  "must be an identifier (a letter or '_', then letters, digits or '_'), got " +
                      Describe(*name));
    } else if (s) {
      out.name = std::move(*s);
    }
  }
  const bool min_ok = !reader.Find("min") || reader.Integer("min", 1, kMaxResource, &out.min);
  if (const Json* max = reader.Require("max", "the largest budget, an integer > min")) {
    std::optional<int64_t> v = ReadInteger(*max, reader.PathOf("max"), 1, kMaxResource, faults);
    if (v && min_ok && *v <= out.min) {
      faults->Add(reader.PathOf("max"),
                  "must be greater than min (" + std::to_string(out.min) + ")");
    } else if (v) {
      out.max = *v;
    }
  }
  if (faults->size() == faults_before) *resource = std::move(out);
}

void ParseHyperband(ObjectReader& reader, FaultList* faults, AlgorithmSpec* algorithm) {
  if (const Json* resource =
          reader.Require("resource", R"({"name": ..., "min": ..., "max": ...})")) {
    ParseHyperbandResource(*resource, reader.PathOf("resource"), faults, &algorithm->resource);
  }
  if (const Json* eta = reader.Find("eta")) {
    std::optional<double> v = ReadNumber(*eta, reader.PathOf("eta"), faults);
    if (v && *v < 2.0) {
      faults->Add(reader.PathOf("eta"), "must be at least 2 (got " + Describe(*eta) + ")");
    } else if (v) {
      algorithm->eta = *v;
    }
  }
  reader.Choice("variant", HyperbandVariantChoices(), &algorithm->variant);
  reader.Choice("sampler", HyperbandSamplerChoices(), &algorithm->sampler);
}

// Appends the hyperband resource to the search space as an integer parameter;
// a fault when a parameter has its name.
void AddHyperbandResource(const Json* parameters, const std::string& parameters_path,
                          const std::string& algorithm_path, FaultList* faults, StudySpec* spec) {
  const AlgorithmSpec::Resource& resource = spec->algorithm.resource;
  if (spec->algorithm.name != AlgorithmName::kHyperband || resource.name.empty()) return;
  if (parameters != nullptr && parameters->is_array()) {
    for (size_t i = 0; i < parameters->size(); ++i) {
      const Json& p = (*parameters)[i];
      if (p.is_object() && p.contains("name") && p["name"] == resource.name) {
        faults->Add(KeyPath(KeyPath(algorithm_path, "resource"), "name"),
                    Quote(resource.name) + " is already a parameter (" +
                        KeyPath(IndexPath(parameters_path, i), "name") +
                        "); the resource needs a name of its own");
        return;
      }
    }
  }
  ParameterSpec p;
  p.name = resource.name;
  p.type = ParameterType::kInteger;
  p.min = static_cast<double>(resource.min);
  p.max = static_cast<double>(resource.max);
  spec->space.parameters.push_back(std::move(p));
}

// ---- pbt (docs/pbt.md)

// A number in [lo, hi] (or (lo, hi] when `open_lo`) into *out.
void ReadUnitRange(ObjectReader& reader, const char* key, double lo, double hi, bool open_lo,
                   const std::string& what, FaultList* faults, double* out) {
  const Json* value = reader.Find(key);
  if (value == nullptr) return;
  std::optional<double> v = ReadNumber(*value, reader.PathOf(key), faults);
  if (!v) return;
  if (!std::isfinite(*v) || *v > hi || *v < lo || (open_lo && *v == lo)) {
    faults->Add(reader.PathOf(key), "must be " + what + " (got " + Describe(*value) + ")");
    return;
  }
  *out = *v;
}

void ParsePbt(ObjectReader& reader, FaultList* faults, AlgorithmSpec::Pbt* pbt) {
  reader.Integer("population", 2, 1000, &pbt->population);
  reader.Integer("interval", int64_t{1}, int64_t{1} << 53, &pbt->interval);
  ReadUnitRange(reader, "quantile", 0.0, 0.5, /*open_lo=*/true, "in (0, 0.5]", faults,
                &pbt->quantile);
  ReadUnitRange(reader, "resample_probability", 0.0, 1.0, /*open_lo=*/false, "in [0, 1]", faults,
                &pbt->resample_probability);
  if (const Json* perturb = reader.Find("perturb")) {
    const bool pair = perturb->is_array() && perturb->size() == 2 && (*perturb)[0].is_number() &&
                      (*perturb)[1].is_number();
    const double lo = pair ? (*perturb)[0].get<double>() : 0.0;
    const double hi = pair ? (*perturb)[1].get<double>() : 0.0;
    if (!pair || !(lo > 0.0 && lo < 1.0 && hi > 1.0 && std::isfinite(hi))) {
      faults->Add(reader.PathOf("perturb"),
                  "expected [low, high] with 0 < low < 1 < high, the factors a parameter is "
                  "multiplied by (got " +
                      Describe(*perturb) + ")");
    } else {
      pbt->perturb_low = lo;
      pbt->perturb_high = hi;
    }
  }
}

// PBT decides which members stop, and its members train side by side.
void CheckPbt(const ObjectReader& reader, FaultList* faults, const StudySpec& spec) {
  if (spec.algorithm.name != AlgorithmName::kPbt) return;
  if (spec.early_stopping.rule != StoppingRuleName::kNone) {
    faults->Add(reader.PathOf("early_stopping"),
                "pbt decides which members stop (the bottom quantile at each interval); "
                "remove early_stopping or set its rule to none");
  }
  if (spec.max_parallel_trials < spec.algorithm.pbt.population) {
    faults->Add(reader.PathOf("max_parallel_trials"),
                "pbt trains its population side by side: must be at least algorithm.population (" +
                    std::to_string(spec.algorithm.pbt.population) + "), got " +
                    std::to_string(spec.max_parallel_trials));
  }
  if (spec.objectives.size() > 1) {
    faults->Add(reader.PathOf("objectives"), "pbt optimises a single objective");
  }
}

void ParseAlgorithm(const Json& value, const std::string& path, FaultList* faults,
                    AlgorithmSpec* algorithm) {
  ObjectReader reader(
      value, path,
      {"name", "seed", "acquisition", "initial_trials", "resource", "eta", "variant", "sampler",
       "population", "interval", "quantile", "resample_probability", "perturb"},
      faults);
  const bool named = reader.Choice("name", AlgorithmChoices(), &algorithm->name);
  reader.Unsigned("seed", &algorithm->seed);
  // Options of the bayesian designer; an error on any other (valid) algorithm.
  const bool name_ok = named || reader.Find("name") == nullptr;
  for (const char* key : {"acquisition", "initial_trials"}) {
    if (reader.Find(key) != nullptr && name_ok && algorithm->name != AlgorithmName::kBayesian) {
      faults->Add(reader.PathOf(key), "only the bayesian algorithm takes this option");
    }
  }
  if (algorithm->name == AlgorithmName::kBayesian) {
    reader.Choice("acquisition", AcquisitionChoices(), &algorithm->acquisition);
    reader.Integer("initial_trials", 1, 100000, &algorithm->initial_trials);
  }
  // Options of hyperband, likewise.
  for (const char* key : {"resource", "eta", "variant", "sampler"}) {
    if (reader.Find(key) != nullptr && name_ok && algorithm->name != AlgorithmName::kHyperband) {
      faults->Add(reader.PathOf(key), "only the hyperband algorithm takes this option");
    }
  }
  if (algorithm->name == AlgorithmName::kHyperband) ParseHyperband(reader, faults, algorithm);
  // Options of pbt, likewise.
  for (const char* key :
       {"population", "interval", "quantile", "resample_probability", "perturb"}) {
    if (reader.Find(key) != nullptr && name_ok && algorithm->name != AlgorithmName::kPbt) {
      faults->Add(reader.PathOf(key), "only the pbt algorithm takes this option");
    }
  }
  if (algorithm->name == AlgorithmName::kPbt) ParsePbt(reader, faults, &algorithm->pbt);
}

// ---- warm start (docs/warm-start.md)

void ParseWarmStart(const Json& value, const std::string& path, FaultList* faults,
                    StudySpec* spec) {
  ObjectReader reader(value, path, {"studies"}, faults);
  const Json* studies = reader.Require("studies", "an array of the names of earlier studies");
  if (studies == nullptr) return;
  const std::string list_path = reader.PathOf("studies");
  if (!studies->is_array() || studies->empty() ||
      studies->size() > static_cast<size_t>(kMaxWarmStartStudies)) {
    faults->Add(list_path, "expected an array of 1 to " + std::to_string(kMaxWarmStartStudies) +
                               " study names (got " + Describe(*studies) + ")");
    return;
  }
  for (size_t i = 0; i < studies->size(); ++i) {
    const std::string item_path = list_path + "[" + std::to_string(i) + "]";
    const Json& item = (*studies)[i];
    std::optional<std::string> name = ReadString(item, item_path, faults);
    if (!name) continue;
    const bool valid = !name->empty() && name->size() <= kMaxStudyNameLength &&
                       std::all_of(name->begin(), name->end(), IsStudyNameChar);
    if (!valid) {
      faults->Add(item_path, "not a study name (letters, digits, '_', '.' or '-'; got " +
                                 Describe(item) + ")");
    } else if (*name == spec->name) {
      faults->Add(item_path, "a study cannot warm-start from itself");
    } else if (std::find(spec->warm_start.studies.begin(), spec->warm_start.studies.end(), *name) !=
               spec->warm_start.studies.end()) {
      faults->Add(item_path, "study " + Quote(*name) + " is listed twice");
    } else {
      spec->warm_start.studies.push_back(std::move(*name));
    }
  }
  if (spec->algorithm.name == AlgorithmName::kGrid || spec->algorithm.name == AlgorithmName::kPbt) {
    faults->Add(path, std::string("algorithm ") +
                          (spec->algorithm.name == AlgorithmName::kGrid ? "grid" : "pbt") +
                          " does not take a warm start (random, sobol, bayesian and hyperband do)");
  }
}

// ---- early stopping (docs/early-stopping.md)

// The rules each rule-specific key of `early_stopping` belongs to, as said in
// its fault ("only for rule asha"). `min_trials` and `grace_steps` are also
// accepted (and ignored) with rule none.
struct EarlyStoppingKey {
  const char* key;
  std::vector<std::string> rules;
  const char* belongs;  // for the fault
};

const std::vector<EarlyStoppingKey>& EarlyStoppingKeys() {
  static const auto* keys = new std::vector<EarlyStoppingKey>{
      {"min_trials", {"none", "median", "percentile", "asha"}, "rules median, percentile and asha"},
      {"use_running_average", {"median", "percentile"}, "rules median and percentile"},
      {"percentile", {"percentile"}, "rule percentile"},
      {"threshold", {"threshold"}, "rule threshold"},
      {"eta", {"asha"}, "rule asha"},
      {"min_resource", {"asha"}, "rule asha"},
  };
  return *keys;
}

void ParseEarlyStopping(const Json& value, const std::string& path, FaultList* faults,
                        EarlyStoppingSpec* early_stopping) {
  ObjectReader reader(value, path,
                      {"rule", "min_trials", "grace_steps", "use_running_average", "percentile",
                       "threshold", "eta", "min_resource"},
                      faults);
  const bool named = reader.Choice("rule", StoppingRuleChoices(), &early_stopping->rule);
  const StoppingRuleName rule = early_stopping->rule;
  reader.Integer("grace_steps", 0, kMaxInt, &early_stopping->grace_steps);
  // With an invalid rule only that fault is reported, not its keys'.
  if (!named && reader.Find("rule") != nullptr) return;
  for (const EarlyStoppingKey& k : EarlyStoppingKeys()) {
    if (reader.Find(k.key) != nullptr &&
        std::find(k.rules.begin(), k.rules.end(), ToString(rule)) == k.rules.end()) {
      faults->Add(reader.PathOf(k.key), std::string("only for ") + k.belongs);
    }
  }
  if (rule != StoppingRuleName::kThreshold)
    reader.Integer("min_trials", 1, kMaxInt, &early_stopping->min_trials);
  if (rule == StoppingRuleName::kMedian || rule == StoppingRuleName::kPercentile) {
    if (const Json* v = reader.Find("use_running_average")) {
      if (v->is_boolean()) {
        early_stopping->use_running_average = v->get<bool>();
      } else {
        faults->Add(reader.PathOf("use_running_average"),
                    "expected true or false, got " + Describe(*v));
      }
    }
  }
  if (rule == StoppingRuleName::kPercentile) {
    if (const Json* v = reader.Require("percentile", "a number in (0, 100), exclusive")) {
      std::optional<double> p = ReadNumber(*v, reader.PathOf("percentile"), faults);
      if (p && !(*p > 0 && *p < 100)) {
        faults->Add(reader.PathOf("percentile"),
                    "must be greater than 0 and less than 100 (got " + Describe(*v) + ")");
      } else if (p) {
        early_stopping->percentile = *p;
      }
    }
  }
  if (rule == StoppingRuleName::kThreshold) {
    if (const Json* v = reader.Require("threshold", "the value a trial must beat, a number")) {
      if (std::optional<double> t = ReadNumber(*v, reader.PathOf("threshold"), faults)) {
        early_stopping->threshold = *t;
      }
    }
  }
  if (rule == StoppingRuleName::kAsha) {
    if (const Json* v = reader.Find("eta")) {
      std::optional<double> eta = ReadNumber(*v, reader.PathOf("eta"), faults);
      if (eta && !(*eta >= AshaStoppingRule::kMinEta)) {
        // Below that, rungs crowd together (docs/early-stopping.md, "Limits").
        faults->Add(reader.PathOf("eta"), "must be at least " +
                                              ShortNumber(AshaStoppingRule::kMinEta) + " (got " +
                                              Describe(*v) + ")");
      } else if (eta) {
        early_stopping->eta = *eta;
      }
    }
    reader.Integer("min_resource", int64_t{1}, int64_t{1} << 53, &early_stopping->min_resource);
  }
}

// The GP's memory grows with its features (kMaxGpFeatures, gp_designer.h):
// the bayesian algorithm, and hyperband's bayesian sampler, take at most that
// many. `space` is without the hyperband resource (not a GP feature).
void CheckGpFeatures(const AlgorithmSpec& algorithm, const SearchSpace& space,
                     const std::string& path, FaultList* faults) {
  const bool gp = algorithm.name == AlgorithmName::kBayesian ||
                  (algorithm.name == AlgorithmName::kHyperband && algorithm.sampler == "bayesian");
  if (!gp) return;
  const int features = GpFeatureCount(space);
  if (features <= kMaxGpFeatures) return;
  faults->Add(path, "too large for " +
                        std::string(algorithm.name == AlgorithmName::kBayesian
                                        ? "the bayesian algorithm"
                                        : "hyperband's bayesian sampler") +
                        ": at most " + std::to_string(kMaxGpFeatures) +
                        " features (one per numeric parameter, one per categorical value), got " +
                        std::to_string(features) +
                        "; use fewer categorical values or algorithm random, sobol or grid");
}

// trainer.metrics.names of a stdout or hypertune study: the objectives'
// metrics when left out; when given, it must hold each of them (the last
// measurement is the trial's result).
void ResolveCollectedMetrics(const std::string& path, FaultList* faults, StudySpec* spec) {
  MetricsSpec& metrics = spec->trainer.metrics;
  if (metrics.source == MetricSource::kGrpc) return;
  if (metrics.names.empty()) {
    for (const Objective& objective : spec->objectives) metrics.names.push_back(objective.metric);
    return;
  }
  for (const Objective& objective : spec->objectives) {
    if (std::find(metrics.names.begin(), metrics.names.end(), objective.metric) ==
        metrics.names.end()) {
      faults->Add(path, "must include the objective's metric " + Quote(objective.metric) +
                            " (a trial's result is its last measurement)");
    }
  }
}

void ParseStudyObject(const Json& document, FaultList* faults, StudySpec* spec) {
  ObjectReader reader(document, "", TopLevelKeys(), faults);
  ParseStudyName(reader, faults, spec);
  ParseObjectives(reader, faults, spec);
  if (const Json* algorithm = reader.Object("algorithm")) {
    ParseAlgorithm(*algorithm, reader.PathOf("algorithm"), faults, &spec->algorithm);
  }
  reader.Integer("max_trials", int64_t{1}, std::numeric_limits<int64_t>::max(), &spec->max_trials);
  reader.Integer("max_parallel_trials", 1, kMaxInt, &spec->max_parallel_trials);
  reader.Integer("max_failed_trials", 0, kMaxInt, &spec->max_failed_trials);
  if (const Json* early_stopping = reader.Object("early_stopping")) {
    ParseEarlyStopping(*early_stopping, reader.PathOf("early_stopping"), faults,
                       &spec->early_stopping);
  }
  if (const Json* warm_start = reader.Object("warm_start")) {
    ParseWarmStart(*warm_start, reader.PathOf("warm_start"), faults, spec);
  }
  const Json* parameters = reader.Require("parameters", "a non-empty array of parameter objects");
  if (parameters != nullptr) {
    const size_t faults_before = faults->size();
    ParseParameters(*parameters, reader.PathOf("parameters"), faults, &spec->space);
    if (faults->size() == faults_before) {
      CheckGpFeatures(spec->algorithm, spec->space, reader.PathOf("parameters"), faults);
    }
  }
  AddHyperbandResource(parameters, reader.PathOf("parameters"), reader.PathOf("algorithm"), faults,
                       spec);
  CheckPbt(reader, faults, *spec);
  if (const Json* trainer = reader.Find("trainer")) {
    spec->has_trainer = true;
    ParseTrainer(*trainer, reader.PathOf("trainer"), faults, &spec->trainer);
    ResolveCollectedMetrics(reader.PathOf("trainer") + ".metrics.names", faults, spec);
  }
}

}  // namespace

std::string StudyFault::ToString() const {
  if (path.empty()) return message;
  return path + ": " + message;
}

StudyParseResult ParseStudy(std::string_view json_text) {
  StudyParseResult result;
  try {
    JsonText text = ReadJsonText(json_text);
    FaultList faults;
    for (StudyFault& fault : text.faults)
      faults.Add(std::move(fault.path), std::move(fault.message));
    if (text.value) {
      if (text.value->is_object()) {
        ParseStudyObject(*text.value, &faults, &result.spec);
      } else {
        faults.Add("", "expected a JSON object at the top level, got " + TypeName(*text.value));
      }
    }
    result.faults = std::move(faults.faults());
    SortByDocumentOrder(text.order, &result.faults);
  } catch (const std::exception& e) {
    // Not expected; keeps the promise that parsing never throws.
    result.faults.push_back({"", std::string("internal error while validating: ") + e.what()});
  }
  return result;
}

absl::StatusOr<StudySpec> ParseStudyOrError(std::string_view json_text) {
  StudyParseResult result = ParseStudy(json_text);
  if (result.ok()) return std::move(result.spec);
  std::string message;
  for (const StudyFault& fault : result.faults) {
    if (!message.empty()) message += '\n';
    message += fault.ToString();
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace tuner
