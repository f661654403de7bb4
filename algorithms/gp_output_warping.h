// Robust standardisation of objective values before the GP sees them.
//
// Values arrive oriented so that larger is better (the designer negates a
// minimised metric). The warp is "half-rank": values at or above the median
// keep their spacing, values below it are replaced by normal quantiles of
// their rank, scaled to match the upper half's spread. A diverged training run
// (a loss of 1e9) then sits a few standard deviations below the median instead
// of flattening every other difference, while the region the optimiser cares
// about (the good half) keeps its metric scale. This follows the idea of
// Vizier's half-rank warping (Song et al., "The Vizier Gaussian process
// bandit algorithm", 2024); written from that description.
//
//   m      = median of the finite values
//   s      = sqrt(mean over y_i >= m of (y_i - m)^2)     (upper half's spread)
//   y_i   <- m + s Phi^-1((rank_i + 1/2) / n)            for y_i < m
// (rank_i: 0-based rank among all n values, ties averaged). The result is then
// standardised to mean 0 and standard deviation 1. Missing values (infeasible
// or failed trials, or a non-finite metric) get a penalty: the smallest
// standardised value minus `penalty_gap` (default 1), so the model learns to
// stay away from where trials failed. With no finite value everything is 0.
// With `half_rank` false the finite values are only standardised (the GP
// designer chooses between the two, gp_output_choice.h).
// Pure function; thread-safe.
#ifndef TUNER_ALGORITHMS_GP_OUTPUT_WARPING_H_
#define TUNER_ALGORITHMS_GP_OUTPUT_WARPING_H_

#include <Eigen/Dense>
#include <optional>
#include <vector>

namespace tuner {

Eigen::VectorXd WarpOutputs(const std::vector<std::optional<double>>& values,
                            double penalty_gap = 1.0, bool half_rank = true);

// 0-based ranks of `v`, ties sharing their average rank.
Eigen::VectorXd AverageRanks(const Eigen::VectorXd& v);

// The inverse of the standard normal CDF, for p in (0, 1).
double NormalQuantile(double p);

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_GP_OUTPUT_WARPING_H_
