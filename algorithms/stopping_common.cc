#include "algorithms/stopping_common.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace tuner::stopping_internal {

double Quantile(const OrderStatisticsSet& set, double q) {
  const size_t n = set.size();
  const double position = q * static_cast<double>(n - 1);
  const double lower_position = std::floor(position);
  const size_t lower = static_cast<size_t>(lower_position);
  const double lower_score = set.find_by_order(lower)->first;
  if (lower + 1 >= n || position == lower_position) return lower_score;
  const double upper_score = set.find_by_order(lower + 1)->first;
  return lower_score + (position - lower_position) * (upper_score - lower_score);
}

size_t CountBetter(const OrderStatisticsSet& set, double score) {
  // Keys below (next score up, lowest id) are exactly those with a score <= `score`.
  const double above = std::nextafter(score, std::numeric_limits<double>::infinity());
  return set.size() - set.order_of_key({above, std::numeric_limits<int64_t>::min()});
}

std::string FormatNumber(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

std::string Ordinal(double p) {
  if (p != std::floor(p) || p < 0 || p > 1e9) return FormatNumber(p) + "th";
  const long long n = static_cast<long long>(p);
  const char* suffix = "th";
  if (n % 100 < 11 || n % 100 > 13) {
    if (n % 10 == 1) suffix = "st";
    if (n % 10 == 2) suffix = "nd";
    if (n % 10 == 3) suffix = "rd";
  }
  return std::to_string(n) + suffix;
}

std::string MetricLabel(const std::string& metric) { return metric.empty() ? "value" : metric; }

}  // namespace tuner::stopping_internal
