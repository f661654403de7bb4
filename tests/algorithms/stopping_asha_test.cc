// ASHA as a stopping rule: rung placement, the top-1/eta test, its warm-up
// conditions, and hand-computed reasons for both goals.
#include "algorithms/stopping_asha.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

namespace tuner {
namespace {

StoppingRuleOptions Asha(Goal goal, int min_trials, int grace_steps) {
  StoppingRuleOptions o;
  o.rule = "asha";
  o.goal = goal;
  o.metric = "acc";
  o.min_trials = min_trials;
  o.grace_steps = grace_steps;
  o.eta = 3;
  o.min_resource = 1;
  return o;
}

TEST_CASE("asha rungs sit at min_resource * eta^k", "[stopping]") {
  StoppingRuleOptions o = Asha(Goal::kMaximize, 1, 0);
  o.min_resource = 2;
  o.eta = 2.5;
  AshaStoppingRule rule(o);
  CHECK(rule.RungStep(0) == 2);
  CHECK(rule.RungStep(1) == 5);
  CHECK(rule.RungStep(2) == 12.5);
  // A report at step 12 has reached rungs 0 and 1, not rung 2.
  rule.Observe(1, 12, 0.5);
  CHECK(rule.RecordedAt(0) == 1);
  CHECK(rule.RecordedAt(1) == 1);
  CHECK(rule.RecordedAt(2) == 0);
  rule.Observe(1, 13, 0.5);
  CHECK(rule.RecordedAt(2) == 1);
}

TEST_CASE("asha keeps the top 1/eta at each rung, maximize", "[stopping]") {
  AshaStoppingRule rule(Asha(Goal::kMaximize, 1, 0));
  // T1 completes: rung 0 {.5}, rung 1 {.6}, rung 2 {.7}.
  for (auto [step, v] : {std::pair{1, 0.5}, {2, 0.55}, {3, 0.6}, {9, 0.7}}) {
    CHECK_FALSE(rule.Observe(1, step, v).stop);
  }
  rule.Finish(1, TrialState::kCompleted);
  // Fewer than eta values at a rung: only the best there continues.
  const StoppingDecision c = rule.Observe(8, 1, 0.4);  // rung 0 {.5, .4}
  CHECK(c.stop);
  CHECK(c.reason ==
        "acc 0.4 at step 1 is not in the top 1 (1/3) of the 2 values at rung 0 (step 1): 1 are "
        "better, the 1st best is 0.5");
  rule.Finish(8, TrialState::kStopped);
  CHECK_FALSE(rule.Observe(2, 1, 0.6).stop);  // rung 0 {.5, .4, .6}: the best
  CHECK_FALSE(rule.Observe(2, 3, 0.8).stop);  // rung 1 {.6, .8}: the best
  rule.Finish(2, TrialState::kCompleted);
  // T3: rung 0 {.5, .4, .6, .3}: keep max(1, 4/3) = 1; three are better.
  const StoppingDecision d = rule.Observe(3, 1, 0.3);
  CHECK(d.stop);
  CHECK(d.reason ==
        "acc 0.3 at step 1 is not in the top 1 (1/3) of the 4 values at rung 0 (step 1): 3 are "
        "better, the 1st best is 0.6");
  // Reports after the stop repeat it.
  CHECK(rule.Observe(3, 2, 0.99).reason == d.reason);
  // T4: ties the best at rung 0 (5 values, keep 1), then second at rung 1 {.6, .8, .7}.
  CHECK_FALSE(rule.Observe(4, 1, 0.6).stop);
  CHECK_FALSE(rule.Observe(4, 2, 0.1).stop);  // no rung at step 2
  const StoppingDecision e = rule.Observe(4, 3, 0.7);
  CHECK(e.stop);
  CHECK(e.reason ==
        "acc 0.7 at step 3 is not in the top 1 (1/3) of the 3 values at rung 1 (step 3): 1 are "
        "better, the 1st best is 0.8");
  // T5 jumps from nothing to step 5: judged at rungs 0 and 1 with the same value.
  CHECK_FALSE(rule.Observe(5, 5, 0.9).stop);
  CHECK(rule.RecordedAt(0) == 6);
  CHECK(rule.RecordedAt(1) == 4);
  CHECK(rule.Observe(5, 9, 0.65).stop);  // rung 2 {.7, .65}: fewer than eta, not the best
  // T6 ties T4 at rung 0 {.5 .4 .6 .3 .6 .9 .6}: keep 2, one better: continues.
  CHECK_FALSE(rule.Observe(6, 1, 0.6).stop);
  // T7: 8 values, keep 2; .55 has .9, .6, .6, .6 above it.
  const StoppingDecision f = rule.Observe(7, 1, 0.55);
  CHECK(f.stop);
  CHECK(f.reason ==
        "acc 0.55 at step 1 is not in the top 2 (1/3) of the 8 values at rung 0 (step 1): 4 are "
        "better, the 2nd best is 0.6");
}

TEST_CASE("asha, minimize: lower is better", "[stopping]") {
  StoppingRuleOptions o = Asha(Goal::kMinimize, 1, 0);
  o.metric = "loss";
  AshaStoppingRule rule(o);
  rule.Observe(1, 1, 0.5);
  rule.Finish(1, TrialState::kCompleted);
  CHECK_FALSE(rule.Observe(2, 1, 0.2).stop);
  const StoppingDecision d = rule.Observe(3, 1, 0.3);
  CHECK(d.stop);
  CHECK(d.reason ==
        "loss 0.3 at step 1 is not in the top 1 (1/3) of the 3 values at rung 0 (step 1): 1 are "
        "better, the 1st best is 0.2");
  CHECK_FALSE(rule.Observe(4, 1, 0.1).stop);
}

TEST_CASE("asha never stops before grace_steps or min_trials", "[stopping]") {
  SECTION("grace_steps: recorded, not judged, and not judged again at that rung") {
    AshaStoppingRule rule(Asha(Goal::kMaximize, 1, 2));
    rule.Observe(1, 1, 0.9);
    rule.Finish(1, TrialState::kCompleted);
    rule.Observe(2, 1, 0.8);
    CHECK_FALSE(rule.Observe(3, 1, 0.1).stop);  // worst of 3 at rung 0, in grace
    CHECK(rule.RecordedAt(0) == 3);
    CHECK_FALSE(rule.Observe(3, 2, 0.1).stop);  // no rung at step 2
  }
  SECTION("min_trials: completed trials, not stopped ones") {
    AshaStoppingRule rule(Asha(Goal::kMaximize, 2, 0));
    rule.Observe(1, 1, 0.9);
    rule.Finish(1, TrialState::kCompleted);
    rule.Observe(2, 1, 0.8);
    rule.Finish(2, TrialState::kStopped);
    CHECK_FALSE(rule.Observe(3, 1, 0.1).stop);
    rule.Finish(3, TrialState::kCompleted);
    CHECK(rule.Observe(4, 1, 0.05).stop);  // two completed now; worst of 4
  }
}

}  // namespace
}  // namespace tuner
