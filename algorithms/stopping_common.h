// Building blocks shared by the stopping rules: an order-statistics set of
// oriented scores (O(log n) insert, rank and k-th element), the quantile the
// percentile rules compare against, and the number formatting of reasons.
// Internal to algorithms/stopping_*.cc.
#ifndef TUNER_ALGORITHMS_STOPPING_COMMON_H_
#define TUNER_ALGORITHMS_STOPPING_COMMON_H_

#include <cstddef>
#include <cstdint>
#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>
#include <functional>
#include <string>
#include <utility>

#include "algorithms/objective.h"

namespace tuner::stopping_internal {

// A value oriented so that larger is better: the value when maximizing, its
// negation when minimizing. Every comparison inside the rules uses scores.
inline double ToScore(Goal goal, double value) { return goal == Goal::kMaximize ? value : -value; }
// The inverse of ToScore (the same map).
inline double FromScore(Goal goal, double score) { return ToScore(goal, score); }

// (score, trial id): the id breaks ties so equal scores can coexist.
using ScoreKey = std::pair<double, int64_t>;
using OrderStatisticsSet =
    __gnu_pbds::tree<ScoreKey, __gnu_pbds::null_type, std::less<ScoreKey>, __gnu_pbds::rb_tree_tag,
                     __gnu_pbds::tree_order_statistics_node_update>;

// The q-quantile (q in [0, 1]) of the scores in `set`, interpolated linearly
// between the two nearest order statistics at position q * (n - 1) (numpy's
// default "linear" method; q = 0.5 is the usual median). `set` must not be
// empty. O(log n).
double Quantile(const OrderStatisticsSet& set, double q);

// How many scores in `set` are strictly greater (better) than `score`. O(log n).
size_t CountBetter(const OrderStatisticsSet& set, double score);

// A number for a reason: up to 6 significant digits ("0.61", "1.5e-05").
std::string FormatNumber(double value);

// "1st", "2nd", "3rd", "4th", "11th", "25th"; a non-integral p as "33.3th".
std::string Ordinal(double p);

// `metric`, or "value" when empty.
std::string MetricLabel(const std::string& metric);

}  // namespace tuner::stopping_internal

#endif  // TUNER_ALGORITHMS_STOPPING_COMMON_H_
