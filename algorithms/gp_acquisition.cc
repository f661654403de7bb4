#include "algorithms/gp_acquisition.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace tuner {
namespace {

constexpr double kLogSqrt2Pi = 0.91893853320467274178;  // log sqrt(2 pi)
constexpr double kSqrtHalfPi = 1.2533141373155002512;   // sqrt(pi / 2)
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kTailStart = -25.0;
constexpr double kMostNegative = -1e150;  // z^2 stays finite

double LogNormalPdf(double z) { return -0.5 * z * z - kLogSqrt2Pi; }

// log(1 - 3/z^2 + 15/z^4 - 105/z^6 + 945/z^8), the Mills-ratio series.
double TailSeriesLog(double z) {
  const double u = 1.0 / (z * z);
  return std::log1p(u * (-3.0 + u * (15.0 + u * (-105.0 + u * 945.0))));
}

}  // namespace

double LogH(double z) {
  z = std::max(z, kMostNegative);
  if (z > -1.0) {
    const double pdf = std::exp(LogNormalPdf(z));
    const double cdf = 0.5 * std::erfc(-z * kInvSqrt2);
    return std::log(pdf + z * cdf);
  }
  if (z > kTailStart) {
    const double t = -z * kInvSqrt2;  // > 0
    const double erfcx = std::exp(t * t) * std::erfc(t);
    return LogNormalPdf(z) + std::log1p(z * kSqrtHalfPi * erfcx);
  }
  return LogNormalPdf(z) - 2.0 * std::log(-z) + TailSeriesLog(z);
}

double LogNormalCdf(double z) {
  z = std::max(z, kMostNegative);
  if (z > kTailStart) return std::log(0.5 * std::erfc(-z * kInvSqrt2));
  // Phi(z) = phi(z)/|z| (1 - 1/z^2 + 3/z^4 - 15/z^6 + 105/z^8 ...)
  const double u = 1.0 / (z * z);
  return LogNormalPdf(z) - std::log(-z) +
         std::log1p(u * (-1.0 + u * (3.0 + u * (-15.0 + u * 105.0))));
}

AcquisitionValue LogExpectedImprovement(double mean, double sd, double best) {
  const double z = (mean - best) / sd;
  const double log_h = LogH(z);
  AcquisitionValue out;
  out.value = log_h + std::log(sd);
  out.d_mean = std::exp(LogNormalCdf(z) - log_h) / sd;
  out.d_sd = std::exp(LogNormalPdf(std::max(z, kMostNegative)) - log_h) / sd;
  return out;
}

AcquisitionValue UpperConfidenceBound(double mean, double sd, double beta) {
  return AcquisitionValue{mean + beta * sd, 1.0, beta};
}

FantasyValue LogMeanExpectedImprovement(const Eigen::VectorXd& means, double sd,
                                        const Eigen::VectorXd& bests) {
  const Eigen::Index count = means.size();
  std::vector<AcquisitionValue> each;
  double top = -std::numeric_limits<double>::infinity();
  for (Eigen::Index s = 0; s < count; ++s) {
    each.push_back(LogExpectedImprovement(means(s), sd, bests(s)));
    top = std::max(top, each.back().value);
  }
  // log-sum-exp, each term weighted by its share of the sum.
  FantasyValue out;
  out.d_means = Eigen::VectorXd::Zero(count);
  double sum = 0.0;
  for (const AcquisitionValue& v : each) sum += std::exp(v.value - top);
  out.value = top + std::log(sum / static_cast<double>(count));
  for (Eigen::Index s = 0; s < count; ++s) {
    const double share = std::exp(each[s].value - top) / sum;
    out.d_means(s) = share * each[s].d_mean;
    out.d_sd += share * each[s].d_sd;
  }
  return out;
}

namespace {

// The standard deviation of a variance, at least the floor's, and its gradient.
void FlooredSd(double var, const Eigen::VectorXd& d_var, double* sd, Eigen::VectorXd* d_sd) {
  if (var > kPosteriorVarianceFloor) {
    *sd = std::sqrt(var);
    *d_sd = d_var / (2.0 * *sd);
  } else {
    *sd = std::sqrt(kPosteriorVarianceFloor);
    *d_sd = Eigen::VectorXd::Zero(d_var.size());
  }
}

}  // namespace

PosteriorGradient PosteriorWithGradient(const GaussianProcess& gp, const Eigen::VectorXd& x) {
  PosteriorGradient p;
  double var;
  Eigen::VectorXd dvar;
  gp.PredictWithGradient(x, &p.mean, &var, &p.d_mean, &dvar);
  FlooredSd(var, dvar, &p.sd, &p.d_sd);
  return p;
}

FantasyPosteriorGradient PosteriorWithGradient(const GaussianProcess& gp,
                                               const Eigen::MatrixXd& weights,
                                               const Eigen::VectorXd& x) {
  FantasyPosteriorGradient p;
  double var;
  Eigen::VectorXd dvar;
  gp.PredictWithGradientUnder(weights, x, &p.means, &var, &p.d_means, &dvar);
  FlooredSd(var, dvar, &p.sd, &p.d_sd);
  return p;
}

}  // namespace tuner
