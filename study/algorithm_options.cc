#include "study/algorithm_options.h"

namespace tuner {

DesignerOptions DesignerOptionsFor(const StudySpec& spec) {
  DesignerOptions o;
  o.algorithm = ToString(spec.algorithm.name);
  o.seed = spec.algorithm.seed;
  o.acquisition = spec.algorithm.acquisition;
  o.initial_trials = spec.algorithm.initial_trials;
  o.max_trials = spec.max_trials;
  o.hyperband = {spec.algorithm.resource.name, spec.algorithm.eta, spec.algorithm.variant,
                 spec.algorithm.sampler};
  const AlgorithmSpec::Pbt& pbt = spec.algorithm.pbt;
  o.pbt = {pbt.population,           pbt.interval,    pbt.quantile,
           pbt.resample_probability, pbt.perturb_low, pbt.perturb_high};
  return o;
}

StoppingRuleOptions StoppingOptionsFor(const StudySpec& spec) {
  const EarlyStoppingSpec& es = spec.early_stopping;
  StoppingRuleOptions o;
  o.rule = ToString(es.rule);
  o.goal = spec.objectives.empty() ? Goal::kMaximize : spec.objectives.front().goal;
  if (!spec.objectives.empty()) o.metric = spec.objectives.front().metric;
  o.min_trials = es.min_trials;
  o.grace_steps = es.grace_steps;
  o.use_running_average = es.use_running_average;
  o.percentile = es.percentile;
  o.threshold = es.threshold;
  o.eta = es.eta;
  o.min_resource = es.min_resource;
  // PBT stops members itself (its early_stopping rule is none).
  if (spec.algorithm.name == AlgorithmName::kPbt) {
    o.rule = "pbt";
    o.pbt_interval = spec.algorithm.pbt.interval;
    o.pbt_quantile = spec.algorithm.pbt.quantile;
  }
  return o;
}

}  // namespace tuner
