// Expected improvement of a Chebyshev (min over objectives) scalarisation,
// the acquisition of the GP designer for several objectives.
//
// Objective j's posterior, already shifted by its reference point and
// divided by its scalarisation weight, is Z_j ~ N(mean_j, sd_j^2), the Z_j
// independent. The scalarised value is S = min_j Z_j and `best` is the
// largest scalarised value among the trials. This returns
//   log E[max(0, S - best)] = log integral_best^inf prod_j P(Z_j > t) dt
// and its derivatives with respect to every mean_j and sd_j. With one
// objective it is log EI (gp_acquisition.h).
//
// With random weights per suggestion and the reference below the front, this
// is a Monte Carlo form of expected hypervolume improvement (Golovin and
// Zhang, "Random hypervolume scalarizations for provable multi-objective black
// box optimization", ICML 2020); with the reference beyond the front
// (ScalarisationReference below, what the GP designer uses) it is the
// expected improvement of a Chebyshev scalarisation from a utopia point.
//
// The integral: the integrand is log-concave and decreasing in t, so at most
// exp(-rate (t - best)) times its value at `best`, where rate is the sum of
// the hazards phi(z_j) / (sd_j Phi(-z_j)) at t = best; and it is below
// 1e-15 past min_j(mean_j + 8 sd_j). It is integrated on [best, best + 40 /
// rate], cut at min_j(mean_j + 8 sd_j) when the integrand at `best` is above
// e^-10 (then what is cut is below 1e-10 of the whole), by composite
// Gauss-Legendre (4 panels of 8 nodes), in log space so that values far below
// 1e-308 keep a slope. The derivatives are those of the quadrature sum with
// its interval held fixed. Pure; thread-safe.
#ifndef TUNER_ALGORITHMS_GP_SCALARISED_EI_H_
#define TUNER_ALGORITHMS_GP_SCALARISED_EI_H_

#include <Eigen/Dense>
#include <vector>

namespace tuner {

struct ScalarisedValue {
  double value = 0.0;
  std::vector<double> d_mean;  // d value / d mean_j
  std::vector<double> d_sd;    // d value / d sd_j
};

// `mean` and `sd` have one entry per objective (at least one); every sd > 0.
ScalarisedValue LogScalarisedExpectedImprovement(const std::vector<double>& mean,
                                                 const std::vector<double>& sd, double best);

// The reference point r of the scalarisation, from the trials' objective
// vectors (one row each, larger is better): a utopia point, per objective the
// best value plus `margin` times the range of the non-dominated rows in it
// (at least `min_margin`). Every scalarised value is then below 0, and its
// maximum for weights w is where the ray r - t w meets the front (Chebyshev
// scalarisation from the ideal point): every part of the front, its ends
// included, has weights that lead there, wherever the front lies. `values`
// has at least one row.
Eigen::VectorXd ScalarisationReference(const Eigen::MatrixXd& values, double margin,
                                       double min_margin);

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_GP_SCALARISED_EI_H_
