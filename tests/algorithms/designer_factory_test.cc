#include "algorithms/designer_factory.h"

#include <catch2/catch.hpp>
#include <string>

#include "tests/algorithms/test_spaces.h"

namespace tuner {
namespace {

TEST_CASE("factory builds every available designer", "[designer][factory]") {
  CHECK(AvailableDesigners() ==
        std::vector<std::string>{"random", "grid", "sobol", "bayesian", "hyperband", "pbt"});
  for (const std::string& name : AvailableDesigners()) {
    DesignerOptions options;
    options.algorithm = name;
    options.seed = 3;
    absl::StatusOr<std::unique_ptr<Designer>> designer =
        MakeDesigner(options, testing::MixedSpace(), {});
    REQUIRE(designer.ok());
    CHECK(*designer != nullptr);
  }
}

TEST_CASE("factory rejects an unknown name and lists the known ones", "[designer][factory]") {
  DesignerOptions options;
  options.algorithm = "annealing";
  absl::StatusOr<std::unique_ptr<Designer>> designer =
      MakeDesigner(options, testing::MixedSpace(), {});
  REQUIRE(!designer.ok());
  CHECK(designer.status().code() == absl::StatusCode::kInvalidArgument);
  const std::string message(designer.status().message());
  CHECK_THAT(message, Catch::Contains("annealing"));
  for (const std::string& name : AvailableDesigners()) CHECK_THAT(message, Catch::Contains(name));
}

}  // namespace
}  // namespace tuner
