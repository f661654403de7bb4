// The bayesian run's notice of its quasi-random initial design.
#include "tuner/cli/initial_design_notice.h"

#include <catch2/catch.hpp>

#include "study/study_json.h"

namespace tuner {
namespace {

StudySpec Spec(const std::string& algorithm, int max_trials) {
  std::string json = R"({"name": "n", "objective": {"metric": "m", "goal": "maximize"},
    "algorithm": )" + algorithm +
                     R"(, "max_trials": )" + std::to_string(max_trials) + R"(,
    "parameters": [{"name": "a", "type": "double", "min": 0, "max": 1},
                   {"name": "b", "type": "double", "min": 0, "max": 1},
                   {"name": "c", "type": "double", "min": 0, "max": 1},
                   {"name": "d", "type": "double", "min": 0, "max": 1},
                   {"name": "e", "type": "double", "min": 0, "max": 1},
                   {"name": "f", "type": "double", "min": 0, "max": 1},
                   {"name": "g", "type": "integer", "min": 1, "max": 9}]})";
  auto spec = ParseStudyOrError(json);
  INFO(spec.status().message());
  REQUIRE(spec.ok());
  return *spec;
}

TEST_CASE("InitialDesignNotice says how many trials are quasi-random", "[initial_design]") {
  // 7 parameters: 14 quasi-random trials by default; of 16, 2 from the model.
  CHECK(InitialDesignNotice(Spec(R"({"name": "bayesian", "seed": 1})", 16)) ==
        "bayesian: the first 14 of 16 trials are quasi-random (Sobol), the Gaussian-process "
        "model proposes the other 2 (the default: max(5, 2 x 7 parameters); set "
        "algorithm.initial_trials to change it)\n");
  CHECK(InitialDesignNotice(Spec(R"({"name": "bayesian", "seed": 1, "initial_trials": 4})", 16)) ==
        "bayesian: the first 4 of 16 trials are quasi-random (Sobol), the Gaussian-process model "
        "proposes the other 12 (algorithm.initial_trials)\n");
  CHECK(InitialDesignNotice(Spec(R"({"name": "bayesian", "seed": 1})", 10)) ==
        "bayesian: all 10 trials will be quasi-random (Sobol): the model starts after 14 (the "
        "default: max(5, 2 x 7 parameters); set algorithm.initial_trials to change it)\n");
  CHECK(InitialDesignNotice(Spec(R"({"name": "random", "seed": 1})", 16)).empty());
}

}  // namespace
}  // namespace tuner
