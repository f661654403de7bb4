// Acquisition functions of the GP designer, for maximisation, on a posterior
// N(mean, sd^2) and an incumbent value `best`.
//
// Log expected improvement, computed stably as in Ament, Daulton, Eriksson,
// Balandat and Bakshy, "Unexpected improvements to expected improvement for
// Bayesian optimization", NeurIPS 2023 (their eq. 9, written here from the
// identities below rather than their code):
//   EI = sd h(z),  z = (mean - best) / sd,  h(z) = phi(z) + z Phi(z)
//   log EI = log h(z) + log sd, with
//   log h(z) = log(phi(z) + z Phi(z))                           for z > -1
//            = log phi(z) + log1p(-|z| sqrt(pi/2) erfcx(|z|/sqrt 2))  for -25 < z <= -1
//            = log phi(z) - 2 log|z| + log(1 - 3/z^2 + 15/z^4 - 105/z^6 + 945/z^8)
//                                                             for z <= -25
// where erfcx(t) = exp(t^2) erfc(t); the last line is the asymptotic series of
// the Mills ratio (Abramowitz and Stegun 7.1.23), accurate to ~1e-10 there.
// The plain formula underflows to log 0 = -inf once EI < 1e-308 (z < -38),
// which flattens the acquisition surface; log EI keeps a useful slope.
// Derivatives: dEI/dmean = Phi(z), dEI/dsd = phi(z), so
//   dlogEI/dmean = exp(log Phi(z) - log h(z)) / sd
//   dlogEI/dsd   = exp(log phi(z) - log h(z)) / sd
//
// Upper confidence bound (Srinivas, Krause, Kakade and Seeger, ICML 2010):
//   UCB = mean + beta sd.
// Pure functions; thread-safe.
#ifndef TUNER_ALGORITHMS_GP_ACQUISITION_H_
#define TUNER_ALGORITHMS_GP_ACQUISITION_H_

#include <Eigen/Dense>

#include "algorithms/gp_regression.h"

namespace tuner {

// Posterior variances below this (standardised units) count as this much;
// the gradient through the variance is then zero.
inline constexpr double kPosteriorVarianceFloor = 1e-12;

// log h(z) as above; finite for every finite z down to -1e150.
double LogH(double z);
// log Phi(z), the log of the standard normal CDF, stable in the lower tail.
double LogNormalCdf(double z);

struct AcquisitionValue {
  double value = 0.0;
  double d_mean = 0.0;  // d value / d mean
  double d_sd = 0.0;    // d value / d sd
};

// log EI of N(mean, sd^2) over `best`; `sd` must be > 0.
AcquisitionValue LogExpectedImprovement(double mean, double sd, double best);
// mean + beta sd.
AcquisitionValue UpperConfidenceBound(double mean, double sd, double beta);

// Running trials' outcomes drawn S times (fantasies): the log of the mean
// over them of EI, with fantasy s's mean and incumbent,
//   log (1/S) sum_s EI(means_s, sd, bests_s),
// as a log-sum-exp of LogExpectedImprovement (so as stable), with
// d value / d means_s and d value / d sd. One fantasy: LogExpectedImprovement.
// (Snoek, Larochelle and Adams, "Practical Bayesian optimization of machine
// learning algorithms", NeurIPS 2012, section 3.3: the acquisition
// integrated over the pending evaluations' outcomes, here by Monte Carlo.)
struct FantasyValue {
  double value = 0.0;
  Eigen::VectorXd d_means;
  double d_sd = 0.0;
};
FantasyValue LogMeanExpectedImprovement(const Eigen::VectorXd& means, double sd,
                                        const Eigen::VectorXd& bests);

// The posterior of `gp` at x as a mean and a standard deviation (at least
// sqrt(kPosteriorVarianceFloor)), with their gradients with respect to x
// (d sd/dx = dvar/dx / (2 sd); zero at the floor).
struct PosteriorGradient {
  double mean = 0.0;
  double sd = 0.0;
  Eigen::VectorXd d_mean;
  Eigen::VectorXd d_sd;
};
PosteriorGradient PosteriorWithGradient(const GaussianProcess& gp, const Eigen::VectorXd& x);
// The same with a mean per column of `weights` (GaussianProcess::ShiftedWeights);
// d_means has a column per mean.
struct FantasyPosteriorGradient {
  Eigen::VectorXd means;
  double sd = 0.0;
  Eigen::MatrixXd d_means;
  Eigen::VectorXd d_sd;
};
FantasyPosteriorGradient PosteriorWithGradient(const GaussianProcess& gp,
                                               const Eigen::MatrixXd& weights,
                                               const Eigen::VectorXd& x);

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_GP_ACQUISITION_H_
