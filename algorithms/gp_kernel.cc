#include "algorithms/gp_kernel.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

namespace tuner {
namespace {

constexpr double kSqrt5 = 2.2360679774997896964;
// Largest sqrt(5) |u - centre| whose exponential is factored (see below):
// products of two factors then stay within e^+-600, far from overflow.
constexpr double kMaxFactoredExponent = 300.0;

// exp(-sqrt5 |u - v|) = min(e^-(u) e^+(v), e^+(u) e^-(v)) with e^+-(u) =
// exp(+-sqrt5 (u - c)): with the factors of every point computed once, the
// additive part needs one exponential per point and dimension instead of one
// per pair (and per dimension). c is the middle of the dimension's range over
// both sets; a dimension too wide for that is exponentiated per pair.
class AxisDecay {
 public:
  // Rows of `a` and `b` are points already divided by the length scales.
  AxisDecay(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b)
      : a_(a), b_(b), factored_(a.cols()) {
    a_plus_.resize(a.rows(), a.cols());
    b_plus_.resize(b.rows(), b.cols());
    for (Eigen::Index d = 0; d < a.cols() && a.rows() > 0 && b.rows() > 0; ++d) {
      const double lo = std::min(a.col(d).minCoeff(), b.col(d).minCoeff());
      const double hi = std::max(a.col(d).maxCoeff(), b.col(d).maxCoeff());
      const double centre = 0.5 * (lo + hi);
      factored_[d] = kSqrt5 * 0.5 * (hi - lo) <= kMaxFactoredExponent;
      if (!factored_[d]) continue;
      a_plus_.col(d) = (kSqrt5 * (a.col(d).array() - centre)).exp();
      b_plus_.col(d) = (kSqrt5 * (b.col(d).array() - centre)).exp();
    }
    a_minus_ = a_plus_.inverse();
    b_minus_ = b_plus_.inverse();
  }

  // exp(-sqrt5 |a_id - b_jd|) for the `count` rows i of `a` from `begin`.
  void Column(Eigen::Index d, Eigen::Index j, Eigen::Index begin, Eigen::Index count,
              Eigen::ArrayXd* out) const {
    if (factored_[d]) {
      *out = (a_minus_.col(d).segment(begin, count) * b_plus_(j, d))
                 .min(a_plus_.col(d).segment(begin, count) * b_minus_(j, d));
    } else {
      *out = (-kSqrt5 * (a_.col(d).segment(begin, count).array() - b_(j, d)).abs()).exp();
    }
  }

 private:
  const Eigen::MatrixXd& a_;
  const Eigen::MatrixXd& b_;
  std::vector<bool> factored_;
  Eigen::ArrayXXd a_plus_, a_minus_, b_plus_, b_minus_;
};

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
  // Columns run along a's rows: long columns vectorise, so the longer side.
  if (a.rows() < b.rows()) return Matrix(b, a).transpose();
  const Eigen::RowVectorXd inv_l = (-log_length_scales.array()).exp().matrix().transpose();
  const Eigen::MatrixXd a_scaled = a.array().rowwise() * inv_l.array();
  const Eigen::MatrixXd b_scaled = b.array().rowwise() * inv_l.array();
  const Eigen::Index n = a.rows();
  const double w = additive_weight();
  const bool additive = w > 0.0 && dimension() > 0;
  Eigen::MatrixXd k(n, b.rows());
  Eigen::ArrayXd r2(n), sum(n), ed(n);
  // Only the additive part uses it.
  const std::optional<AxisDecay> decay =
      additive ? std::optional<AxisDecay>(std::in_place, a_scaled, b_scaled) : std::nullopt;
  // One column at a time: its temporaries stay in cache.
  for (Eigen::Index j = 0; j < b.rows(); ++j) {
    r2.setZero();
    for (int d = 0; d < dimension(); ++d) r2 += (a_scaled.col(d).array() - b_scaled(j, d)).square();
    const Eigen::ArrayXd r = r2.sqrt();
    sum = (1.0 + kSqrt5 * r + 5.0 / 3.0 * r2) * (-kSqrt5 * r).exp();
    if (additive) {
      for (int d = 0; d < dimension(); ++d) {
        const Eigen::ArrayXd rd = (a_scaled.col(d).array() - b_scaled(j, d)).abs();
        decay->Column(d, j, 0, n, &ed);
        sum += w / dimension() * (1.0 + kSqrt5 * rd + 5.0 / 3.0 * rd.square()) * ed;
      }
    }
    k.col(j) = (signal_variance() * sum).matrix();
  }
  return k;
}

void Matern52Kernel::Self(const Eigen::MatrixXd& x, bool derivatives, SelfTerms* terms) const {
  const Eigen::Index n = x.rows();
  const Eigen::RowVectorXd inv_l = (-log_length_scales.array()).exp().matrix().transpose();
  const Eigen::MatrixXd scaled = x.array().rowwise() * inv_l.array();
  const double s2 = signal_variance();
  const double w = additive_weight();
  const bool additive = w > 0.0 && dimension() > 0;
  const double scale = additive ? s2 * w / dimension() : 0.0;
  SelfTerms& out = *terms;
  out.k.resize(n, n);
  out.radial.resize(derivatives ? n : 0, derivatives ? n : 0);
  out.additive.resize(additive && derivatives ? n : 0, additive && derivatives ? n : 0);
  out.additive_length.resize(additive && derivatives ? dimension() : 0);
  out.radial.setZero();
  out.additive.setZero();
  for (Eigen::MatrixXd& a : out.additive_length) a.setZero(n, n);
  Eigen::ArrayXd r2(n), sum(n), ed(n);
  const std::optional<AxisDecay> decay =
      additive ? std::optional<AxisDecay>(std::in_place, scaled, scaled) : std::nullopt;
  // Column j from the diagonal down (the lower triangle).
  for (Eigen::Index j = 0; j < n; ++j) {
    const Eigen::Index m = n - j;
    r2.head(m).setZero();
    for (int d = 0; d < dimension(); ++d) {
      r2.head(m) += (scaled.col(d).tail(m).array() - scaled(j, d)).square();
    }
    const Eigen::ArrayXd r = r2.head(m).sqrt();
    const Eigen::ArrayXd e = s2 * (-kSqrt5 * r).exp();
    out.k.col(j).tail(m) = ((1.0 + kSqrt5 * r + 5.0 / 3.0 * r2.head(m)) * e).matrix();
    if (derivatives) out.radial.col(j).tail(m) = (5.0 / 3.0 * (1.0 + kSqrt5 * r) * e).matrix();
    if (!additive) continue;
    sum.head(m).setZero();
    for (int d = 0; d < dimension(); ++d) {
      const Eigen::ArrayXd rd = (scaled.col(d).tail(m).array() - scaled(j, d)).abs();
      decay->Column(d, j, j, m, &ed);
      sum.head(m) += (1.0 + kSqrt5 * rd + 5.0 / 3.0 * rd.square()) * ed;
      if (derivatives) {
        out.additive_length[d].col(j).tail(m) =
            (scale * 5.0 / 3.0 * (1.0 + kSqrt5 * rd) * ed * rd.square()).matrix();
      }
    }
    out.k.col(j).tail(m) += (scale * sum.head(m)).matrix();
    if (derivatives) out.additive.col(j).tail(m) = (scale * sum.head(m)).matrix();
  }
  for (Eigen::Index j = 1; j < n; ++j) out.k.col(j).head(j) = out.k.row(j).head(j).transpose();
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
