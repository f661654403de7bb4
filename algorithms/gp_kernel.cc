#include "algorithms/gp_kernel.h"

#include <cmath>

namespace tuner {
namespace {

constexpr double kSqrt5 = 2.2360679774997896964;

// Squared scaled distances between the rows of `a` and `b` (already divided
// by the length scales), computed pairwise (not via the |a|^2 + |b|^2 - 2ab
// expansion) so that near-duplicates keep r = 0 exactly.
Eigen::MatrixXd SquaredDistances(const Eigen::MatrixXd& a_scaled, const Eigen::MatrixXd& b_scaled) {
  const Eigen::Index n = a_scaled.rows(), m = b_scaled.rows();
  Eigen::MatrixXd r2(n, m);
  for (Eigen::Index j = 0; j < m; ++j) {
    r2.col(j) = (a_scaled.rowwise() - b_scaled.row(j)).rowwise().squaredNorm();
  }
  return r2;
}

// |a_i - b_j| for one column of `a` and `b` (already scaled).
Eigen::ArrayXXd AbsDifferences(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  Eigen::ArrayXXd r(a.size(), b.size());
  for (Eigen::Index j = 0; j < b.size(); ++j) r.col(j) = (a.array() - b(j)).abs();
  return r;
}

}  // namespace

double Matern52Kernel::signal_variance() const { return std::exp(log_signal_variance); }

double Matern52Kernel::additive_weight() const { return std::exp(log_additive_weight); }

double Matern52Kernel::prior_variance() const {
  return signal_variance() * (1.0 + additive_weight());
}

double Matern52Kernel::operator()(const Eigen::VectorXd& a, const Eigen::VectorXd& b) const {
  const Eigen::ArrayXd inv_l = (-log_length_scales.array()).exp();
  const Eigen::ArrayXd rd = ((a - b).array() * inv_l).abs();
  const double r = std::sqrt(rd.square().sum());
  double k = (1.0 + kSqrt5 * r + 5.0 / 3.0 * r * r) * std::exp(-kSqrt5 * r);
  const double w = additive_weight();
  if (w > 0.0 && dimension() > 0) {
    k += w / dimension() *
         ((1.0 + kSqrt5 * rd + 5.0 / 3.0 * rd.square()) * (-kSqrt5 * rd).exp()).sum();
  }
  return signal_variance() * k;
}

Eigen::MatrixXd Matern52Kernel::Matrix(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) const {
  const Eigen::RowVectorXd inv_l = (-log_length_scales.array()).exp().matrix().transpose();
  const Eigen::MatrixXd a_scaled = a.array().rowwise() * inv_l.array();
  const Eigen::MatrixXd b_scaled = b.array().rowwise() * inv_l.array();
  const Eigen::ArrayXXd r = SquaredDistances(a_scaled, b_scaled).array().sqrt();
  Eigen::ArrayXXd k = (1.0 + kSqrt5 * r + 5.0 / 3.0 * r.square()) * (-kSqrt5 * r).exp();
  const double w = additive_weight();
  if (w > 0.0 && dimension() > 0) {
    for (int d = 0; d < dimension(); ++d) {
      const Eigen::ArrayXXd rd = AbsDifferences(a_scaled.col(d), b_scaled.col(d));
      k += w / dimension() * (1.0 + kSqrt5 * rd + 5.0 / 3.0 * rd.square()) * (-kSqrt5 * rd).exp();
    }
  }
  return (signal_variance() * k).matrix();
}

void Matern52Kernel::MatrixAndRadialDerivative(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b,
                                               Eigen::MatrixXd* k, Eigen::MatrixXd* g,
                                               Eigen::MatrixXd* additive) const {
  const Eigen::RowVectorXd inv_l = (-log_length_scales.array()).exp().matrix().transpose();
  const Eigen::MatrixXd a_scaled = a.array().rowwise() * inv_l.array();
  const Eigen::MatrixXd b_scaled = b.array().rowwise() * inv_l.array();
  const Eigen::ArrayXXd r = SquaredDistances(a_scaled, b_scaled).array().sqrt();
  const Eigen::ArrayXXd e = signal_variance() * (-kSqrt5 * r).exp();
  *k = ((1.0 + kSqrt5 * r + 5.0 / 3.0 * r.square()) * e).matrix();
  *g = (5.0 / 3.0 * (1.0 + kSqrt5 * r) * e).matrix();
  const double w = additive_weight();
  if (additive != nullptr) additive->setZero(a.rows(), b.rows());
  if (!(w > 0.0) || dimension() == 0) return;
  Eigen::ArrayXXd sum = Eigen::ArrayXXd::Zero(a.rows(), b.rows());
  for (int d = 0; d < dimension(); ++d) {
    const Eigen::ArrayXXd rd = AbsDifferences(a_scaled.col(d), b_scaled.col(d));
    sum += (1.0 + kSqrt5 * rd + 5.0 / 3.0 * rd.square()) * (-kSqrt5 * rd).exp();
  }
  const Eigen::MatrixXd add = (signal_variance() * w / dimension() * sum).matrix();
  *k += add;
  if (additive != nullptr) *additive = add;
}

Eigen::VectorXd Matern52Kernel::AdditiveLengthScaleContraction(const Eigen::MatrixXd& x,
                                                               const Eigen::MatrixXd& w) const {
  Eigen::VectorXd out = Eigen::VectorXd::Zero(dimension());
  const double weight = additive_weight();
  if (!(weight > 0.0)) return out;
  const double scale = signal_variance() * weight / dimension();
  for (int d = 0; d < dimension(); ++d) {
    const Eigen::VectorXd xd = x.col(d) * std::exp(-log_length_scales(d));
    const Eigen::ArrayXXd rd = AbsDifferences(xd, xd);
    // g(r_d) r_d^2 = dm(r_d)/d(log l_d) with s^2 w / D factored out.
    const Eigen::ArrayXXd dk = 5.0 / 3.0 * (1.0 + kSqrt5 * rd) * (-kSqrt5 * rd).exp() * rd.square();
    out(d) = scale * (w.array() * dk).sum();
  }
  return out;
}

Eigen::MatrixXd Matern52Kernel::GradientWrtX(const Eigen::VectorXd& x,
                                             const Eigen::MatrixXd& b) const {
  const Eigen::ArrayXd inv_l2 = (-2.0 * log_length_scales.array()).exp();
  const Eigen::ArrayXd inv_l = (-log_length_scales.array()).exp();
  const Eigen::Index m = b.rows(), d = x.size();
  Eigen::MatrixXd grad(d, m);
  const double s2 = signal_variance();
  const double w = additive_weight();
  const bool additive = w > 0.0 && d > 0;
  for (Eigen::Index j = 0; j < m; ++j) {
    const Eigen::ArrayXd diff = x.array() - b.row(j).transpose().array();
    const double r = std::sqrt((diff.square() * inv_l2).sum());
    const double g = 5.0 / 3.0 * s2 * (1.0 + kSqrt5 * r) * std::exp(-kSqrt5 * r);
    Eigen::ArrayXd total = Eigen::ArrayXd::Constant(d, g);
    if (additive) {
      const Eigen::ArrayXd rd = diff.abs() * inv_l;
      total +=
          w / static_cast<double>(d) * 5.0 / 3.0 * s2 * (1.0 + kSqrt5 * rd) * (-kSqrt5 * rd).exp();
    }
    grad.col(j) = (-total * diff * inv_l2).matrix();
  }
  return grad;
}

Eigen::VectorXd Matern52Kernel::GradientWrtLogParameters(const Eigen::VectorXd& a,
                                                         const Eigen::VectorXd& b) const {
  const Eigen::ArrayXd inv_l2 = (-2.0 * log_length_scales.array()).exp();
  const Eigen::ArrayXd diff2 = (a - b).array().square() * inv_l2;
  const double r = std::sqrt(diff2.sum());
  const double s2 = signal_variance();
  const double e = s2 * std::exp(-kSqrt5 * r);
  const double g = 5.0 / 3.0 * (1.0 + kSqrt5 * r) * e;
  Eigen::VectorXd grad(dimension() + 2);
  grad.head(dimension()) = (g * diff2).matrix();
  grad(dimension()) = (1.0 + kSqrt5 * r + 5.0 / 3.0 * r * r) * e;
  grad(dimension() + 1) = 0.0;
  const double w = additive_weight();
  if (w > 0.0 && dimension() > 0) {
    const Eigen::ArrayXd rd = diff2.sqrt();
    const Eigen::ArrayXd ed = (-kSqrt5 * rd).exp();
    const double scale = s2 * w / dimension();
    grad.head(dimension()) += (scale * 5.0 / 3.0 * (1.0 + kSqrt5 * rd) * ed * diff2).matrix();
    const double add = scale * ((1.0 + kSqrt5 * rd + 5.0 / 3.0 * rd.square()) * ed).sum();
    grad(dimension()) += add;
    grad(dimension() + 1) = add;
  }
  return grad;
}

}  // namespace tuner
