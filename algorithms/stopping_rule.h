// A StoppingRule decides, for every intermediate value a running trial
// reports, whether the trial should stop early. The rules and their exact
// semantics are in docs/early-stopping.md; each lives in its own file
// (algorithms/stopping_{median,percentile,threshold,asha}.h). Pure: it sees only what it is
// told, keeps its own per-step aggregates and updates them incrementally, so a
// decision costs O(log n) rather than a scan of the history.
//
// Contract: values are the objective metric as reported, with the goal given
// at construction (the rule orients them). The owner replays the history on
// restart (Observe for every stored measurement in order, Finish for every
// finished trial), so the same history gives the same decisions. Not
// thread-safe: the owner serialises calls.
#ifndef TUNER_ALGORITHMS_STOPPING_RULE_H_
#define TUNER_ALGORITHMS_STOPPING_RULE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "algorithms/objective.h"
#include "algorithms/trial.h"

namespace tuner {

struct StoppingDecision {
  bool stop = false;
  // Why, with the numbers, e.g. "val_accuracy 0.61 (best so far) at step 4
  // is worse than the median 0.72 of 6 completed trials". Empty when `stop`
  // is false.
  std::string reason;
};

class StoppingRule {
 public:
  virtual ~StoppingRule() = default;
  // Trial `trial_id` reported `value` at `step` (steps increase per trial).
  // A report at a step not above the trial's previous one, a non-finite
  // value, or a report for a trial already finished is ignored (continue).
  // Never stops at a step below grace_steps.
  virtual StoppingDecision Observe(int64_t trial_id, int64_t step, double value) = 0;
  // The trial reached a final state; COMPLETED curves then count as evidence
  // for the others (STOPPED, FAILED and INFEASIBLE ones do not; ASHA keeps
  // every value recorded at its rungs whatever the trial's fate).
  virtual void Finish(int64_t trial_id, TrialState state) = 0;
};

struct StoppingRuleOptions {
  std::string rule = "none";  // none | median | percentile | threshold | asha
  Goal goal = Goal::kMaximize;
  std::string metric;                // named in reasons; "" = "value"
  int min_trials = 5;                // median/percentile/asha: completed trials needed first (>= 1)
  int grace_steps = 0;               // never stop at a step below this (>= 0)
  bool use_running_average = false;  // median/percentile: compare running averages
  double percentile = 50.0;          // percentile: in (0, 100); the best `percentile`% continue
  double threshold = 0.0;            // threshold: stop when the best so far is worse (finite)
  double eta = 3.0;                  // asha: reduction factor (>= 1.5, finite)
  int64_t min_resource = 1;          // asha: first rung, in steps (>= 1)
  // "pbt": the half of Population-Based Training that stops members
  // (algorithms/pbt.h); set by the pbt algorithm, not by early_stopping.
  int64_t pbt_interval = 4;    // >= 1
  double pbt_quantile = 0.25;  // (0, 0.5]
};

// nullptr for rule "none"; InvalidArgument for an unknown rule or an option
// of the chosen rule out of range (options of other rules are not checked).
absl::StatusOr<std::unique_ptr<StoppingRule>> MakeStoppingRule(const StoppingRuleOptions& options);

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_STOPPING_RULE_H_
