// The stopping-rule factory, the threshold rule, and replay determinism of
// every rule.
#include "algorithms/stopping_rule.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace tuner {
namespace {

std::unique_ptr<StoppingRule> Make(const StoppingRuleOptions& options) {
  absl::StatusOr<std::unique_ptr<StoppingRule>> rule = MakeStoppingRule(options);
  REQUIRE(rule.ok());
  REQUIRE(*rule != nullptr);
  return std::move(*rule);
}

std::string ErrorOf(const StoppingRuleOptions& options) {
  absl::StatusOr<std::unique_ptr<StoppingRule>> rule = MakeStoppingRule(options);
  REQUIRE_FALSE(rule.ok());
  CHECK(rule.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(rule.status().message());
}

StoppingRuleOptions Rule(const std::string& name) {
  StoppingRuleOptions o;
  o.rule = name;
  return o;
}

TEST_CASE("MakeStoppingRule: none is no rule, the others are built", "[stopping]") {
  absl::StatusOr<std::unique_ptr<StoppingRule>> none = MakeStoppingRule(Rule("none"));
  REQUIRE(none.ok());
  CHECK(*none == nullptr);
  for (const char* name : {"median", "percentile", "threshold", "asha"}) {
    INFO(name);
    CHECK(Make(Rule(name)) != nullptr);
  }
}

TEST_CASE("MakeStoppingRule rejects bad options", "[stopping]") {
  CHECK(ErrorOf(Rule("mean")) ==
        R"(unknown early stopping rule "mean" (known: none, median, percentile, threshold, asha))");
  StoppingRuleOptions o = Rule("percentile");
  o.percentile = 0;
  CHECK(ErrorOf(o) ==
        "early stopping rule percentile: percentile must be in (0, 100), exclusive "
        "(got 0)");
  o.percentile = 100;
  CHECK_THAT(ErrorOf(o), Catch::Contains("(got 100)"));
  o.percentile = std::nan("");
  CHECK_THAT(ErrorOf(o), Catch::Contains("percentile must be in (0, 100)"));
  o = Rule("median");
  o.min_trials = 0;
  CHECK(ErrorOf(o) == "early stopping rule median: min_trials must be at least 1 (got 0)");
  o = Rule("threshold");
  o.grace_steps = -1;
  CHECK(ErrorOf(o) == "early stopping rule threshold: grace_steps must be at least 0 (got -1)");
  o = Rule("threshold");
  o.threshold = INFINITY;
  CHECK(ErrorOf(o) == "early stopping rule threshold: threshold must be a finite number (got inf)");
  o = Rule("asha");
  o.eta = 1;
  CHECK(ErrorOf(o) == "early stopping rule asha: eta must be a finite number >= 1.5 (got 1)");
  o.eta = 1.000001;  // once took the server to 1.7 GiB (a rung per millionth of growth)
  CHECK(ErrorOf(o) == "early stopping rule asha: eta must be a finite number >= 1.5 (got 1)");
  o.eta = 1.4999;
  CHECK(ErrorOf(o) == "early stopping rule asha: eta must be a finite number >= 1.5 (got 1.4999)");
  o.eta = 1.5;
  CHECK(MakeStoppingRule(o).ok());
  o.eta = 2;
  o.min_resource = 0;
  CHECK(ErrorOf(o) == "early stopping rule asha: min_resource must be at least 1 (got 0)");
  // Options of other rules are not checked: median ignores eta.
  o = Rule("median");
  o.eta = -5;
  CHECK(MakeStoppingRule(o).ok());
}

TEST_CASE("threshold: best so far against a fixed value, both goals", "[stopping]") {
  StoppingRuleOptions o = Rule("threshold");
  o.threshold = 0.5;
  o.grace_steps = 2;
  o.metric = "acc";
  std::unique_ptr<StoppingRule> max_rule = Make(o);
  CHECK_FALSE(max_rule->Observe(1, 1, 0.1).stop);  // grace
  const StoppingDecision d = max_rule->Observe(1, 2, 0.4);
  CHECK(d.stop);
  CHECK(d.reason == "acc 0.4 (best so far) at step 2 is worse than the threshold 0.5 (maximizing)");
  CHECK_FALSE(max_rule->Observe(2, 1, 0.6).stop);
  CHECK_FALSE(max_rule->Observe(2, 2, 0.2).stop);  // best so far .6
  CHECK_FALSE(max_rule->Observe(3, 5, 0.5).stop);  // equal is not worse

  o.goal = Goal::kMinimize;
  o.metric = "";
  std::unique_ptr<StoppingRule> min_rule = Make(o);
  CHECK_FALSE(min_rule->Observe(1, 1, 0.7).stop);
  const StoppingDecision e = min_rule->Observe(1, 3, 0.6);
  CHECK(e.stop);
  CHECK(e.reason ==
        "value 0.6 (best so far) at step 3 is worse than the threshold 0.5 (minimizing)");
  CHECK_FALSE(min_rule->Observe(2, 3, 0.4).stop);
}

// One step of a random history: a report or a finish.
struct Call {
  bool finish;
  int64_t trial, step;
  double value;
  TrialState state;
};

TEST_CASE("replaying the same calls on a fresh rule gives the same decisions", "[stopping]") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<Call> calls;
  for (int64_t trial = 1; trial <= 60; ++trial) {
    const double quality = unit(rng);
    const int64_t steps = 1 + static_cast<int64_t>(rng() % 30);
    for (int64_t s = 1; s <= steps; ++s) {
      calls.push_back({false, trial, s, quality * s / 30.0 + 0.1 * unit(rng), TrialState::kActive});
    }
    calls.push_back(
        {true, trial, 0, 0, unit(rng) < 0.8 ? TrialState::kCompleted : TrialState::kFailed});
  }
  for (const char* name : {"median", "percentile", "threshold", "asha"}) {
    INFO(name);
    StoppingRuleOptions o = Rule(name);
    o.min_trials = 3;
    o.grace_steps = 2;
    o.percentile = 40;
    o.threshold = 0.3;
    auto run = [&](std::vector<std::string>* out) {
      std::unique_ptr<StoppingRule> rule = Make(o);
      for (const Call& c : calls) {
        if (c.finish) {
          rule->Finish(c.trial, c.state);
        } else {
          const StoppingDecision d = rule->Observe(c.trial, c.step, c.value);
          out->push_back(d.stop ? d.reason : "");
        }
      }
    };
    std::vector<std::string> first, second;
    run(&first);
    run(&second);
    CHECK(first == second);
    int stops = 0;
    for (const std::string& r : first) stops += r.empty() ? 0 : 1;
    CHECK(stops > 0);
  }
}

}  // namespace
}  // namespace tuner
