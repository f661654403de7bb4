// The Matérn-5/2 covariance function with automatic relevance determination
// (one length scale per input dimension), the kernel of the GP designer.
//
//   r(x, x')  = sqrt( sum_d (x_d - x'_d)^2 / l_d^2 )
//   k(x, x')  = s^2 (1 + sqrt(5) r + 5 r^2 / 3) exp(-sqrt(5) r)
//
// (Rasmussen and Williams, "Gaussian Processes for Machine Learning", MIT
// Press 2006, eq. 4.17; ARD as in their section 5.1.) The kernel is twice
// differentiable, which suits the gradient-based fitting and acquisition
// search. Derivatives used elsewhere, with g(r) = (5/3) s^2 (1 + sqrt(5) r)
// exp(-sqrt(5) r):
//
//   dk/dx_d        = -g(r) (x_d - x'_d) / l_d^2
//   dk/d(log l_d)  =  g(r) (x_d - x'_d)^2 / l_d^2
//   dk/d(log s^2)  =  k
//
// None of them is singular at r = 0. Hyperparameters are held in log space so
// that optimisers work on an unconstrained (or box-bounded) scale.
//
// Points are the rows of a matrix. Pure functions of their inputs;
// thread-safe.
#ifndef TUNER_ALGORITHMS_GP_KERNEL_H_
#define TUNER_ALGORITHMS_GP_KERNEL_H_

#include <Eigen/Dense>

namespace tuner {

struct Matern52Kernel {
  Eigen::VectorXd log_length_scales;  // one per input dimension
  double log_signal_variance = 0.0;   // log s^2

  int dimension() const { return static_cast<int>(log_length_scales.size()); }
  double signal_variance() const;

  // k(a, b) for two points.
  double operator()(const Eigen::VectorXd& a, const Eigen::VectorXd& b) const;

  // The cross-covariance matrix K_ij = k(a_i, b_j); rows of `a` and `b` are
  // points.
  Eigen::MatrixXd Matrix(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) const;

  // g(r) for every pair (see above), and K, both n x m. Used by the marginal
  // likelihood's gradient.
  void MatrixAndRadialDerivative(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b,
                                 Eigen::MatrixXd* k, Eigen::MatrixXd* g) const;

  // dk(x, b_j)/dx for every row b_j of `b`: a dimension x m matrix whose
  // column j is the gradient with respect to x.
  Eigen::MatrixXd GradientWrtX(const Eigen::VectorXd& x, const Eigen::MatrixXd& b) const;

  // Gradient of k(a, b) with respect to [log l_1, ..., log l_D, log s^2].
  Eigen::VectorXd GradientWrtLogParameters(const Eigen::VectorXd& a,
                                           const Eigen::VectorXd& b) const;
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_GP_KERNEL_H_
