#include "study/algorithm_options.h"

#include <catch2/catch.hpp>

#include "study/study_json.h"

namespace tuner {
namespace {

TEST_CASE("Study blocks reach the designer and stopping-rule factories", "[algorithm_options]") {
  auto spec = ParseStudyOrError(R"({"name": "s",
    "objective": {"metric": "loss", "goal": "minimize"},
    "algorithm": {"name": "hyperband", "seed": 4, "eta": 2, "variant": "sync",
                  "resource": {"name": "epochs", "min": 1, "max": 8}},
    "early_stopping": {"rule": "asha", "min_trials": 3, "grace_steps": 2, "eta": 4,
                       "min_resource": 2},
    "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})");
  INFO(spec.status().message());
  REQUIRE(spec.ok());
  DesignerOptions d = DesignerOptionsFor(*spec);
  CHECK(d.algorithm == "hyperband");
  CHECK(d.seed == 4);
  CHECK(d.hyperband.resource == "epochs");
  CHECK(d.hyperband.eta == 2);
  CHECK(d.hyperband.variant == "sync");
  StoppingRuleOptions r = StoppingOptionsFor(*spec);
  CHECK(r.rule == "asha");
  CHECK(r.goal == Goal::kMinimize);
  CHECK(r.min_trials == 3);
  CHECK(r.grace_steps == 2);
  CHECK(r.eta == 4);
  CHECK(r.min_resource == 2);
  // The factories accept what the study says.
  CHECK(MakeDesigner(d, spec->space, spec->objectives).ok());
  CHECK(MakeStoppingRule(r).ok());

  auto bo = ParseStudyOrError(R"({"name": "b", "objective": {"metric": "a", "goal": "maximize"},
    "algorithm": {"name": "bayesian", "acquisition": "ucb", "initial_trials": 7},
    "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})");
  REQUIRE(bo.ok());
  CHECK(DesignerOptionsFor(*bo).acquisition == "ucb");
  CHECK(DesignerOptionsFor(*bo).initial_trials == 7);
}

}  // namespace
}  // namespace tuner
