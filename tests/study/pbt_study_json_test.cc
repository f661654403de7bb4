// The pbt algorithm block of a study: its options, their faults with JSON
// paths, what it cannot be combined with, and the canonical form.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "study/algorithm_options.h"
#include "study/study_json.h"

namespace tuner {
namespace {

std::string WithAlgorithm(const std::string& algorithm, const std::string& extra = "") {
  return R"({"name": "pbt", "objective": {"metric": "acc", "goal": "maximize"},
             "max_parallel_trials": 8, )" +
         extra + R"("algorithm": )" + algorithm + R"(,
             "parameters": [{"name": "lr", "type": "double", "min": 0.001, "max": 1, "scale": "log"}]})";
}

std::string FaultsOf(const StudyParseResult& result) {
  std::string out;
  for (const StudyFault& fault : result.faults) out += fault.ToString() + "\n";
  return out;
}

TEST_CASE("a pbt study: options, defaults, designer and rule options", "[pbt]") {
  const StudyParseResult result = ParseStudy(WithAlgorithm(
      R"({"name": "pbt", "population": 6, "interval": 5, "quantile": 0.2,
          "resample_probability": 0.1, "perturb": [0.5, 1.5], "seed": 4})"));
  INFO(FaultsOf(result));
  REQUIRE(result.ok());
  const AlgorithmSpec::Pbt& p = result.spec.algorithm.pbt;
  CHECK(p.population == 6);
  CHECK(p.interval == 5);
  CHECK(p.quantile == 0.2);
  CHECK(p.resample_probability == 0.1);
  CHECK(p.perturb_low == 0.5);
  CHECK(p.perturb_high == 1.5);
  const DesignerOptions d = DesignerOptionsFor(result.spec);
  CHECK(d.algorithm == "pbt");
  CHECK(d.pbt.population == 6);
  CHECK(d.pbt.perturb_high == 1.5);
  const StoppingRuleOptions r = StoppingOptionsFor(result.spec);
  CHECK(r.rule == "pbt");
  CHECK(r.pbt_interval == 5);
  CHECK(r.pbt_quantile == 0.2);
  CHECK_THAT(ToCanonicalJson(result.spec), Catch::Contains(R"("interval": 5)") &&
                                               Catch::Contains(R"("perturb": [)") &&
                                               Catch::Contains(R"("population": 6)"));
  // Read back from its canonical form, the same options.
  const StudyParseResult again = ParseStudy(ToCanonicalJson(result.spec));
  REQUIRE(again.ok());
  CHECK(again.spec.algorithm.pbt.quantile == 0.2);

  const StudyParseResult defaults = ParseStudy(WithAlgorithm(R"({"name": "pbt"})"));
  REQUIRE(defaults.ok());
  CHECK(defaults.spec.algorithm.pbt.population == 8);
  CHECK(defaults.spec.algorithm.pbt.interval == 4);
  CHECK(defaults.spec.algorithm.pbt.quantile == 0.25);
}

TEST_CASE("pbt options: each bad one is named with its path", "[pbt]") {
  struct Bad {
    std::string algorithm, extra, path, fragment;
  };
  const std::vector<Bad> cases = {
      {R"({"name": "pbt", "population": 1})", "", "algorithm.population", "at least 2"},
      {R"({"name": "pbt", "interval": 0})", "", "algorithm.interval", "at least 1"},
      {R"({"name": "pbt", "quantile": 0.6})", "", "algorithm.quantile", "in (0, 0.5]"},
      {R"({"name": "pbt", "quantile": 0})", "", "algorithm.quantile", "in (0, 0.5]"},
      {R"({"name": "pbt", "resample_probability": 1.5})", "", "algorithm.resample_probability",
       "in [0, 1]"},
      {R"({"name": "pbt", "perturb": [1.2, 0.8]})", "", "algorithm.perturb", "0 < low < 1 < high"},
      {R"({"name": "pbt", "perturb": 1.2})", "", "algorithm.perturb", "[low, high]"},
      {R"({"name": "random", "population": 4})", "", "algorithm.population",
       "only the pbt algorithm takes this option"},
      {R"({"name": "pbt", "population": 16})", "", "max_parallel_trials",
       "must be at least algorithm.population (16), got 8"},
      {R"({"name": "pbt"})", R"("early_stopping": {"rule": "median"}, )", "early_stopping",
       "pbt decides which members stop"},
  };
  for (const Bad& bad : cases) {
    INFO("algorithm: " << bad.algorithm << " " << bad.extra);
    const StudyParseResult result = ParseStudy(WithAlgorithm(bad.algorithm, bad.extra));
    INFO(FaultsOf(result));
    REQUIRE(result.faults.size() == 1);
    CHECK(result.faults[0].path == bad.path);
    CHECK_THAT(result.faults[0].message, Catch::Contains(bad.fragment));
  }
}

}  // namespace
}  // namespace tuner
