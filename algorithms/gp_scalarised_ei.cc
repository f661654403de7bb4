#include "algorithms/gp_scalarised_ei.h"

#include <algorithm>
#include <boost/math/quadrature/gauss.hpp>
#include <cmath>
#include <limits>
#include <numeric>

#include "algorithms/gp_acquisition.h"

namespace tuner {
namespace {

constexpr int kPanels = 4;
constexpr int kNodes = 8;  // Gauss-Legendre nodes per panel
constexpr double kLogSqrt2Pi = 0.91893853320467274178;

// phi(z) / P(Z > z), the hazard of the standard normal; > 0.
double Hazard(double z) { return std::exp(-0.5 * z * z - kLogSqrt2Pi - LogNormalCdf(-z)); }

// The nodes and weights of Gauss-Legendre on [-1, 1].
struct Rule {
  double x[kNodes];
  double w[kNodes];
};

const Rule& Legendre() {
  static const Rule rule = [] {
    using G = boost::math::quadrature::gauss<double, kNodes>;
    Rule r{};
    int k = 0;
    for (size_t i = 0; i < G::abscissa().size(); ++i) {
      const double a = G::abscissa()[i], w = G::weights()[i];
      r.x[k] = a;
      r.w[k++] = w;
      if (a != 0.0) {
        r.x[k] = -a;
        r.w[k++] = w;
      }
    }
    return r;
  }();
  return rule;
}

}  // namespace

ScalarisedValue LogScalarisedExpectedImprovement(const std::vector<double>& mean,
                                                 const std::vector<double>& sd, double best) {
  const size_t m = mean.size();
  ScalarisedValue out;
  out.d_mean.assign(m, 0.0);
  out.d_sd.assign(m, 0.0);

  double rate = 0.0, upper = std::numeric_limits<double>::infinity(), log_start = 0.0;
  for (size_t j = 0; j < m; ++j) {
    rate += Hazard((best - mean[j]) / sd[j]) / sd[j];
    upper = std::min(upper, mean[j] + 8.0 * sd[j]);
    log_start += LogNormalCdf((mean[j] - best) / sd[j]);
  }
  double width = 40.0 / rate;
  if (upper > best && log_start > -10.0) width = std::min(width, upper - best);
  if (!(width > 0.0) || !std::isfinite(width)) {
    out.value = -std::numeric_limits<double>::infinity();
    return out;
  }

  const Rule& rule = Legendre();
  const double half = width / (2.0 * kPanels);
  constexpr int kTotal = kPanels * kNodes;
  double log_term[kTotal];
  double max_log = -std::numeric_limits<double>::infinity();
  for (int p = 0; p < kPanels; ++p) {
    const double centre = best + (2 * p + 1) * half;
    for (int k = 0; k < kNodes; ++k) {
      const double t = centre + half * rule.x[k];
      double log_survival = 0.0;
      for (size_t j = 0; j < m; ++j) log_survival += LogNormalCdf((mean[j] - t) / sd[j]);
      const int i = p * kNodes + k;
      log_term[i] = std::log(half * rule.w[k]) + log_survival;
      max_log = std::max(max_log, log_term[i]);
    }
  }
  if (!std::isfinite(max_log)) {
    out.value = -std::numeric_limits<double>::infinity();
    return out;
  }
  double sum = 0.0;
  for (double l : log_term) sum += std::exp(l - max_log);
  out.value = max_log + std::log(sum);

  // d log(sum_k c_k prod_j S_j(t_k)) / d mean_j = sum_k p_k hazard(z_jk) / sd_j,
  // with p_k the share of node k and z_jk = (t_k - mean_j) / sd_j; for sd_j
  // the same times z_jk.
  for (int p = 0; p < kPanels; ++p) {
    const double centre = best + (2 * p + 1) * half;
    for (int k = 0; k < kNodes; ++k) {
      const double share = std::exp(log_term[p * kNodes + k] - out.value);
      if (share < 1e-300) continue;
      const double t = centre + half * rule.x[k];
      for (size_t j = 0; j < m; ++j) {
        const double z = (t - mean[j]) / sd[j];
        const double h = share * Hazard(z) / sd[j];
        out.d_mean[j] += h;
        out.d_sd[j] += h * z;
      }
    }
  }
  return out;
}

Eigen::VectorXd ScalarisationReference(const Eigen::MatrixXd& values, double margin,
                                       double min_margin) {
  // Rows by the first objective, best first (then by the others): a row is
  // dominated only by one before it, so checking the front found so far
  // suffices.
  std::vector<Eigen::Index> order(static_cast<size_t>(values.rows()));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) {
    for (Eigen::Index j = 0; j < values.cols(); ++j) {
      if (values(a, j) != values(b, j)) return values(a, j) > values(b, j);
    }
    return a < b;
  });
  std::vector<Eigen::Index> front;
  for (Eigen::Index i : order) {
    bool dominated = false;
    for (Eigen::Index f : front) {
      if ((values.row(f).array() >= values.row(i).array()).all()) {
        dominated = true;
        break;
      }
    }
    if (!dominated) front.push_back(i);
  }
  Eigen::VectorXd worst = values.row(front.front()).transpose(), best = worst;
  for (Eigen::Index f : front) {
    worst = worst.cwiseMin(values.row(f).transpose());
    best = best.cwiseMax(values.row(f).transpose());
  }
  return best + (margin * (best - worst)).cwiseMax(min_margin);
}

}  // namespace tuner
