#include "algorithms/sobol_designer.h"

#include <catch2/catch.hpp>
#include <set>
#include <vector>

#include "tests/algorithms/test_spaces.h"

namespace tuner {
namespace {

using testing::Double;
using testing::History;

SobolDesignerOptions Options(uint64_t seed, bool random_shift) {
  SobolDesignerOptions options;
  options.seed = seed;
  options.random_shift = random_shift;
  return options;
}

SearchSpace UnitSquare() {
  SearchSpace space;
  space.parameters = {Double("x", 0.0, 1.0), Double("y", 0.0, 1.0)};
  return space;
}

TEST_CASE("sobol starts with the standard sequence", "[designer][sobol]") {
  SobolDesigner sobol(UnitSquare(), Options(0, /*random_shift=*/false));
  History().UpdateDesigner(sobol);
  const std::vector<Assignment> got = sobol.Suggest(4);
  REQUIRE(got.size() == 4);
  const double expected[4][2] = {{0.0, 0.0}, {0.5, 0.5}, {0.75, 0.25}, {0.25, 0.75}};
  for (size_t i = 0; i < 4; ++i) {
    CHECK(std::get<double>(got[i].at("x")) == expected[i][0]);
    CHECK(std::get<double>(got[i].at("y")) == expected[i][1]);
  }
}

// Every cell of a cells x cells grid holds exactly one of the first cells^2
// points: the first 2^m points of a 2-D Sobol sequence form a (0, m, 2)-net.
void CheckStratified(SobolDesigner& sobol, int cells) {
  History().UpdateDesigner(sobol);
  std::vector<int> hits(static_cast<size_t>(cells * cells), 0);
  for (const Assignment& a : sobol.Suggest(cells * cells)) {
    const int i = static_cast<int>(std::get<double>(a.at("x")) * cells);
    const int j = static_cast<int>(std::get<double>(a.at("y")) * cells);
    REQUIRE(i < cells);
    REQUIRE(j < cells);
    ++hits[static_cast<size_t>(i * cells + j)];
  }
  CHECK(hits == std::vector<int>(hits.size(), 1));
}

TEST_CASE("first sobol points are well spread", "[designer][sobol]") {
  for (bool shift : {false, true}) {
    for (uint64_t seed : {1u, 2u, 3u}) {
      INFO("shift " << shift << " seed " << seed);
      SobolDesigner sobol(UnitSquare(), Options(seed, shift));
      CheckStratified(sobol, 4);
      SobolDesigner again(UnitSquare(), Options(seed, shift));
      CheckStratified(again, 8);
    }
  }
}

TEST_CASE("sobol in one dimension", "[designer][sobol]") {
  SearchSpace space;
  space.parameters = {Double("x", 0.0, 1.0)};
  SobolDesigner sobol(space, Options(5, true));
  History().UpdateDesigner(sobol);
  std::set<int> cells;
  for (const Assignment& a : sobol.Suggest(8)) {
    REQUIRE(space.Validate(a).ok());
    cells.insert(static_cast<int>(std::get<double>(a.at("x")) * 8));
  }
  CHECK(cells.size() == 8);
}

TEST_CASE("sobol point index is the history size plus the batch index", "[designer][sobol]") {
  const SearchSpace space = testing::MixedSpace();
  SobolDesigner fresh(space, Options(11, true));
  History().UpdateDesigner(fresh);
  const std::vector<Assignment> all = fresh.Suggest(8);

  History history;
  for (size_t i = 0; i < 5; ++i) {
    history.Add(all[i], i % 2 ? TrialState::kActive : TrialState::kCompleted);
  }
  SobolDesigner resumed(space, Options(11, true));
  history.UpdateDesigner(resumed);
  CHECK(resumed.Suggest(3) == std::vector<Assignment>(all.begin() + 5, all.end()));
}

TEST_CASE("sobol shifts differ by seed and keep points in [0, 1)", "[designer][sobol]") {
  SobolDesigner a(UnitSquare(), Options(1, true));
  SobolDesigner b(UnitSquare(), Options(2, true));
  SobolDesigner plain1(UnitSquare(), Options(1, false));
  SobolDesigner plain2(UnitSquare(), Options(2, false));
  for (uint64_t k = 0; k < 64; ++k) {
    CHECK(a.UnitPoint(k) != b.UnitPoint(k));
    CHECK(plain1.UnitPoint(k) == plain2.UnitPoint(k));  // no shift: the seed is unused
    for (double u : a.UnitPoint(k)) {
      CHECK(u >= 0.0);
      CHECK(u < 1.0);
    }
  }
}

}  // namespace
}  // namespace tuner
