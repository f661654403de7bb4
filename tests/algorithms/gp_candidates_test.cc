// The GP designer's candidates around the best trials: in bounds, touching
// only the coordinates they say, covering a whole axis, deterministic.
#include "algorithms/gp_candidates.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

#include "tests/algorithms/test_spaces.h"

namespace tuner {
namespace {

using testing::Categorical;
using testing::Double;
using testing::Integer;

// Coordinates where `a` and `b` differ.
std::vector<int> Changed(const SearchPoint& a, const SearchPoint& b) {
  std::vector<int> out;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) out.push_back(static_cast<int>(i));
  }
  return out;
}

bool InUnitCube(const SearchPoint& z) {
  return std::all_of(z.begin(), z.end(), [](double v) { return v >= 0.0 && v <= 1.0; });
}

TEST_CASE("gp candidates: coordinate redraws change one coordinate and cover its range", "[gp]") {
  const std::vector<SearchPoint> bases = {{0.2, 0.8, 0.5, 0.0}, {0.9, 0.1, 0.3, 1.0}};
  const int per = 8;
  const std::vector<SearchPoint> got = CoordinateCandidates(bases, per, 1000, 11);
  REQUIRE(got.size() == bases.size() * 4 * per);
  // Grouped by (base, coordinate): each group of `per` redraws one coordinate
  // of its base, one value in each eighth of [0, 1].
  for (size_t group = 0; group < got.size() / per; ++group) {
    const SearchPoint& base = bases[group / 4];
    std::vector<int> strata(per, 0);
    int coordinate = -1;
    for (int j = 0; j < per; ++j) {
      const SearchPoint& z = got[group * per + static_cast<size_t>(j)];
      REQUIRE(z.size() == base.size());
      CHECK(InUnitCube(z));
      const std::vector<int> changed = Changed(z, base);
      REQUIRE(changed.size() <= 1);
      const int c = changed.empty() ? coordinate : changed[0];
      if (coordinate < 0) coordinate = c;
      CHECK(c == coordinate);
      if (c >= 0) ++strata[std::min(per - 1, static_cast<int>(z[c] * per))];
    }
    CHECK(std::count(strata.begin(), strata.end(), 1) == per);
  }
  // Every coordinate of every base is swept.
  for (size_t b = 0; b < bases.size(); ++b) {
    std::vector<bool> seen(4, false);
    for (size_t g = b * 4; g < (b + 1) * 4; ++g) {
      for (int i : Changed(got[g * per], bases[b])) seen[static_cast<size_t>(i)] = true;
    }
    CHECK(std::count(seen.begin(), seen.end(), true) == 4);
  }
  // Deterministic from the seed; the budget caps the count (best base first).
  CHECK(CoordinateCandidates(bases, per, 1000, 11) == got);
  CHECK(CoordinateCandidates(bases, per, 1000, 12) != got);
  const std::vector<SearchPoint> capped = CoordinateCandidates(bases, per, 3 * per + 5, 11);
  CHECK(capped.size() == 3 * per);
  for (const SearchPoint& z : capped) CHECK(Changed(z, bases[0]).size() <= 1);
  CHECK(CoordinateCandidates({}, per, 1000, 11).empty());
  CHECK(CoordinateCandidates(bases, per, per - 1, 11).empty());
}

TEST_CASE("gp candidates: perturbations stay in bounds and respect parameter types", "[gp]") {
  SearchSpace space;
  space.parameters = {
      Double("a", 0.0, 1.0),  Integer("n", 1, 4),    Categorical("c", {"x", "y", "z"}),
      Double("b", -3.0, 3.0), Double("e", 0.0, 1.0), Double("f", 0.0, 1.0)};
  const std::vector<SearchPoint> bases = {{0.0, 0.5, 0.5, 1.0, 0.5, 0.5},
                                          {0.5, 0.1, 0.9, 0.5, 0.0, 1.0}};
  const double probability = 2.0 / 6.0;
  const std::vector<SearchPoint> got = PerturbationCandidates(space, bases, probability, 400, 3);
  REQUIRE(got.size() == 400);
  int total_changed = 0, unchanged = 0;
  for (size_t c = 0; c < got.size(); ++c) {
    const SearchPoint& base = bases[c % bases.size()];
    CHECK(InUnitCube(got[c]));
    const std::vector<int> changed = Changed(got[c], base);
    // Only a step clamped back onto a bound leaves a candidate unchanged.
    unchanged += changed.empty() ? 1 : 0;
    total_changed += static_cast<int>(changed.size());
  }
  CHECK(unchanged < 40);
  // One forced coordinate plus each other with the probability: about
  // 1 + 5/6 * 2 = 2.67 per candidate, far from all six.
  const double mean_changed = static_cast<double>(total_changed) / got.size();
  CHECK(mean_changed > 1.5);
  CHECK(mean_changed < 4.0);
  CHECK(PerturbationCandidates(space, bases, probability, 400, 3) == got);
  CHECK(PerturbationCandidates(space, {}, probability, 400, 3).empty());
}

}  // namespace
}  // namespace tuner
