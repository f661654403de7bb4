// The earlier studies a study warm-starts from (StudySpec::warm_start,
// docs/warm-start.md), read through the StudyApi: what the designers get
// (algorithms/warm_start.h) and what `tuner validate` reports.
//
// A prior study contributes its finished trials (COMPLETED, STOPPED, FAILED,
// INFEASIBLE) with the value of its own first objective, oriented by that
// objective's goal (larger is better); failed and infeasible trials, and
// trials without that metric, have no value. The snapshot is taken when the
// study's designer is built (the first request after the server starts, or
// after an edit of the spec), so suggestions stay a function of the history
// while the earlier studies do not change.
#ifndef TUNER_TUNER_SERVICE_WARM_START_SOURCE_H_
#define TUNER_TUNER_SERVICE_WARM_START_SOURCE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "algorithms/trial.h"
#include "algorithms/warm_start.h"
#include "study/study_spec.h"
#include "tuner/service/study_api.h"

namespace tuner {

// `trials` of the study `name` whose spec is `spec`, as a prior study.
PriorStudy ToPriorStudy(const std::string& name, const StudySpec& spec,
                        const std::vector<Trial>& trials);

// The prior studies of `spec`, in the order listed. A study that does not
// exist is NotFound ("warm_start.studies[1]: no study \"old-b\" ...") when
// `require_all`, else left out with a line in *skipped. Other errors pass
// through.
absl::StatusOr<std::vector<PriorStudy>> LoadWarmStart(StudyApi& api, const StudySpec& spec,
                                                      bool require_all,
                                                      std::vector<std::string>* skipped);

// How the parameters of `prior` match those of `spec`, for `tuner validate`:
// lines such as "matched: lr, layers", "ranges differ: lr [0.001, 0.1] here,
// [0.0001, 1] there (values are clipped)", "only here: dropout (its default
// 0.1)", "only there: momentum (ignored)", and the number of usable trials.
std::vector<std::string> DescribeWarmStartMatch(const StudySpec& spec, const StudySpec& prior,
                                                const PriorStudy& prior_trials);

}  // namespace tuner

#endif  // TUNER_TUNER_SERVICE_WARM_START_SOURCE_H_
