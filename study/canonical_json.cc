// ToCanonicalJson: every field, in the order docs/study-format.md lists them.
#include <variant>

#include "study/json_text.h"
#include "study/study_json.h"

namespace tuner {
namespace {

Json ValueToJson(const ParameterValue& value) {
  return std::visit([](const auto& v) { return Json(v); }, value);
}

Json ObjectiveToJson(const Objective& objective) {
  Json out = Json::object();
  out["metric"] = objective.metric;
  out["goal"] = objective.goal == Goal::kMinimize ? "minimize" : "maximize";
  return out;
}

Json ParameterToJson(const ParameterSpec& p) {
  Json out = Json::object();
  out["name"] = p.name;
  out["type"] = ToString(p.type);
  switch (p.type) {
    case ParameterType::kDouble:
      out["min"] = p.min;
      out["max"] = p.max;
      break;
    case ParameterType::kInteger:
      out["min"] = static_cast<int64_t>(p.min);
      out["max"] = static_cast<int64_t>(p.max);
      break;
    case ParameterType::kDiscrete:
    case ParameterType::kCategorical: {
      Json values = Json::array();
      for (const ParameterValue& v : p.values) values.push_back(ValueToJson(v));
      out["values"] = std::move(values);
      break;
    }
  }
  if (p.type != ParameterType::kCategorical) out["scale"] = ToString(p.scale);
  if (p.when) {
    Json values = Json::array();
    for (const ParameterValue& v : p.when->values) values.push_back(ValueToJson(v));
    Json when = Json::object();
    when[p.when->parent] = std::move(values);
    out["when"] = std::move(when);
  }
  if (p.default_value) out["default"] = ValueToJson(*p.default_value);
  if (p.preprocessing) out["role"] = "preprocessing";
  return out;
}

// The objectives' metrics: trainer.metrics.names when the file leaves it out.
std::vector<std::string> ObjectiveMetrics(const StudySpec& spec) {
  std::vector<std::string> names;
  for (const Objective& objective : spec.objectives) names.push_back(objective.metric);
  return names;
}

Json TrainerToJson(const TrainerSpec& t, const std::vector<std::string>& default_names) {
  Json out = Json::object();
  out["command"] = t.command;
  out["cluster"] =
      Json{{"chief", t.cluster.chief}, {"worker", t.cluster.worker}, {"ps", t.cluster.ps}};
  Json env = Json::object();
  for (const auto& [name, value] : t.env) env[name] = value;
  out["env"] = std::move(env);
  out["backend"] = ToString(t.backend);
  out["timeout_s"] = t.timeout_s;
  // Only when set, so that studies without retries keep their canonical form.
  if (t.max_retries > 0) out["max_retries"] = t.max_retries;
  if (t.keep_checkpoints != 2) out["keep_checkpoints"] = t.keep_checkpoints;
  Json metrics = Json::object();
  metrics["source"] = ToString(t.metrics.source);
  // Only when not the default, so that studies written before keep their form.
  if (t.metrics.source != MetricSource::kGrpc && !t.metrics.names.empty() &&
      t.metrics.names != default_names) {
    metrics["names"] = t.metrics.names;
  }
  if (!t.metrics.pattern.empty()) metrics["pattern"] = t.metrics.pattern;
  if (t.metrics.source == MetricSource::kStdout) metrics["step_key"] = t.metrics.step_key;
  out["metrics"] = std::move(metrics);
  if (t.job_dir) out["job_dir"] = true;
  if (t.backend == Backend::kSlurm) {
    Json slurm = Json::object();
    if (!t.slurm.partition.empty()) slurm["partition"] = t.slurm.partition;
    if (!t.slurm.time_limit.empty()) slurm["time_limit"] = t.slurm.time_limit;
    slurm["cpus_per_task"] = t.slurm.cpus_per_task;
    slurm["gpus_per_task"] = t.slurm.gpus_per_task;
    slurm["extra_args"] = t.slurm.extra_args;
    out["slurm"] = std::move(slurm);
  }
  // Only when set, so that studies without limits keep their canonical form.
  if (t.resources.memory > 0 || t.resources.cpus_per_rank > 0 || t.resources.gpus_per_rank > 0) {
    Json resources = Json::object();
    if (t.resources.memory > 0) resources["memory"] = t.resources.memory;
    if (t.resources.cpus_per_rank > 0) resources["cpus_per_rank"] = t.resources.cpus_per_rank;
    if (t.resources.gpus_per_rank > 0) resources["gpus_per_rank"] = t.resources.gpus_per_rank;
    out["resources"] = std::move(resources);
  }
  return out;
}

// Only the keys of the rule (see ParseEarlyStopping).
Json EarlyStoppingToJson(const EarlyStoppingSpec& e) {
  Json out = Json::object();
  out["rule"] = ToString(e.rule);
  if (e.rule != StoppingRuleName::kThreshold) out["min_trials"] = e.min_trials;
  out["grace_steps"] = e.grace_steps;
  if (e.rule == StoppingRuleName::kMedian || e.rule == StoppingRuleName::kPercentile) {
    out["use_running_average"] = e.use_running_average;
  }
  if (e.rule == StoppingRuleName::kPercentile) out["percentile"] = e.percentile;
  if (e.rule == StoppingRuleName::kThreshold) out["threshold"] = e.threshold;
  if (e.rule == StoppingRuleName::kAsha) {
    out["eta"] = e.eta;
    out["min_resource"] = e.min_resource;
  }
  return out;
}

}  // namespace

std::string ToCanonicalJson(const StudySpec& spec) {
  Json out = Json::object();
  out["name"] = spec.name;
  if (spec.objectives.size() == 1) {
    out["objective"] = ObjectiveToJson(spec.objectives.front());
  } else {
    Json objectives = Json::array();
    for (const Objective& o : spec.objectives) objectives.push_back(ObjectiveToJson(o));
    out["objectives"] = std::move(objectives);
  }
  out["algorithm"] = Json{{"name", ToString(spec.algorithm.name)}, {"seed", spec.algorithm.seed}};
  if (spec.algorithm.name == AlgorithmName::kBayesian) {
    out["algorithm"]["acquisition"] = spec.algorithm.acquisition;
    if (spec.algorithm.initial_trials > 0) {
      out["algorithm"]["initial_trials"] = spec.algorithm.initial_trials;
    }
  }
  const bool hyperband = spec.algorithm.name == AlgorithmName::kHyperband;
  if (hyperband) {
    const AlgorithmSpec::Resource& r = spec.algorithm.resource;
    out["algorithm"]["resource"] = Json{{"name", r.name}, {"min", r.min}, {"max", r.max}};
    out["algorithm"]["eta"] = spec.algorithm.eta;
    out["algorithm"]["variant"] = spec.algorithm.variant;
    out["algorithm"]["sampler"] = spec.algorithm.sampler;
  }
  if (spec.algorithm.name == AlgorithmName::kPbt) {
    const AlgorithmSpec::Pbt& p = spec.algorithm.pbt;
    out["algorithm"]["population"] = p.population;
    out["algorithm"]["interval"] = p.interval;
    out["algorithm"]["quantile"] = p.quantile;
    out["algorithm"]["resample_probability"] = p.resample_probability;
    out["algorithm"]["perturb"] = Json::array({p.perturb_low, p.perturb_high});
  }
  out["max_trials"] = spec.max_trials;
  out["max_parallel_trials"] = spec.max_parallel_trials;
  out["max_failed_trials"] = spec.max_failed_trials;
  out["early_stopping"] = EarlyStoppingToJson(spec.early_stopping);
  if (!spec.warm_start.studies.empty())
    out["warm_start"] = Json{{"studies", spec.warm_start.studies}};
  Json parameters = Json::array();
  for (const ParameterSpec& p : spec.space.parameters) {
    // The hyperband resource is in `algorithm`; the parser adds it back.
    if (hyperband && p.name == spec.algorithm.resource.name) continue;
    parameters.push_back(ParameterToJson(p));
  }
  out["parameters"] = std::move(parameters);
  if (spec.has_trainer) out["trainer"] = TrainerToJson(spec.trainer, ObjectiveMetrics(spec));
  return out.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace tuner
