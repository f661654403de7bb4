// The median and percentile rules: hand-computed decisions and reasons, and a
// randomized cross-check of the incremental aggregates against a brute-force
// recomputation from the stored curves.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "algorithms/stopping_completed_curves.h"
#include "algorithms/stopping_rule.h"

namespace tuner {
namespace {

std::unique_ptr<StoppingRule> Make(const StoppingRuleOptions& options) {
  absl::StatusOr<std::unique_ptr<StoppingRule>> rule = MakeStoppingRule(options);
  REQUIRE(rule.ok());
  REQUIRE(*rule != nullptr);
  return std::move(*rule);
}

// Reports `values` at steps 1, 2, ... then finishes the trial as `state`.
void RunTrial(StoppingRule& rule, int64_t id, const std::vector<double>& values,
              TrialState state = TrialState::kCompleted) {
  for (size_t i = 0; i < values.size(); ++i)
    rule.Observe(id, static_cast<int64_t>(i + 1), values[i]);
  rule.Finish(id, state);
}

StoppingRuleOptions Median(Goal goal, int min_trials, int grace_steps) {
  StoppingRuleOptions o;
  o.rule = "median";
  o.goal = goal;
  o.min_trials = min_trials;
  o.grace_steps = grace_steps;
  return o;
}

TEST_CASE("median, maximize: best so far against the completed trials' medians", "[stopping]") {
  StoppingRuleOptions o = Median(Goal::kMaximize, 3, 2);
  o.metric = "val_accuracy";
  std::unique_ptr<StoppingRule> rule = Make(o);
  // Best so far per step: T1 .5 .6 .7 .8; T2 .4 .4 .6 .6; T3 .2 .5 .5 .9.
  RunTrial(*rule, 1, {0.5, 0.6, 0.7, 0.8});
  RunTrial(*rule, 2, {0.4, 0.3, 0.6, 0.5});
  // Two completed trials are fewer than min_trials: nothing stops.
  CHECK_FALSE(rule->Observe(10, 2, 0.0).stop);
  RunTrial(*rule, 3, {0.2, 0.5, 0.4, 0.9});

  // Step 1 is within the grace period, however bad.
  CHECK_FALSE(rule->Observe(4, 1, 0.1).stop);
  // Step 2: median of {.6, .4, .5} is .5.
  const StoppingDecision d = rule->Observe(4, 2, 0.45);
  CHECK(d.stop);
  CHECK(d.reason ==
        "val_accuracy 0.45 (best so far) at step 2 is worse than the median 0.5 of 3 completed "
        "trials");
  // Equal to the median is not worse.
  CHECK_FALSE(rule->Observe(5, 2, 0.5).stop);
  // Step 3: median of {.7, .6, .5} is .6; its best so far .55.
  const StoppingDecision d5 = rule->Observe(5, 3, 0.55);
  CHECK(d5.stop);
  CHECK(d5.reason ==
        "val_accuracy 0.55 (best so far) at step 3 is worse than the median 0.6 of 3 completed "
        "trials");
  // A good early value carries: best so far .9 at step 4 vs median .8.
  CHECK_FALSE(rule->Observe(6, 2, 0.9).stop);
  CHECK_FALSE(rule->Observe(6, 4, 0.1).stop);

  // A fourth completed trial: step 2 now holds {.4, .5, .6, .7}, median .55.
  RunTrial(*rule, 7, {0.7, 0.1});
  CHECK(rule->Observe(8, 2, 0.54).stop);
  CHECK_FALSE(rule->Observe(9, 2, 0.55).stop);
}

TEST_CASE("median, minimize: lower is better", "[stopping]") {
  StoppingRuleOptions o = Median(Goal::kMinimize, 3, 0);
  o.metric = "loss";
  std::unique_ptr<StoppingRule> rule = Make(o);
  // Best so far (lowest): T1 .5 .5; T2 .4 .3; T3 .2 .2.
  RunTrial(*rule, 1, {0.5, 0.6});
  RunTrial(*rule, 2, {0.4, 0.3});
  RunTrial(*rule, 3, {0.2, 0.5});
  // Step 1: median of {.5, .4, .2} is .4.
  CHECK_FALSE(rule->Observe(4, 1, 0.4).stop);
  const StoppingDecision d = rule->Observe(4, 2, 0.35);
  CHECK(d.stop);  // median of {.5, .3, .2} is .3
  CHECK(d.reason ==
        "loss 0.35 (best so far) at step 2 is worse than the median 0.3 of 3 completed trials");
  const StoppingDecision e = rule->Observe(5, 1, 0.41);
  CHECK(e.stop);
  CHECK(e.reason ==
        "loss 0.41 (best so far) at step 1 is worse than the median 0.4 of 3 completed trials");
}

TEST_CASE("median with running averages: reason and decision", "[stopping]") {
  StoppingRuleOptions o = Median(Goal::kMaximize, 3, 2);
  o.use_running_average = true;
  o.metric = "acc";
  std::unique_ptr<StoppingRule> rule = Make(o);
  RunTrial(*rule, 1, {0.5, 0.6});
  RunTrial(*rule, 2, {0.4, 0.3});
  RunTrial(*rule, 3, {0.2, 0.5});
  CHECK_FALSE(rule->Observe(4, 1, 0.3).stop);  // grace
  const StoppingDecision d = rule->Observe(4, 2, 0.38);
  CHECK(d.stop);
  CHECK(d.reason ==
        "acc 0.34 (running average) at step 2 is worse than the median 0.35 of 3 completed "
        "trials");
  // Averaging .36 at step 2 is above the median .35 (its best so far, .4, would be
  // below the median .5 of the best values).
  CHECK_FALSE(rule->Observe(5, 1, 0.32).stop);
  CHECK_FALSE(rule->Observe(5, 2, 0.4).stop);  // average .36 >= .35
}

TEST_CASE("median: min_trials counts completed trials, not stopped or failed ones", "[stopping]") {
  std::unique_ptr<StoppingRule> rule = Make(Median(Goal::kMaximize, 2, 0));
  RunTrial(*rule, 1, {0.9, 0.9});
  RunTrial(*rule, 2, {0.9, 0.9}, TrialState::kStopped);
  RunTrial(*rule, 3, {0.9, 0.9}, TrialState::kFailed);
  CHECK_FALSE(rule->Observe(4, 1, 0.1).stop);  // one completed trial
  RunTrial(*rule, 5, {0.8, 0.8});
  const StoppingDecision d = rule->Observe(4, 2, 0.1);
  CHECK(d.stop);
  CHECK(d.reason ==
        "value 0.1 (best so far) at step 2 is worse than the median 0.85 of 2 "
        "completed trials");
}

TEST_CASE("median: sparse and uneven steps carry completed values forward", "[stopping]") {
  std::unique_ptr<StoppingRule> rule = Make(Median(Goal::kMaximize, 2, 0));
  // Completed, finished in an order that creates steps between existing ones:
  // T3 at 25; T1 at 10, 20, 30; T2 at 5, 15.
  rule->Observe(3, 25, 0.9);
  rule->Finish(3, TrialState::kCompleted);
  rule->Observe(1, 10, 0.3);
  rule->Observe(1, 20, 0.5);
  rule->Observe(1, 30, 0.6);
  rule->Finish(1, TrialState::kCompleted);
  rule->Observe(2, 5, 0.2);
  rule->Observe(2, 15, 0.4);
  rule->Finish(2, TrialState::kCompleted);

  // Before any completed trial reported: no evidence.
  CHECK_FALSE(rule->Observe(10, 3, -100.0).stop);
  // Step 7: only T2 (.2) had reported: fewer than min_trials values.
  CHECK_FALSE(rule->Observe(11, 7, -100.0).stop);
  // Step 12: T2 .2 (from step 5), T1 .3 -> median .25.
  const StoppingDecision d = rule->Observe(12, 12, 0.24);
  CHECK(d.stop);
  CHECK(d.reason ==
        "value 0.24 (best so far) at step 12 is worse than the median 0.25 of 2 completed trials");
  CHECK_FALSE(rule->Observe(13, 12, 0.25).stop);
  // Step 27: T1 .5 (from 20), T2 .4 (from 15), T3 .9 -> median .5.
  CHECK(rule->Observe(14, 27, 0.49).stop);
  CHECK_FALSE(rule->Observe(15, 27, 0.5).stop);
  // Beyond every completed trial: their final values .6, .4, .9 -> .6.
  const StoppingDecision far = rule->Observe(16, 1000, 0.59);
  CHECK(far.stop);
  CHECK(far.reason ==
        "value 0.59 (best so far) at step 1000 is worse than the median 0.6 of 3 completed trials");
}

const double kFive[] = {0.1, 0.2, 0.3, 0.4, 0.5};

TEST_CASE("percentile: counted from the best, both goals", "[stopping]") {
  StoppingRuleOptions o;
  o.rule = "percentile";
  o.percentile = 25;
  o.min_trials = 5;
  o.metric = "acc";
  for (Goal goal : {Goal::kMaximize, Goal::kMinimize}) {
    o.goal = goal;
    std::unique_ptr<StoppingRule> rule = Make(o);
    for (int i = 1; i <= 5; ++i) RunTrial(*rule, i, {kFive[i - 1]});
    if (goal == Goal::kMaximize) {
      // The best quarter starts at .4 (position 3 of 0..4 ascending).
      const StoppingDecision d = rule->Observe(10, 1, 0.39);
      CHECK(d.stop);
      CHECK(d.reason ==
            "acc 0.39 (best so far) at step 1 is worse than the 25th percentile (from "
            "the best) 0.4 of 5 completed trials");
      CHECK_FALSE(rule->Observe(11, 1, 0.4).stop);
    } else {
      const StoppingDecision d = rule->Observe(10, 1, 0.21);
      CHECK(d.stop);
      CHECK(d.reason ==
            "acc 0.21 (best so far) at step 1 is worse than the 25th percentile (from "
            "the best) 0.2 of 5 completed trials");
      CHECK_FALSE(rule->Observe(11, 1, 0.2).stop);
    }
  }
  // p = 90 keeps nearly everyone: boundary at position 0.4 -> .1 + .4 * .1 = .14.
  o.goal = Goal::kMaximize;
  o.percentile = 90;
  std::unique_ptr<StoppingRule> rule = Make(o);
  for (int i = 1; i <= 5; ++i) RunTrial(*rule, i, {kFive[i - 1]});
  CHECK(rule->Observe(10, 1, 0.13).stop);
  CHECK_FALSE(rule->Observe(11, 1, 0.15).stop);
  // p = 50 is the median.
  o.percentile = 50;
  std::unique_ptr<StoppingRule> p50 = Make(o);
  for (int i = 1; i <= 5; ++i) RunTrial(*p50, i, {kFive[i - 1]});
  CHECK(p50->Observe(10, 1, 0.29).stop);
  CHECK_FALSE(p50->Observe(11, 1, 0.3).stop);
}

TEST_CASE("median ignores bad reports and finished trials", "[stopping]") {
  std::unique_ptr<StoppingRule> rule = Make(Median(Goal::kMaximize, 1, 0));
  RunTrial(*rule, 1, {0.5, 0.5});
  CHECK_FALSE(rule->Observe(2, 1, std::nan("")).stop);
  CHECK_FALSE(rule->Observe(2, 1, 0.6).stop);
  CHECK_FALSE(rule->Observe(2, 1, 0.1).stop);  // same step again: ignored
  CHECK_FALSE(rule->Observe(1, 3, 0.0).stop);  // finished trial: ignored
  CHECK(rule->Observe(3, 2, 0.4).stop);
}

// ---------------------------------------------------------------- cross-check

struct Report {
  int64_t trial;
  int64_t step;
  double value;
};

// Recomputes the decision from scratch from the completed curves.
class BruteForceMedian {
 public:
  explicit BruteForceMedian(const StoppingRuleOptions& o) : o_(o) {}

