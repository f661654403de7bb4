// Starting points for the GP designer's acquisition optimiser near the best
// trials, in the search-point coordinates of gp_encoding.h (z in [0, 1]^P, one
// coordinate per parameter).
//
// Two kinds, both on top of the designer's scrambled Sobol candidates:
//
//  - PerturbationCandidates: each candidate takes one base (the bases in
//    turn) and perturbs a random subset of its coordinates — each with
//    probability `probability`, plus one coordinate always — by Gaussian steps
//    of standard deviation 0.005, 0.03, 0.1 or 0.25 (in turn); integer and
//    discrete coordinates step at least one cell, categorical ones are redrawn
//    uniformly. Perturbing a subset rather than every coordinate follows TuRBO
//    (Eriksson, Pearce, Gardner, Turner and Poloczek, "Scalable global
//    optimization via local Bayesian optimization", NeurIPS 2019) and
//    BoTorch's sample_around_best.
//
//  - CoordinateCandidates: a base with exactly one coordinate redrawn,
//    stratified across its whole range ((j + u_j) / m for j = 0..m-1, u_j
//    uniform): a coordinate-wise line search from the incumbent, so the
//    acquisition sees a distant basin along one axis (e.g. x_i at the other
//    end of the range with every other coordinate kept), which neither small
//    perturbations nor space-filling points reach in a handful of dimensions.
//    Bases are taken best first, all P coordinates of one base before the
//    next; when the budget cannot cover all P coordinates of the first base a
//    seeded random subset of them is used.
//
// Every candidate stays in [0, 1]^P and differs from its base only in the
// coordinates said. Pure functions of their arguments (deterministic from
// `seed`); thread-safe.
#ifndef TUNER_ALGORITHMS_GP_CANDIDATES_H_
#define TUNER_ALGORITHMS_GP_CANDIDATES_H_

#include <cstdint>
#include <vector>

#include "algorithms/search_space.h"

namespace tuner {

using SearchPoint = std::vector<double>;

// `count` perturbations of `bases` (each of size space.parameters.size());
// none when `bases` is empty. `probability` in [0, 1].
std::vector<SearchPoint> PerturbationCandidates(const SearchSpace& space,
                                                const std::vector<SearchPoint>& bases,
                                                double probability, int count, uint64_t seed);

// At most `budget` single-coordinate redraws of `bases`: `per_coordinate`
// values (at least 1) for each (base, coordinate) pair that fits in `budget`.
std::vector<SearchPoint> CoordinateCandidates(const std::vector<SearchPoint>& bases,
                                              int per_coordinate, int budget, uint64_t seed);

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_GP_CANDIDATES_H_
