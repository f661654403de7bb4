// The Matérn-5/2 covariance function with automatic relevance determination
// (one length scale per input dimension) plus a first-order additive part,
// the kernel of the GP designer.
//
//   m(r)      = (1 + sqrt(5) r + 5 r^2 / 3) exp(-sqrt(5) r)
//   r(x, x')  = sqrt( sum_d (x_d - x'_d)^2 / l_d^2 ),  r_d = |x_d - x'_d| / l_d
//   k(x, x')  = s^2 [ m(r) + (w / D) sum_d m(r_d) ]
//
// (Matérn: Rasmussen and Williams, "Gaussian Processes for Machine Learning",
// MIT Press 2006, eq. 4.17; ARD as in their section 5.1. Additive part:
// Duvenaud, Nickisch and Rasmussen, "Additive Gaussian processes", NeurIPS
// 2011, orders 1 and D with shared length scales.) The additive part lets
// the model carry what it learned about one coordinate to points that differ
// from the data in that coordinate alone (e.g. a second basin along one
// axis), which the ARD part alone forgets beyond a few length scales; w = 0
// (log w = -inf, the default) is the plain ARD kernel. The kernel is twice
// differentiable, which suits the gradient-based fitting and acquisition
// search. Derivatives used elsewhere, with g(r) = (5/3) s^2 (1 + sqrt(5) r)
// exp(-sqrt(5) r) and G_d = g(r) + (w / D) g(r_d):
//
//   dk/dx_d        = -G_d (x_d - x'_d) / l_d^2
//   dk/d(log l_d)  =  G_d (x_d - x'_d)^2 / l_d^2
//   dk/d(log s^2)  =  k
//   dk/d(log w)    =  s^2 (w / D) sum_d m(r_d)
//
// None of them is singular at r = 0. Hyperparameters are held in log space so
// that optimisers work on an unconstrained (or box-bounded) scale.
//
// Points are the rows of a matrix. Pure functions of their inputs;
// thread-safe.
#ifndef TUNER_ALGORITHMS_GP_KERNEL_H_
#define TUNER_ALGORITHMS_GP_KERNEL_H_

#include <Eigen/Dense>
#include <limits>
#include <vector>

namespace tuner {

struct Matern52Kernel {
  Eigen::VectorXd log_length_scales;                                      // one per input dimension
  double log_signal_variance = 0.0;                                       // log s^2
  double log_additive_weight = -std::numeric_limits<double>::infinity();  // log w

  int dimension() const { return static_cast<int>(log_length_scales.size()); }
  double signal_variance() const;
  double additive_weight() const;
  // k(x, x) = s^2 (1 + w).
  double prior_variance() const;

  // k(a, b) for two points.
  double operator()(const Eigen::VectorXd& a, const Eigen::VectorXd& b) const;

  // The cross-covariance matrix K_ij = k(a_i, b_j); rows of `a` and `b` are
  // points.
  Eigen::MatrixXd Matrix(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) const;

  // k(x, x) for the rows of `x` and, with `derivatives`, what the marginal
  // likelihood's gradient needs: g(r) of the ARD part for every pair (see
  // above), the additive part s^2 (w / D) sum_d m(r_d) of k, and for each d
  // its derivative dK^add/d(log l_d) = s^2 (w / D) g0(r_d) r_d^2, g0 = g / s^2.
  // All are symmetric and computed once per pair: `k` is full, the others
  // hold their lower triangle (zeros above). `additive` and `additive_length`
  // are empty when w = 0 or without derivatives, `radial` without derivatives.
  // `terms`' storage is reused when the sizes match (repeated evaluations
  // during a fit then touch no fresh memory).
  struct SelfTerms {
    Eigen::MatrixXd k, radial, additive;
    std::vector<Eigen::MatrixXd> additive_length;
  };
  void Self(const Eigen::MatrixXd& x, bool derivatives, SelfTerms* terms) const;

  // dk(x, b_j)/dx for every row b_j of `b`: a dimension x m matrix whose
  // column j is the gradient with respect to x.
  Eigen::MatrixXd GradientWrtX(const Eigen::VectorXd& x, const Eigen::MatrixXd& b) const;

  // Gradient of k(a, b) with respect to [log l_1, ..., log l_D, log s^2,
  // log w] (the last entry is 0 when w = 0).
  Eigen::VectorXd GradientWrtLogParameters(const Eigen::VectorXd& a,
                                           const Eigen::VectorXd& b) const;
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_GP_KERNEL_H_