  bool Observe(int64_t trial, int64_t step, double value) {
    std::vector<std::pair<int64_t, double>>& curve = running_[trial];
    curve.emplace_back(step, o_.goal == Goal::kMaximize ? value : -value);
    const double mine = Aggregate(curve, step);
    if (step < o_.grace_steps || static_cast<int>(completed_.size()) < o_.min_trials) return false;
    std::vector<double> values;
    for (const auto& [id, c] : completed_) {
      if (c.front().first <= step) values.push_back(Aggregate(c, step));
    }
    if (static_cast<int>(values.size()) < o_.min_trials) return false;
    std::sort(values.begin(), values.end());
    const double q = 1.0 - o_.percentile / 100.0;
    const double pos = q * static_cast<double>(values.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    double boundary = values[lo];
    if (lo + 1 < values.size() && pos != std::floor(pos)) {
      boundary = values[lo] + (pos - std::floor(pos)) * (values[lo + 1] - values[lo]);
    }
    return mine < boundary;
  }

  void Finish(int64_t trial, TrialState state) {
    auto it = running_.find(trial);
    if (it == running_.end()) return;
    if (state == TrialState::kCompleted && !it->second.empty()) completed_[trial] = it->second;
    running_.erase(it);
  }

 private:
  // Best or mean of the scores at steps <= step.
  double Aggregate(const std::vector<std::pair<int64_t, double>>& curve, int64_t step) const {
    double best = -INFINITY, sum = 0;
    int n = 0;
    for (const auto& [s, v] : curve) {
      if (s > step) break;
      best = std::max(best, v);
      sum += v;
      ++n;
    }
    return o_.use_running_average ? sum / n : best;
  }

  StoppingRuleOptions o_;
  std::map<int64_t, std::vector<std::pair<int64_t, double>>> running_;
  std::map<int64_t, std::vector<std::pair<int64_t, double>>> completed_;
};

TEST_CASE("median and percentile agree with a brute-force recomputation", "[stopping]") {
  for (const char* name : {"median", "percentile"}) {
    for (bool average : {false, true}) {
      for (Goal goal : {Goal::kMaximize, Goal::kMinimize}) {
        StoppingRuleOptions o;
        o.rule = name;
        o.goal = goal;
        o.min_trials = 4;
        o.grace_steps = 3;
        o.use_running_average = average;
        o.percentile = std::string(name) == "median" ? 50.0 : 30.0;
        INFO(name << " average=" << average << " maximize=" << (goal == Goal::kMaximize));
        std::unique_ptr<StoppingRule> rule = Make(o);
        BruteForceMedian brute(o);
        std::mt19937_64 rng(20240601 + (average ? 1 : 0) + (goal == Goal::kMaximize ? 2 : 0));
        std::uniform_real_distribution<double> unit(0.0, 1.0);

        // Up to 8 trials run at once; 200 in all; steps advance by 1..3.
        struct Active {
          int64_t id, step;
          double quality;
        };
        std::vector<Active> active;
        int64_t next_id = 1;
        int stops = 0, decisions = 0;
        while (next_id <= 200 || !active.empty()) {
          while (active.size() < 8 && next_id <= 200) active.push_back({next_id++, 0, unit(rng)});
          const size_t i = static_cast<size_t>(rng() % active.size());
          Active& a = active[i];
          a.step += 1 + static_cast<int64_t>(rng() % 3);
          // Values rise with steps, noisily, and are rounded so that ties occur.
          const double value =
              std::round(100 * (a.quality * (1 - std::exp(-0.1 * a.step)) + 0.2 * unit(rng))) / 100;
          const StoppingDecision got = rule->Observe(a.id, a.step, value);
          const bool want = brute.Observe(a.id, a.step, value);
          REQUIRE(got.stop == want);
          ++decisions;
          TrialState end = TrialState::kActive;
          if (got.stop) {
            end = TrialState::kStopped;
            ++stops;
          } else if (a.step >= 30 || unit(rng) < 0.03) {
            end = unit(rng) < 0.1 ? TrialState::kFailed : TrialState::kCompleted;
          }
          if (end != TrialState::kActive) {
            rule->Finish(a.id, end);
            brute.Finish(a.id, end);
            active.erase(active.begin() + static_cast<std::ptrdiff_t>(i));
          }
        }
        CHECK(decisions > 400);
        CHECK(stops > 20);  // the check exercised both outcomes
      }
    }
  }
}

TEST_CASE("completed curves keep at most kMaxEvidenceSteps steps, whatever steps clients use",
          "[stopping][bounds]") {
  using stopping_internal::CompletedCurves;
  CompletedCurves curves(/*use_running_average=*/false);
  // Three completed trials, each reporting at 1500 steps no other uses: the
  // unbounded evidence would hold 4500 steps x 3 trials.
  for (int64_t id = 1; id <= 3; ++id) {
    for (int64_t k = 1; k <= 1500; ++k) curves.Observe(id, k * 3 + id, static_cast<double>(k));
    curves.Finish(id, /*as_evidence=*/true);
  }
  CHECK(curves.stored_steps() == CompletedCurves::kMaxEvidenceSteps);
  CHECK(curves.completed() == 3);
  // Evidence beyond the stored steps still holds every completed trial, each
  // with its aggregate as of the last stored step.
  const auto* late = curves.EvidenceAt(1'000'000);
  REQUIRE(late != nullptr);
  CHECK(late->size() == 3);
  // Below the cap nothing changes: steps 1..10 of a fresh instance are all kept.
  CompletedCurves small(false);
  for (int64_t step = 1; step <= 10; ++step) small.Observe(1, step, 0.5);
  small.Finish(1, true);
  CHECK(small.stored_steps() == 10);
}

}  // namespace
}  // namespace tuner
