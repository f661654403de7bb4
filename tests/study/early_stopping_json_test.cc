// The `early_stopping` object: every rule's keys, the faults for keys of
// another rule and for values out of range, and the canonical form.
#include <catch2/catch.hpp>
#include <string>

#include "study/study_json.h"

namespace tuner {
namespace {

std::string WithEarlyStopping(const std::string& early_stopping) {
  return R"({"name": "s", "objective": {"metric": "loss", "goal": "minimize"},
             "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
             "early_stopping": )" +
         early_stopping + "}";
}

EarlyStoppingSpec ParseOk(const std::string& early_stopping) {
  const StudyParseResult result = ParseStudy(WithEarlyStopping(early_stopping));
  for (const StudyFault& f : result.faults) INFO(f.ToString());
  REQUIRE(result.faults.empty());
  // The canonical form parses to the same spec.
  const StudyParseResult again = ParseStudy(ToCanonicalJson(result.spec));
  REQUIRE(again.faults.empty());
  const EarlyStoppingSpec& a = result.spec.early_stopping;
  const EarlyStoppingSpec& b = again.spec.early_stopping;
  CHECK(a.rule == b.rule);
  CHECK(a.min_trials == b.min_trials);
  CHECK(a.grace_steps == b.grace_steps);
  CHECK(a.use_running_average == b.use_running_average);
  CHECK(a.percentile == b.percentile);
  CHECK(a.threshold == b.threshold);
  CHECK(a.eta == b.eta);
  CHECK(a.min_resource == b.min_resource);
  return a;
}

// The only fault, as "path: message".
std::string FaultOf(const std::string& early_stopping) {
  const StudyParseResult result = ParseStudy(WithEarlyStopping(early_stopping));
  REQUIRE(result.faults.size() == 1);
  return result.faults[0].ToString();
}

TEST_CASE("early_stopping: every rule with its keys", "[stopping]") {
  EarlyStoppingSpec median = ParseOk(
      R"({"rule": "median", "min_trials": 4, "grace_steps": 2, "use_running_average": true})");
  CHECK(median.rule == StoppingRuleName::kMedian);
  CHECK(median.min_trials == 4);
  CHECK(median.grace_steps == 2);
  CHECK(median.use_running_average);

  EarlyStoppingSpec percentile = ParseOk(R"({"rule": "percentile", "percentile": 25.5})");
  CHECK(percentile.percentile == 25.5);
  CHECK(percentile.min_trials == 5);

  EarlyStoppingSpec threshold = ParseOk(R"({"rule": "threshold", "threshold": -0.5})");
  CHECK(threshold.threshold == -0.5);

  EarlyStoppingSpec asha =
      ParseOk(R"({"rule": "asha", "eta": 2.5, "min_resource": 4, "min_trials": 1})");
  CHECK(asha.eta == 2.5);
  CHECK(asha.min_resource == 4);
  CHECK(asha.min_trials == 1);

  // none keeps accepting the common keys, so a rule can be switched off alone.
  CHECK(ParseOk(R"({"rule": "none", "min_trials": 5, "grace_steps": 2})").rule ==
        StoppingRuleName::kNone);
}

TEST_CASE("early_stopping: a key of another rule names its rule", "[stopping]") {
  CHECK(FaultOf(R"({"rule": "median", "eta": 3})") == "early_stopping.eta: only for rule asha");
  CHECK(FaultOf(R"({"rule": "asha", "percentile": 30})") ==
        "early_stopping.percentile: only for rule percentile");
  CHECK(FaultOf(R"({"rule": "percentile", "percentile": 30, "threshold": 1})") ==
        "early_stopping.threshold: only for rule threshold");
  CHECK(FaultOf(R"({"rule": "threshold", "threshold": 1, "min_trials": 3})") ==
        "early_stopping.min_trials: only for rules median, percentile and asha");
  CHECK(FaultOf(R"({"rule": "asha", "use_running_average": true})") ==
        "early_stopping.use_running_average: only for rules median and percentile");
  CHECK(FaultOf(R"({"min_resource": 2})") == "early_stopping.min_resource: only for rule asha");
  // With an invalid rule, only the rule is at fault.
  CHECK(
      FaultOf(R"({"rule": "mediam", "eta": 3})") ==
      R"(early_stopping.rule: must be one of none, median, percentile, threshold, asha (got "mediam"; did you mean "median"?))");
}

TEST_CASE("early_stopping: values out of range", "[stopping]") {
  CHECK(FaultOf(R"({"rule": "percentile", "percentile": 100})") ==
        "early_stopping.percentile: must be greater than 0 and less than 100 (got 100)");
  CHECK(FaultOf(R"({"rule": "percentile", "percentile": 0})") ==
        "early_stopping.percentile: must be greater than 0 and less than 100 (got 0)");
  CHECK(FaultOf(R"({"rule": "percentile"})") ==
        "early_stopping.percentile: required (a number "
        "in (0, 100), exclusive)");
  CHECK(FaultOf(R"({"rule": "threshold", "threshold": "0.5"})") ==
        "early_stopping.threshold: expected a number, got string");
  CHECK(FaultOf(R"({"rule": "asha", "eta": 1})") ==
        "early_stopping.eta: must be at least 1.5 (got 1)");
  CHECK(FaultOf(R"({"rule": "asha", "eta": 1.000001})") ==
        "early_stopping.eta: must be at least 1.5 (got 1.000001)");
  CHECK(FaultOf(R"({"rule": "asha", "min_resource": 0})") ==
        "early_stopping.min_resource: must be at least 1 (got 0)");
  CHECK(FaultOf(R"({"rule": "median", "use_running_average": 1})") ==
        "early_stopping.use_running_average: expected true or false, got 1");
}

}  // namespace
}  // namespace tuner
