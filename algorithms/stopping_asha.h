// Asynchronous successive halving as a stopping rule (Li et al., "A System
// for Massively Parallel Hyperparameter Tuning", MLSys 2020).
//
// Rungs sit at r_k = min_resource * eta^k steps, k = 0, 1, 2, ... When a
// running trial first reports at a step >= r_k, the value it reports there is
// recorded at rung k (a report that jumps over several rungs is recorded at
// each, lowest first). The trial then continues only if fewer than
// max(1, floor(n / eta)) of the n values recorded at rung k so far (itself
// included) are strictly better than its own; i.e. it must be in the top
// 1/eta, ties resolved in its favour. While the rung holds fewer than eta
// values the bar is max(1, .) = 1: the trial continues only if it is the best
// there so far (as Optuna's SuccessiveHalvingPruner). Rung k never stops a
// trial at a step below grace_steps or before min_trials trials completed;
// the value is recorded all the same, and the trial is not judged at that
// rung again. Recorded values stay whatever happens to their trials later
// (as in ASHA, where a rung is the record of everything that reached it).
// Once stopped, every later report of the trial repeats the stop.
//
// Bounds (docs/early-stopping.md, "Limits"): eta >= kMinEta and at most
// kMaxRungs rungs (k = 0 .. kMaxRungs - 1); a report beyond the last rung's
// step is judged at no further rung. So a trial is recorded at most kMaxRungs
// times, and the rule's memory is O(kMaxRungs x trials that reported) whatever
// the options and steps (with eta = 1.000001 there used to be a rung per
// millionth of growth: ~5 million rungs below step 200).
//
// Observe is O(log n) per rung crossed; Finish O(1).
#ifndef TUNER_ALGORITHMS_STOPPING_ASHA_H_
#define TUNER_ALGORITHMS_STOPPING_ASHA_H_

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "algorithms/stopping_common.h"
#include "algorithms/stopping_rule.h"

namespace tuner {

class AshaStoppingRule : public StoppingRule {
 public:
  // The smallest eta accepted (MakeStoppingRule, the study validator).
  static constexpr double kMinEta = 1.5;
  // Rungs k = 0 .. kMaxRungs - 1. With eta >= 1.5 rung 63 sits at step
  // >= 1.5^63 ~ 1.2e11, beyond any real training run.
  static constexpr size_t kMaxRungs = 64;

  // `options` valid for rule "asha" (eta >= kMinEta, finite; min_resource >= 1).
  explicit AshaStoppingRule(const StoppingRuleOptions& options);

  StoppingDecision Observe(int64_t trial_id, int64_t step, double value) override;
  void Finish(int64_t trial_id, TrialState state) override;

  // r_k, the step of rung k (as a real number: eta need not be an integer);
  // +infinity for k >= kMaxRungs (there is no such rung).
  double RungStep(size_t k) const;
  // How many values rung k holds (0 for a rung nobody reached).
  size_t RecordedAt(size_t k) const { return k < rungs_.size() ? rungs_[k].size() : 0; }
  // Rungs that hold at least one value (<= kMaxRungs).
  size_t RungCount() const { return rungs_.size(); }
  // Values held over all rungs (<= kMaxRungs x trials that reported).
  size_t RecordedTotal() const;
  // Trials the rule keeps per-trial state for (running or finished).
  size_t TrackedTrials() const { return running_.size() + finished_.size(); }

 private:
  struct Running {
    int64_t last_step = 0;
    size_t next_rung = 0;
    std::string stop_reason;  // non-empty once stopped
  };
  StoppingRuleOptions options_;
  std::vector<double> rung_steps_;  // kMaxRungs entries
  std::vector<stopping_internal::OrderStatisticsSet> rungs_;
  std::unordered_map<int64_t, Running> running_;
  std::unordered_set<int64_t> finished_;
  int64_t completed_ = 0;
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_STOPPING_ASHA_H_
