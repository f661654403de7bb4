// The algorithm objects' options for a study: what the study JSON's
// `algorithm` and `early_stopping` blocks mean to the designer factory and
// the stopping-rule factory.
#ifndef TUNER_STUDY_ALGORITHM_OPTIONS_H_
#define TUNER_STUDY_ALGORITHM_OPTIONS_H_

#include "algorithms/designer_factory.h"
#include "algorithms/stopping_rule.h"
#include "study/study_spec.h"

namespace tuner {

DesignerOptions DesignerOptionsFor(const StudySpec& spec);
// Decides on the first objective's metric and goal.
StoppingRuleOptions StoppingOptionsFor(const StudySpec& spec);

}  // namespace tuner

#endif  // TUNER_STUDY_ALGORITHM_OPTIONS_H_
