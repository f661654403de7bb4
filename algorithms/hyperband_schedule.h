// The bracket arithmetic of Hyperband (Li, Jamieson, DeSalvo, Rostamizadeh and
// Talwalkar, "Hyperband: A Novel Bandit-Based Approach to Hyperparameter
// Optimization", JMLR 18(185), 2018), for a resource in [min, max] (integers,
// 1 <= min <= max) and a reduction factor eta >= 2:
//
//   s_max      = floor(log_eta(max / min))
//   bracket s  (s = s_max, s_max - 1, ..., 0) has s + 1 rungs i = 0..s:
//   n_s        = ceil((s_max + 1) / (s + 1) * eta^s)   configurations at rung 0
//   n_i        = floor(n_s * eta^-i)                   trials at rung i (>= 1)
//   r_i        = round(max * eta^(i - s)), clamped to [min, max]; r_s = max
//
// Rung i + 1 of a bracket holds the best n_{i+1} of rung i's n_i trials, so
// about 1/eta of them are promoted from one rung to the next. Because eta >= 2
// and min >= 1, rung resources strictly increase inside a bracket, and the
// bottom resources r_0 of the brackets are distinct: a configuration's first
// resource tells its bracket. Pure values; thread-safe.
#ifndef TUNER_ALGORITHMS_HYPERBAND_SCHEDULE_H_
#define TUNER_ALGORITHMS_HYPERBAND_SCHEDULE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace tuner {

struct HyperbandRung {
  int64_t resource = 0;  // r_i
  int64_t size = 0;      // n_i: trials of the rung
};

struct HyperbandBracket {
  int s = 0;                         // the bracket's index; it has s + 1 rungs
  std::vector<HyperbandRung> rungs;  // bottom (rung 0) first; the last runs at max
};

struct HyperbandSchedule {
  int64_t min_resource = 1;
  int64_t max_resource = 1;
  double eta = 3.0;
  int s_max = 0;
  std::vector<HyperbandBracket> brackets;  // s = s_max first, s = 0 last

  // Brackets are used in cycles: instance k of a study is bracket
  // brackets[k mod (s_max + 1)].
  const HyperbandBracket& BracketOfInstance(int64_t k) const;
  // Total trials of one pass over every bracket.
  int64_t TrialsPerCycle() const;
};

// InvalidArgument unless 1 <= min <= max <= 2^53 and eta is finite and >= 2.
absl::StatusOr<HyperbandSchedule> MakeHyperbandSchedule(int64_t min_resource, int64_t max_resource,
                                                        double eta);

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_HYPERBAND_SCHEDULE_H_
