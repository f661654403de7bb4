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

}  // namespace

double Matern52Kernel::signal_variance() const { return std::exp(log_signal_variance); }

double Matern52Kernel::operator()(const Eigen::VectorXd& a, const Eigen::VectorXd& b) const {
  const Eigen::ArrayXd inv_l = (-log_length_scales.array()).exp();
  const double r = std::sqrt(((a - b).array() * inv_l).square().sum());
  return signal_variance() * (1.0 + kSqrt5 * r + 5.0 / 3.0 * r * r) * std::exp(-kSqrt5 * r);
}

Eigen::MatrixXd Matern52Kernel::Matrix(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) const {
  const Eigen::RowVectorXd inv_l = (-log_length_scales.array()).exp().matrix().transpose();
  const Eigen::MatrixXd a_scaled = a.array().rowwise() * inv_l.array();
  const Eigen::MatrixXd b_scaled = b.array().rowwise() * inv_l.array();
  const Eigen::ArrayXXd r = SquaredDistances(a_scaled, b_scaled).array().sqrt();
  return (signal_variance() * (1.0 + kSqrt5 * r + 5.0 / 3.0 * r.square()) * (-kSqrt5 * r).exp())
      .matrix();
}

void Matern52Kernel::MatrixAndRadialDerivative(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b,
                                               Eigen::MatrixXd* k, Eigen::MatrixXd* g) const {
  const Eigen::RowVectorXd inv_l = (-log_length_scales.array()).exp().matrix().transpose();
  const Eigen::MatrixXd a_scaled = a.array().rowwise() * inv_l.array();
  const Eigen::MatrixXd b_scaled = b.array().rowwise() * inv_l.array();
  const Eigen::ArrayXXd r = SquaredDistances(a_scaled, b_scaled).array().sqrt();
  const Eigen::ArrayXXd e = signal_variance() * (-kSqrt5 * r).exp();
  *k = ((1.0 + kSqrt5 * r + 5.0 / 3.0 * r.square()) * e).matrix();
  *g = (5.0 / 3.0 * (1.0 + kSqrt5 * r) * e).matrix();
}

Eigen::MatrixXd Matern52Kernel::GradientWrtX(const Eigen::VectorXd& x,
                                             const Eigen::MatrixXd& b) const {
  const Eigen::ArrayXd inv_l2 = (-2.0 * log_length_scales.array()).exp();
  const Eigen::Index m = b.rows(), d = x.size();
  Eigen::MatrixXd grad(d, m);
  const double s2 = signal_variance();
  for (Eigen::Index j = 0; j < m; ++j) {
    const Eigen::ArrayXd diff = x.array() - b.row(j).transpose().array();
    const double r = std::sqrt((diff.square() * inv_l2).sum());
    const double g = 5.0 / 3.0 * s2 * (1.0 + kSqrt5 * r) * std::exp(-kSqrt5 * r);
    grad.col(j) = (-g * diff * inv_l2).matrix();
  }
  return grad;
}

Eigen::VectorXd Matern52Kernel::GradientWrtLogParameters(const Eigen::VectorXd& a,
                                                         const Eigen::VectorXd& b) const {
  const Eigen::ArrayXd inv_l2 = (-2.0 * log_length_scales.array()).exp();
  const Eigen::ArrayXd diff2 = (a - b).array().square() * inv_l2;
  const double r = std::sqrt(diff2.sum());
  const double e = signal_variance() * std::exp(-kSqrt5 * r);
  const double g = 5.0 / 3.0 * (1.0 + kSqrt5 * r) * e;
  Eigen::VectorXd grad(dimension() + 1);
  grad.head(dimension()) = (g * diff2).matrix();
  grad(dimension()) = (1.0 + kSqrt5 * r + 5.0 / 3.0 * r * r) * e;
  return grad;
}

}  // namespace tuner
