#include "algorithms/gp_output_warping.h"

#include <algorithm>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <numeric>

namespace tuner {

double NormalQuantile(double p) {
  p = std::clamp(p, 1e-300, 1.0 - 1e-16);
  return -std::sqrt(2.0) * boost::math::erfc_inv(2.0 * p);
}

Eigen::VectorXd AverageRanks(const Eigen::VectorXd& v) {
  const auto n = static_cast<size_t>(v.size());
  std::vector<Eigen::Index> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](Eigen::Index a, Eigen::Index b) { return v(a) < v(b); });
  Eigen::VectorXd rank(v.size());
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && v(order[j + 1]) == v(order[i])) ++j;
    for (size_t k = i; k <= j; ++k) rank(order[k]) = 0.5 * static_cast<double>(i + j);
    i = j + 1;
  }
  return rank;
}

Eigen::VectorXd WarpOutputs(const std::vector<std::optional<double>>& values, double penalty_gap,
                            bool half_rank) {
  const size_t total = values.size();
  Eigen::VectorXd out = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(total));
  std::vector<size_t> finite;
  for (size_t i = 0; i < total; ++i) {
    if (values[i] && std::isfinite(*values[i])) finite.push_back(i);
  }
  const size_t n = finite.size();
  if (n == 0) return out;

  std::vector<double> y(n);
  for (size_t i = 0; i < n; ++i) y[i] = *values[finite[i]];
  const Eigen::VectorXd rank =
      AverageRanks(Eigen::Map<const Eigen::VectorXd>(y.data(), static_cast<Eigen::Index>(n)));
  std::vector<double> sorted = y;
  std::sort(sorted.begin(), sorted.end());
  const double median = n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  double upper_ss = 0.0;
  size_t upper_n = 0;
  for (double v : y) {
    if (v >= median) {
      upper_ss += (v - median) * (v - median);
      ++upper_n;
    }
  }
  double spread = upper_n > 0 ? std::sqrt(upper_ss / static_cast<double>(upper_n)) : 0.0;
  if (!(spread > 0.0)) spread = 1.0;
  std::vector<double> warped(n);
  for (size_t i = 0; i < n; ++i) {
    if (y[i] >= median || !half_rank) {
      warped[i] = y[i];
    } else {
      const double q = (rank(static_cast<Eigen::Index>(i)) + 0.5) / static_cast<double>(n);
      warped[i] = median + spread * std::min(NormalQuantile(q), 0.0);
    }
  }
  const double mean = std::accumulate(warped.begin(), warped.end(), 0.0) / static_cast<double>(n);
  double ss = 0.0;
  for (double v : warped) ss += (v - mean) * (v - mean);
  double sd = std::sqrt(ss / static_cast<double>(n));
  if (!(sd > 1e-12 * std::max(1.0, std::abs(mean)))) sd = 1.0;
  double lowest = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double v = (warped[i] - mean) / sd;
    out(static_cast<Eigen::Index>(finite[i])) = v;
    lowest = i == 0 ? v : std::min(lowest, v);
  }
  const double penalty = lowest - penalty_gap;
  for (size_t i = 0; i < total; ++i) {
    if (!(values[i] && std::isfinite(*values[i]))) out(static_cast<Eigen::Index>(i)) = penalty;
  }
  return out;
}

}  // namespace tuner
