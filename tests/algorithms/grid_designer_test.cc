#include "algorithms/grid_designer.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "tests/algorithms/test_spaces.h"

namespace tuner {
namespace {

using testing::Categorical;
using testing::Discrete;
using testing::Double;
using testing::History;
using testing::Integer;
using testing::When;

GridDesignerOptions Points(int points_per_double) {
  GridDesignerOptions options;
  options.points_per_double = points_per_double;
  return options;
}

// A printable, comparable form of an assignment.
std::string Text(const Assignment& a) {
  std::string out;
  for (const auto& [name, value] : a) out += name + "=" + FormatValue(value) + " ";
  return out;
}

// x in {0, 0.5, 1}, n in {1, 2, 3}, c in {a, b}: 18 points.
SearchSpace SmallSpace() {
  SearchSpace space;
  space.parameters = {Double("x", 0.0, 1.0), Integer("n", 1, 3), Categorical("c", {"a", "b"})};
  return space;
}

std::set<std::string> AllCombinationsOfSmallSpace() {
  std::set<std::string> all;
  for (double x : {0.0, 0.5, 1.0}) {
    for (int64_t n : {1, 2, 3}) {
      for (const char* c : {"a", "b"}) {
        all.insert(Text({{"x", x}, {"n", n}, {"c", std::string(c)}}));
      }
    }
  }
  return all;
}

TEST_CASE("grid values per parameter", "[designer][grid]") {
  SearchSpace space;
  space.parameters = {Double("lin", 0.0, 1.0),
                      Double("log", 1e-3, 10.0, Scale::kLog),
                      Double("rev", 0.9, 0.999, Scale::kReverseLog),
                      Integer("few", 1, 20),
                      Integer("many", 0, 1000),
                      Integer("many_log", 1, 100000, Scale::kLog),
                      Discrete("units", {32.0, 64.0, 128.0}),
                      Categorical("c", {"a", "b", "a"})};
  GridDesigner grid(space, Points(5));
  auto values = [&](size_t i) {
    std::vector<double> out;
    for (const ParameterValue& v : grid.GridValues(i)) {
      out.push_back(std::holds_alternative<int64_t>(v) ? static_cast<double>(std::get<int64_t>(v))
                                                       : std::get<double>(v));
    }
    return out;
  };
  CHECK(values(0) == std::vector<double>{0.0, 0.25, 0.5, 0.75, 1.0});
  // Evenly spaced in log space, the ends exact.
  const std::vector<double> log = values(1);
  REQUIRE(log.size() == 5);
  CHECK(log.front() == 1e-3);
  CHECK(log.back() == 10.0);
  for (size_t i = 0; i < log.size(); ++i) CHECK(log[i] == Approx(std::pow(10.0, i - 3.0)));
  // reverse_log: denser near the maximum, ends exact.
  const std::vector<double> rev = values(2);
  REQUIRE(rev.size() == 5);
  CHECK(rev.front() == 0.9);
  CHECK(rev.back() == 0.999);
  CHECK(rev[4] - rev[3] < rev[1] - rev[0]);
  // Few integers: all of them; many: 5 spread values with both ends.
  CHECK(values(3).size() == 20);
  CHECK(values(4) == std::vector<double>{0, 250, 500, 750, 1000});
  const std::vector<double> many_log = values(5);
  REQUIRE(many_log.size() == 5);
  CHECK(many_log.front() == 1);
  CHECK(many_log.back() == 100000);
  // Integers own the cells of [0.5, 100000.5] in log space (as Optuna's
  // transform does), so the middle point is that interval's geometric midpoint.
  CHECK(many_log[2] == std::round(std::sqrt(0.5 * 100000.5)));
  CHECK(values(6) == std::vector<double>{32, 64, 128});
  CHECK(grid.GridValues(7).size() == 2);  // duplicates dropped
}

TEST_CASE("grid enumerates every combination exactly once", "[designer][grid]") {
  const SearchSpace space = SmallSpace();
  GridDesigner grid(space, Points(3));
  History history;
  history.UpdateDesigner(grid);
  std::set<std::string> seen;
  std::vector<size_t> sizes;
  for (int call = 0; call < 5; ++call) {
    const std::vector<Assignment> got = grid.Suggest(7);
    sizes.push_back(got.size());
    for (const Assignment& a : got) {
      REQUIRE(space.Validate(a).ok());
      CHECK(seen.insert(Text(a)).second);  // never a repeat
    }
  }
  // 7 + 7 + 4 = 18, then exhausted.
  CHECK(sizes == std::vector<size_t>{7, 7, 4, 0, 0});
  CHECK(seen == AllCombinationsOfSmallSpace());
}

TEST_CASE("grid order is fixed: nested loops, last parameter fastest", "[designer][grid]") {
  GridDesigner grid(SmallSpace(), Points(3));
  History().UpdateDesigner(grid);
  const std::vector<Assignment> got = grid.Suggest(3);
  REQUIRE(got.size() == 3);
  CHECK(Text(got[0]) == "c=a n=1 x=0 ");
  CHECK(Text(got[1]) == "c=b n=1 x=0 ");
  CHECK(Text(got[2]) == "c=a n=2 x=0 ");
}

TEST_CASE("grid skips the history, also when rebuilt from it", "[designer][grid]") {
  const SearchSpace space = SmallSpace();
  History history;
  std::set<std::string> seen;
  // Each round a new designer is built from the history (a restarted server)
  // or the same one is updated; both continue without a repeat.
  GridDesigner kept(space, Points(3));
  for (int round = 0; round < 6; ++round) {
    INFO("round " << round);
    GridDesigner rebuilt(space, Points(3));
    history.UpdateDesigner(rebuilt);
    history.UpdateDesigner(kept);
    const std::vector<Assignment> got = rebuilt.Suggest(4);
    CHECK(kept.Suggest(4) == got);
    for (const Assignment& a : got) {
      CHECK(seen.insert(Text(a)).second);
      history.Add(a, round % 2 ? TrialState::kActive : TrialState::kCompleted);
    }
  }
  CHECK(seen == AllCombinationsOfSmallSpace());
  CHECK(history.size() == 18);
}

TEST_CASE("grid recognises history values by SameValue, in any order", "[designer][grid]") {
  const SearchSpace space = SmallSpace();
  History history;
  // Points added by hand, out of order, with x = 1 as an integer-typed value
  // and -0.0 for 0.
  history.Add({{"x", int64_t{1}}, {"n", int64_t{3}}, {"c", std::string("b")}},
              TrialState::kCompleted);
  history.Add({{"x", -0.0}, {"n", int64_t{1}}, {"c", std::string("a")}}, TrialState::kFailed);
  history.Add({{"x", 0.25}, {"n", int64_t{1}}, {"c", std::string("a")}},  // not on the grid
              TrialState::kCompleted);
  GridDesigner grid(space, Points(3));
  history.UpdateDesigner(grid);
  const std::vector<Assignment> got = grid.Suggest(100);
  CHECK(got.size() == 16);
  std::set<std::string> texts;
  for (const Assignment& a : got) texts.insert(Text(a));
  CHECK(texts.count("c=b n=3 x=1 ") == 0);
  CHECK(texts.count("c=a n=1 x=0 ") == 0);
}

TEST_CASE("grid starts over when the history loses trials", "[designer][grid]") {
  const SearchSpace space = SmallSpace();
  GridDesigner grid(space, Points(3));
  History history;
  history.UpdateDesigner(grid);
  const std::vector<Assignment> first = grid.Suggest(3);
  for (const Assignment& a : first) history.Add(a, TrialState::kCompleted);
  history.UpdateDesigner(grid);
  CHECK(grid.Suggest(1)[0] != first[0]);
  // The owner dropped the trials (e.g. a history filtered by the caller):
  // the same result as a fresh designer, which starts at the beginning.
  History().UpdateDesigner(grid);
  CHECK(grid.Suggest(1)[0] == first[0]);
}

TEST_CASE("grid enumerates conditional children only where active", "[designer][grid]") {
  SearchSpace space;
  space.parameters = {Integer("layers", 1, 2), Categorical("opt", {"adam", "sgd"}),
                      When(Double("momentum", 0.0, 0.9), "opt", {std::string("sgd")}),
                      When(Categorical("nesterov", {"yes", "no"}), "opt", {std::string("sgd")}),
                      When(Discrete("dampening", {0.0, 0.1}), "nesterov", {std::string("no")})};
  GridDesigner grid(space, Points(4));
  History().UpdateDesigner(grid);
  const std::vector<Assignment> got = grid.Suggest(1000);
  // Per layer: adam (1) + sgd x 4 momenta x (yes (1) + no x 2 dampenings) = 13.
  CHECK(got.size() == 2 * (1 + 4 * (1 + 2)));
  std::set<std::string> texts;
  int adam = 0;
  for (const Assignment& a : got) {
    REQUIRE(space.Validate(a).ok());
    texts.insert(Text(a));
    if (a.at("opt") == ParameterValue(std::string("adam"))) {
      ++adam;
      CHECK(a.size() == 2);
    }
  }
  CHECK(texts.size() == got.size());
  CHECK(adam == 2);
  CHECK(texts.count("dampening=0.1 layers=2 momentum=0.9 nesterov=no opt=sgd ") == 1);
  CHECK(texts.count("layers=1 momentum=0.3 nesterov=yes opt=sgd ") == 1);
}

TEST_CASE("grid of 10^5 points is enumerated lazily without repeats", "[designer][grid]") {
  SearchSpace space;
  for (const char* name : {"a", "b", "c", "d", "e"}) space.parameters.push_back(Double(name, 0, 1));
  GridDesigner grid(space);  // 10 points per double
  History history;
  size_t total = 0;
  for (int round = 0; round < 12; ++round) {
    history.UpdateDesigner(grid);
    const std::vector<Assignment> got = grid.Suggest(10000);
    for (const Assignment& a : got) history.Add(a, TrialState::kCompleted);
    total += got.size();
  }
  CHECK(total == 100000);
  std::set<std::string> unique;
  for (const Trial& t : history.trials()) unique.insert(Text(t.parameters));
  CHECK(unique.size() == 100000);
  // A designer rebuilt from the full history has nothing left.
  GridDesigner rebuilt(space);
  history.UpdateDesigner(rebuilt);
  CHECK(rebuilt.Suggest(1).empty());
}

TEST_CASE("grid of an empty space has one empty point", "[designer][grid]") {
  GridDesigner grid(SearchSpace{});
  History history;
  history.UpdateDesigner(grid);
  const std::vector<Assignment> got = grid.Suggest(3);
  REQUIRE(got.size() == 1);
  history.Add(got[0], TrialState::kCompleted);
  history.UpdateDesigner(grid);
  CHECK(grid.Suggest(3).empty());
}

}  // namespace
}  // namespace tuner
