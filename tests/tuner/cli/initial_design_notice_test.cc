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
  // 7 parameters, 16 trials: a quarter of the budget is quasi-random, the
  // model proposes the other 12 (max(5, 2 x 7) = 14 would leave it 2).
  CHECK(InitialDesignNotice(Spec(R"({"name": "bayesian", "seed": 1})", 16)) ==
        "bayesian: the first 4 of 16 trials are quasi-random (Sobol), the Gaussian-process "
        "model proposes the other 12 (the default: max(5, 2 x 7 parameters), at most max(3, "
        "max_trials / 4); set algorithm.initial_trials to change it)\n");
  // A large budget: max(5, 2 x parameters) as before.
  CHECK(InitialDesignNotice(Spec(R"({"name": "bayesian", "seed": 1})", 100)) ==
        "bayesian: the first 14 of 100 trials are quasi-random (Sobol), the Gaussian-process "
        "model proposes the other 86 (the default: max(5, 2 x 7 parameters), at most max(3, "
        "max_trials / 4); set algorithm.initial_trials to change it)\n");
  // An explicit setting wins.
  CHECK(InitialDesignNotice(Spec(R"({"name": "bayesian", "seed": 1, "initial_trials": 14})", 16)) ==
        "bayesian: the first 14 of 16 trials are quasi-random (Sobol), the Gaussian-process model "
        "proposes the other 2 (algorithm.initial_trials)\n");
  CHECK(InitialDesignNotice(Spec(R"({"name": "bayesian", "seed": 1, "initial_trials": 20})", 10)) ==
        "bayesian: all 10 trials will be quasi-random (Sobol): the model starts after 20 "
        "(algorithm.initial_trials)\n");
  CHECK(InitialDesignNotice(Spec(R"({"name": "random", "seed": 1})", 16)).empty());
}

TEST_CASE("InitialDesignNotice says that a warm start runs first", "[initial_design]") {
  StudySpec spec = Spec(R"({"name": "bayesian", "seed": 1})", 16);
  spec.warm_start.studies = {"old-a", "old-b"};
  CHECK(InitialDesignNotice(spec) ==
        "warm start: the best configuration of each earlier study (old-a, old-b) runs first; "
        "the model also learns from their trials while that explains this study's results "
        "better\n"
        "bayesian: after the warm start, 4 quasi-random (Sobol) trials, then the "
        "Gaussian-process model proposes the rest of the 16 (the default: max(5, 2 x 7 "
        "parameters), at most max(3, max_trials / 4); set algorithm.initial_trials to change "
        "it)\n");
  spec = Spec(R"({"name": "random", "seed": 1})", 16);
  spec.warm_start.studies = {"old"};
  CHECK(InitialDesignNotice(spec) ==
        "warm start: the best configuration of the earlier study (old) runs first\n");
}

}  // namespace
}  // namespace tuner
