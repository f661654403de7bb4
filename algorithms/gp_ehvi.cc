#include "algorithms/gp_ehvi.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "algorithms/gp_acquisition.h"

namespace tuner {

Front2 ParetoFront2(const Eigen::MatrixXd& values, const std::array<double, 2>& reference) {
  std::vector<std::array<double, 2>> above;
  for (Eigen::Index r = 0; r < values.rows(); ++r) {
    const std::array<double, 2> v{values(r, 0), values(r, 1)};
    if (std::isfinite(v[0]) && std::isfinite(v[1]) && v[0] > reference[0] && v[1] > reference[1]) {
      above.push_back(v);
    }
  }
  // By the first objective descending (ties: the second descending); a point
  // is on the front when its second value beats every one before it.
  std::sort(above.begin(), above.end(),
            [](const auto& a, const auto& b) { return a[0] != b[0] ? a[0] > b[0] : a[1] > b[1]; });
  Front2 front;
  front.reference = reference;
  double highest = -std::numeric_limits<double>::infinity();
  for (const auto& v : above) {
    if (v[1] > highest) {
      front.points.push_back(v);
      highest = v[1];
    }
  }
  std::reverse(front.points.begin(), front.points.end());
  return front;
}

ScalarisedValue LogExpectedHypervolumeImprovement2(const std::array<double, 2>& mean,
                                                   const std::array<double, 2>& sd,
                                                   const Front2& front) {
  const size_t n = front.points.size();
  // log EI_1 at the strips' left edges x_0..x_n.
  std::vector<AcquisitionValue> left(n + 1);
  left[0] = LogExpectedImprovement(mean[0], sd[0], front.reference[0]);
  for (size_t i = 0; i < n; ++i) {
    left[i + 1] = LogExpectedImprovement(mean[0], sd[0], front.points[i][0]);
  }
  // Per strip: log of its term and the term's log-derivatives.
  struct Term {
    double log = -std::numeric_limits<double>::infinity();
    double d_mean0 = 0, d_sd0 = 0, d_mean1 = 0, d_sd1 = 0;
  };
  std::vector<Term> terms(n + 1);
  for (size_t i = 0; i <= n; ++i) {
    Term& t = terms[i];
    // log(EI_1(x_i) - EI_1(x_{i+1})) = log EI_1(x_i) + log(1 - e^d).
    double log_a = left[i].value, d_mean0 = left[i].d_mean, d_sd0 = left[i].d_sd;
    if (i < n) {
      const double d = left[i + 1].value - left[i].value;
      if (!(d < 0)) continue;  // a strip too thin to tell apart
      const double rest = -std::expm1(d), e = std::exp(d);
      log_a += std::log(rest);
      d_mean0 = (left[i].d_mean - e * left[i + 1].d_mean) / rest;
      d_sd0 = (left[i].d_sd - e * left[i + 1].d_sd) / rest;
    }
    const double h = i < n ? front.points[i][1] : front.reference[1];
    const AcquisitionValue b = LogExpectedImprovement(mean[1], sd[1], h);
    t = Term{log_a + b.value, d_mean0, d_sd0, b.d_mean, b.d_sd};
  }
  ScalarisedValue out;
  out.d_mean.assign(2, 0.0);
  out.d_sd.assign(2, 0.0);
  double top = -std::numeric_limits<double>::infinity();
  for (const Term& t : terms) top = std::max(top, t.log);
  if (!std::isfinite(top)) {
    out.value = -std::numeric_limits<double>::infinity();
    return out;
  }
  double sum = 0.0;
  for (const Term& t : terms) sum += std::exp(t.log - top);
  out.value = top + std::log(sum);
  for (const Term& t : terms) {
    const double w = std::exp(t.log - out.value);
    out.d_mean[0] += w * t.d_mean0;
    out.d_sd[0] += w * t.d_sd0;
    out.d_mean[1] += w * t.d_mean1;
    out.d_sd[1] += w * t.d_sd1;
  }
  return out;
}

}  // namespace tuner
