#include "algorithms/hyperband_schedule.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace tuner {
namespace {

constexpr int64_t kMaxResource = int64_t{1} << 53;
// Relative slack for powers of eta that should be exact (3^4 = 81) but may
// come out of std::pow a few ulps off.
constexpr double kSlack = 1e-9;

}  // namespace

const HyperbandBracket& HyperbandSchedule::BracketOfInstance(int64_t k) const {
  return brackets[static_cast<size_t>(k % static_cast<int64_t>(brackets.size()))];
}

int64_t HyperbandSchedule::TrialsPerCycle() const {
  int64_t total = 0;
  for (const HyperbandBracket& bracket : brackets) {
    for (const HyperbandRung& rung : bracket.rungs) total += rung.size;
  }
  return total;
}

absl::StatusOr<HyperbandSchedule> MakeHyperbandSchedule(int64_t min_resource, int64_t max_resource,
                                                        double eta) {
  if (min_resource < 1 || max_resource < min_resource || max_resource > kMaxResource) {
    return absl::InvalidArgumentError(
        "hyperband: the resource needs 1 <= min <= max <= 2^53 (got [" +
        std::to_string(min_resource) + ", " + std::to_string(max_resource) + "])");
  }
  if (!std::isfinite(eta) || eta < 2.0) {
    return absl::InvalidArgumentError("hyperband: eta must be a number >= 2 (got " +
                                      std::to_string(eta) + ")");
  }
  HyperbandSchedule schedule;
  schedule.min_resource = min_resource;
  schedule.max_resource = max_resource;
  schedule.eta = eta;
  const double ratio = static_cast<double>(max_resource) / static_cast<double>(min_resource);
  // The largest s with eta^s <= max / min (a loop rather than a log, so that
  // 81 / 1 with eta 3 is exactly 4).
  int s_max = 0;
  while (std::pow(eta, s_max + 1) <= ratio * (1.0 + kSlack)) ++s_max;
  schedule.s_max = s_max;

  const double max = static_cast<double>(max_resource);
  for (int s = s_max; s >= 0; --s) {
    HyperbandBracket bracket;
    bracket.s = s;
    const double n = static_cast<double>(s_max + 1) / static_cast<double>(s + 1) * std::pow(eta, s);
    const int64_t n0 = static_cast<int64_t>(std::ceil(n * (1.0 - kSlack)));
    for (int i = 0; i <= s; ++i) {
      HyperbandRung rung;
      const double size = static_cast<double>(n0) * std::pow(eta, -i);
      rung.size = std::max<int64_t>(1, static_cast<int64_t>(std::floor(size * (1.0 + kSlack))));
      const int64_t r =
          i == s ? max_resource : static_cast<int64_t>(std::llround(max * std::pow(eta, i - s)));
      rung.resource = std::clamp(r, min_resource, max_resource);
      bracket.rungs.push_back(rung);
    }
    schedule.brackets.push_back(std::move(bracket));
  }
  return schedule;
}

}  // namespace tuner
