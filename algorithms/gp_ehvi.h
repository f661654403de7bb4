// Expected hypervolume improvement (EHVI) for two objectives, both larger is
// better, the GP designer's acquisition for two objectives.
//
// With the front's points p_1..p_n sorted by the first objective (ascending;
// the second then descends) and the reference point r below them, the region
// they do not dominate splits into vertical strips [x_i, x_{i+1}) with
// x_0 = r_1, x_i = p_i's first value, x_{n+1} = infinity, over which the front
// reaches height h_i = p_{i+1}'s second value (h_n = r_2). A new point y adds
//   sum_i max(0, min(y_1, x_{i+1}) - x_i) max(0, y_2 - h_i)
// of hypervolume, so for independent Y_1, Y_2 (one GP per objective)
//   EHVI = sum_i (EI_1(x_i) - EI_1(x_{i+1})) EI_2(h_i),
// with EI_j(a) = E[max(0, Y_j - a)] the expected improvement over a (and
// EI_1(infinity) = 0). This returns log EHVI, computed in log space from log EI
// (gp_acquisition.h) so that it keeps a slope far from the front, with its
// derivatives with respect to the means and standard deviations. Pure;
// thread-safe.
#ifndef TUNER_ALGORITHMS_GP_EHVI_H_
#define TUNER_ALGORITHMS_GP_EHVI_H_

#include <Eigen/Dense>
#include <array>
#include <vector>

#include "algorithms/gp_scalarised_ei.h"

namespace tuner {

// The non-dominated points of two objectives that dominate the reference,
// sorted by the first objective (ascending).
struct Front2 {
  std::vector<std::array<double, 2>> points;
  std::array<double, 2> reference{};
};

// The front of `values` (one row per trial, two columns, larger is better)
// above `reference`: points dominated by another one or equal to one are
// left out, and so are points not strictly above the reference in both.
Front2 ParetoFront2(const Eigen::MatrixXd& values, const std::array<double, 2>& reference);

// log EHVI of Y_j ~ N(mean[j], sd[j]^2), both sd > 0, over `front` (which may
// have no points: the improvement is then the box from the reference). The
// derivatives come in d_mean and d_sd (two entries each).
ScalarisedValue LogExpectedHypervolumeImprovement2(const std::array<double, 2>& mean,
                                                   const std::array<double, 2>& sd,
                                                   const Front2& front);

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_GP_EHVI_H_
