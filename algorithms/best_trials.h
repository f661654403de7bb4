// Picking the best trials of a study: the best one for a single objective,
// the Pareto front for several. Pure functions of the trials given.
#ifndef TUNER_ALGORITHMS_BEST_TRIALS_H_
#define TUNER_ALGORITHMS_BEST_TRIALS_H_

#include <optional>
#include <vector>

#include "algorithms/objective.h"
#include "algorithms/trial.h"

namespace tuner {

// The objective values of a trial's final measurement, in objective order,
// or nullopt when the trial has no final measurement or lacks a metric.
std::optional<std::vector<double>> ObjectiveValues(const Trial& trial,
                                                   const std::vector<Objective>& objectives);

// Whether objective vector `a` dominates `b`: no worse in every objective and
// better in at least one.
bool Dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<Objective>& objectives);

// Among COMPLETED trials with all objective metrics: for one objective the
// single best (ties go to the lowest id); for several, every non-dominated
// trial, by id. Pointers into `trials`.
std::vector<const Trial*> BestTrials(const std::vector<Trial>& trials,
                                     const std::vector<Objective>& objectives);

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_BEST_TRIALS_H_
