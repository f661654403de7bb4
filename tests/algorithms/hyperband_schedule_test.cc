#include "algorithms/hyperband_schedule.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <set>
#include <utility>
#include <vector>

namespace tuner {
namespace {

using Rungs = std::vector<std::pair<int64_t, int64_t>>;  // (resource, size) per rung

Rungs RungsOf(const HyperbandBracket& bracket) {
  Rungs out;
  for (const HyperbandRung& r : bracket.rungs) out.emplace_back(r.resource, r.size);
  return out;
}

HyperbandSchedule Make(int64_t min, int64_t max, double eta) {
  absl::StatusOr<HyperbandSchedule> schedule = MakeHyperbandSchedule(min, max, eta);
  REQUIRE(schedule.ok());
  return *schedule;
}

TEST_CASE("hyperband brackets for min 1, max 81, eta 3 are the paper's table", "[hyperband]") {
  const HyperbandSchedule s = Make(1, 81, 3);
  CHECK(s.s_max == 4);
  REQUIRE(s.brackets.size() == 5);
  CHECK(s.brackets[0].s == 4);
  CHECK(RungsOf(s.brackets[0]) == Rungs{{1, 81}, {3, 27}, {9, 9}, {27, 3}, {81, 1}});
  CHECK(RungsOf(s.brackets[1]) == Rungs{{3, 34}, {9, 11}, {27, 3}, {81, 1}});
  CHECK(RungsOf(s.brackets[2]) == Rungs{{9, 15}, {27, 5}, {81, 1}});
  CHECK(RungsOf(s.brackets[3]) == Rungs{{27, 8}, {81, 2}});
  CHECK(RungsOf(s.brackets[4]) == Rungs{{81, 5}});
  CHECK(s.brackets[4].s == 0);
  CHECK(s.TrialsPerCycle() == 121 + 49 + 21 + 10 + 5);
  CHECK(&s.BracketOfInstance(0) == &s.brackets[0]);
  CHECK(&s.BracketOfInstance(7) == &s.brackets[2]);
}

TEST_CASE("hyperband brackets when max / min is not a power of eta", "[hyperband]") {
  SECTION("min 1, max 100, eta 3: resources rounded from 100 * 3^-k") {
    const HyperbandSchedule s = Make(1, 100, 3);
    CHECK(s.s_max == 4);
    REQUIRE(s.brackets.size() == 5);
    CHECK(RungsOf(s.brackets[0]) == Rungs{{1, 81}, {4, 27}, {11, 9}, {33, 3}, {100, 1}});
    CHECK(RungsOf(s.brackets[1]) == Rungs{{4, 34}, {11, 11}, {33, 3}, {100, 1}});
    CHECK(RungsOf(s.brackets[2]) == Rungs{{11, 15}, {33, 5}, {100, 1}});
    CHECK(RungsOf(s.brackets[3]) == Rungs{{33, 8}, {100, 2}});
    CHECK(RungsOf(s.brackets[4]) == Rungs{{100, 5}});
  }
  SECTION("min 2, max 10, eta 2") {
    const HyperbandSchedule s = Make(2, 10, 2);
    CHECK(s.s_max == 2);  // 2 * 2^2 = 8 <= 10 < 16
    REQUIRE(s.brackets.size() == 3);
    CHECK(RungsOf(s.brackets[0]) == Rungs{{3, 4}, {5, 2}, {10, 1}});  // 2.5 rounds up
    CHECK(RungsOf(s.brackets[1]) == Rungs{{5, 3}, {10, 1}});
    CHECK(RungsOf(s.brackets[2]) == Rungs{{10, 3}});
  }
  SECTION("min == max: one bracket, plain search at full budget") {
    const HyperbandSchedule s = Make(5, 5, 3);
    CHECK(s.s_max == 0);
    REQUIRE(s.brackets.size() == 1);
    CHECK(RungsOf(s.brackets[0]) == Rungs{{5, 1}});
  }
  SECTION("eta larger than max / min") {
    const HyperbandSchedule s = Make(1, 8, 10);
    CHECK(s.s_max == 0);
    CHECK(RungsOf(s.brackets[0]) == Rungs{{8, 1}});
  }
}

TEST_CASE("hyperband schedule invariants over many settings", "[hyperband]") {
  for (int64_t min : {1, 2, 3, 7}) {
    for (int64_t max : {1, 2, 10, 27, 81, 100, 243, 1000, 4096}) {
      if (max < min) continue;
      for (double eta : {2.0, 2.5, 3.0, 4.0, 7.3}) {
        INFO("min " << min << " max " << max << " eta " << eta);
        const HyperbandSchedule s = Make(min, max, eta);
        CHECK(std::pow(eta, s.s_max) * static_cast<double>(min) <= static_cast<double>(max) + 1e-6);
        CHECK(std::pow(eta, s.s_max + 1) * static_cast<double>(min) > static_cast<double>(max));
        REQUIRE(s.brackets.size() == static_cast<size_t>(s.s_max + 1));
        std::set<int64_t> bottoms;
        for (const HyperbandBracket& b : s.brackets) {
          REQUIRE(b.rungs.size() == static_cast<size_t>(b.s + 1));
          CHECK(b.rungs.back().resource == max);
          CHECK(b.rungs.front().resource >= min);
          CHECK(b.rungs.front().size >=
                static_cast<int64_t>(std::floor(std::pow(eta, b.s) + 1e-9)));
          bottoms.insert(b.rungs.front().resource);
          for (size_t i = 1; i < b.rungs.size(); ++i) {
            CHECK(b.rungs[i].resource > b.rungs[i - 1].resource);
            CHECK(b.rungs[i].size <= b.rungs[i - 1].size);
            CHECK(b.rungs[i].size >= 1);
          }
        }
        CHECK(bottoms.size() == s.brackets.size());  // a first resource tells the bracket
      }
    }
  }
}

TEST_CASE("hyperband schedule rejects bad settings", "[hyperband]") {
  CHECK_FALSE(MakeHyperbandSchedule(0, 81, 3).ok());
  CHECK_FALSE(MakeHyperbandSchedule(10, 9, 3).ok());
  CHECK_FALSE(MakeHyperbandSchedule(1, (int64_t{1} << 53) + 1, 3).ok());
  CHECK_FALSE(MakeHyperbandSchedule(1, 81, 1.5).ok());
  CHECK_FALSE(MakeHyperbandSchedule(1, 81, std::numeric_limits<double>::quiet_NaN()).ok());
  CHECK_FALSE(MakeHyperbandSchedule(1, 81, std::numeric_limits<double>::infinity()).ok());
  CHECK(MakeHyperbandSchedule(1, int64_t{1} << 53, 2).ok());
}

}  // namespace
}  // namespace tuner
