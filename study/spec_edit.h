// Editing a study: which differences between a study's stored spec and a
// changed one may be applied as a new spec version, and which are refused
// (docs/lifecycle.md, "Editing a study"). Pure; no I/O.
//
// Accepted: any change to `trainer`, `max_trials`, `max_parallel_trials`,
// `max_failed_trials`, `early_stopping` and `algorithm` (except the hyperband
// resource); widening a double or integer range; adding values to a discrete
// or categorical parameter; adding a parameter with a `default`; giving an
// existing parameter a default it did not have.
// Refused: everything else, e.g. narrowing a range, removing a value or a
// parameter, changing a type, scale or `when`, changing the objective(s),
// adding a parameter without a default, changing a default (renaming is a
// removal and an addition).
#ifndef TUNER_STUDY_SPEC_EDIT_H_
#define TUNER_STUDY_SPEC_EDIT_H_

#include <string>
#include <vector>

#include "algorithms/search_space.h"
#include "study/study_spec.h"

namespace tuner {

struct SpecEdit {
  // One line per difference, "<field>: <what changed>", e.g.
  // "parameters.lr: range widened from [0.001, 0.1] to [0.0001, 0.1]".
  std::vector<std::string> accepted;
  std::vector<std::string> refused;

  bool changed() const { return !accepted.empty() || !refused.empty(); }
  bool ok() const { return refused.empty(); }
};

// The differences from `stored` to `edited` (two valid specs of one study).
SpecEdit DiffSpecs(const StudySpec& stored, const StudySpec& edited);

// `trial_parameters` (a trial's, recorded under an earlier spec version) in
// `space`: each parameter it lacks that has a default and is active gets the
// default. Values it has are kept as they are.
void FillDefaults(const SearchSpace& space, Assignment* trial_parameters);

}  // namespace tuner

#endif  // TUNER_STUDY_SPEC_EDIT_H_
