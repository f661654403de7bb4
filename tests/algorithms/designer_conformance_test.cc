// One conformance suite run over every designer: suggestions are valid,
// conditional children are present exactly when active, and the same seed and
// history give the same suggestions, also from a designer rebuilt from history.
#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "algorithms/designer.h"
#include "algorithms/designer_factory.h"
#include "algorithms/grid_designer.h"
#include "tests/algorithms/test_spaces.h"

namespace tuner {
namespace {

using testing::History;
using testing::MixedSpace;

using DesignerMaker = std::function<std::unique_ptr<Designer>(const SearchSpace&, uint64_t)>;

DesignerMaker FromFactory(const std::string& algorithm) {
  return [algorithm](const SearchSpace& space, uint64_t seed) {
    DesignerOptions options;
    options.algorithm = algorithm;
    options.seed = seed;
    absl::StatusOr<std::unique_ptr<Designer>> designer = MakeDesigner(options, space, {});
    REQUIRE(designer.ok());
    return std::move(designer).value();
  };
}

bool Has(const Assignment& a, const std::string& name) { return a.count(name) > 0; }

bool Is(const Assignment& a, const std::string& name, const std::string& value) {
  auto it = a.find(name);
  return it != a.end() && it->second == ParameterValue(value);
}

// Checks the designer's contract on MixedSpace over 10 batches of 6 with a
// growing history of finished and active trials. `seeded`: different seeds
// must give different suggestions.
void CheckConformance(const DesignerMaker& make, bool seeded) {
  const SearchSpace space = MixedSpace();
  const uint64_t kSeed = 20240607;
  History history;
  std::unique_ptr<Designer> designer = make(space, kSeed);
  std::set<std::string> optimizers, nesterovs;
  int suggested = 0;
  for (int batch = 0; batch < 10; ++batch) {
    INFO("batch " << batch);
    history.UpdateDesigner(*designer);
    const std::vector<Assignment> got = designer->Suggest(6);
    REQUIRE(got.size() == 6);

    // A designer rebuilt from the same history suggests the same points.
    std::unique_ptr<Designer> rebuilt = make(space, kSeed);
    history.UpdateDesigner(*rebuilt);
    CHECK(rebuilt->Suggest(6) == got);
    // Each suggestion names the stage that proposed it, the same when rebuilt.
    REQUIRE(designer->origins().size() == got.size());
    CHECK(rebuilt->origins() == designer->origins());
    for (const std::string& origin : designer->origins()) {
      CHECK(std::set<std::string>{"random", "grid", "sobol", "gp", "hyperband"}.count(origin) == 1);
    }

    for (const Assignment& a : got) {
      const absl::Status status = space.Validate(a);
      INFO(status.ToString());
      REQUIRE(status.ok());
      const bool sgd = Is(a, "optimizer", "sgd");
      const bool momentum_active = sgd || Is(a, "optimizer", "rmsprop");
      CHECK(Has(a, "momentum") == momentum_active);
      CHECK(Has(a, "nesterov") == sgd);
      CHECK(Has(a, "dampening") == (sgd && Is(a, "nesterov", "no")));
      optimizers.insert(std::get<std::string>(a.at("optimizer")));
      if (sgd) nesterovs.insert(std::get<std::string>(a.at("nesterov")));
      for (const char* name : {"learning_rate", "keep_prob", "layers", "buckets", "units",
                               "activation", "optimizer"}) {
        CHECK(Has(a, name));
      }
    }
    // The history grows with trials in every state; some earlier ones finish.
    for (size_t i = 0; i < got.size(); ++i) {
      const TrialState state = i % 3 == 0   ? TrialState::kActive
                               : i % 3 == 1 ? TrialState::kCompleted
                                            : TrialState::kFailed;
      history.Add(got[i], state);
    }
    if (batch % 2 == 1) history.trials()[static_cast<size_t>(batch)].state = TrialState::kStopped;
    suggested += static_cast<int>(got.size());
  }
  CHECK(suggested == 60);
  // Every branch of the conditions was taken.
  CHECK(optimizers == std::set<std::string>{"adam", "rmsprop", "sgd"});
  CHECK(nesterovs == std::set<std::string>{"no", "yes"});

  // Suggest again without Update: new points, not the previous batch again.
  history.UpdateDesigner(*designer);
  const std::vector<Assignment> first = designer->Suggest(4);
  const std::vector<Assignment> second = designer->Suggest(4);
  REQUIRE(first.size() == 4);
  REQUIRE(second.size() == 4);
  for (const Assignment& a : second) {
    for (const Assignment& b : first) CHECK(a != b);
  }

  // Seeds: same seed, same points; different seeds, different points.
  std::unique_ptr<Designer> same = make(space, kSeed);
  std::unique_ptr<Designer> other = make(space, kSeed + 1);
  History empty;
  empty.UpdateDesigner(*same);
  empty.UpdateDesigner(*other);
  const std::vector<Assignment> from_same = same->Suggest(8);
  const std::vector<Assignment> from_other = other->Suggest(8);
  std::unique_ptr<Designer> again = make(space, kSeed);
  empty.UpdateDesigner(*again);
  CHECK(again->Suggest(8) == from_same);
  if (seeded) {
    for (size_t i = 0; i < from_same.size(); ++i) CHECK(from_same[i] != from_other[i]);
  } else {
    CHECK(from_same == from_other);
  }
}

TEST_CASE("random designer conformance", "[designer][random]") {
  CheckConformance(FromFactory("random"), /*seeded=*/true);
}

TEST_CASE("sobol designer conformance", "[designer][sobol]") {
  CheckConformance(FromFactory("sobol"), /*seeded=*/true);
}

TEST_CASE("bayesian designer conformance", "[designer][gp]") {
  CheckConformance(FromFactory("bayesian"), /*seeded=*/true);
}

TEST_CASE("grid designer conformance", "[designer][grid]") {
  SECTION("factory defaults") {
    // With 10 points per double the first 60 combinations never reach rmsprop
    // (sgd's subtree alone has 110), so check only what they can show.
    const SearchSpace space = MixedSpace();
    std::unique_ptr<Designer> designer = FromFactory("grid")(space, 0);
    History history;
    for (int batch = 0; batch < 5; ++batch) {
      history.UpdateDesigner(*designer);
      const std::vector<Assignment> got = designer->Suggest(30);
      REQUIRE(got.size() == 30);
      for (const Assignment& a : got) {
        REQUIRE(space.Validate(a).ok());
        history.Add(a, TrialState::kCompleted);
      }
    }
  }
  SECTION("coarse grid") {
    GridDesignerOptions options;
    options.points_per_double = 2;
    CheckConformance([options](const SearchSpace& space,
                               uint64_t) { return std::make_unique<GridDesigner>(space, options); },
                     /*seeded=*/false);
  }
}

TEST_CASE("every designer handles an empty space and a zero count", "[designer]") {
  for (const std::string& name : AvailableDesigners()) {
    INFO(name);
    std::unique_ptr<Designer> designer = FromFactory(name)(SearchSpace{}, 1);
    History history;
    history.UpdateDesigner(*designer);
    CHECK(designer->Suggest(0).empty());
    const std::vector<Assignment> got = designer->Suggest(1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].empty());
  }
}

}  // namespace
}  // namespace tuner
