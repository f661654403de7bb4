// Which output transform the GP designer models an objective under: the
// half-rank warp or plain standardisation (WarpOutputs, gp_output_warping.h).
//
// Neither wins everywhere. The half-rank warp keeps a heavy lower tail (a
// diverged run, Rosenbrock's or Goldstein-Price's huge values, Ackley's flat
// plateau) from flattening the differences among good trials; but it replaces
// the lower half by normal quantiles of their ranks, which bends a smooth
// bowl's shape (a rotated quadratic or quartic, Levy) that the GP could
// otherwise follow to the next basin. Marginal likelihoods under two
// transforms are not comparable without the transform's Jacobian, which a
// rank transform lacks. Both transforms are monotone, so they are compared on
// what any monotone transform keeps, ranks: the score of a GP fitted under a
// transform is the rank correlation (Spearman) between its leave-one-out
// predictions and the observed values, over the better half of the trials
// with a value (at least five) — the region the optimiser works in. Measured
// in docs/bayesian-optimisation.md ("Output transform").
//
// Pure functions; thread-safe.
#ifndef TUNER_ALGORITHMS_GP_OUTPUT_CHOICE_H_
#define TUNER_ALGORITHMS_GP_OUTPUT_CHOICE_H_

#include <Eigen/Dense>
#include <vector>

#include "algorithms/gp_regression.h"

namespace tuner {

// Spearman's rank correlation of `a` and `b` (same size; ties get their
// average rank); 0 when either is constant or has fewer than two entries.
double RankCorrelation(const Eigen::VectorXd& a, const Eigen::VectorXd& b);

// The score above for `gp`, conditioned on the outputs `y` (the transformed
// values, penalties included); `has_value[i]` says whether row i is an
// observed value (a failed trial's penalty is left out). Larger is better; in
// [-1, 1].
double OutputTransformScore(const GaussianProcess& gp, const Eigen::VectorXd& y,
                            const std::vector<bool>& has_value);

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_GP_OUTPUT_CHOICE_H_
