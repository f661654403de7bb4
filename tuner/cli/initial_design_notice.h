// The line `tuner run` prints once at the start of a `bayesian` study: how
// many of its trials are the quasi-random initial design (scrambled Sobol)
// before the Gaussian-process model proposes the rest, so that a small budget
// that is mostly quasi-random says so; and, for a study with warm_start (any
// algorithm), a line saying that the earlier studies' best configurations run
// first.
#ifndef TUNER_TUNER_CLI_INITIAL_DESIGN_NOTICE_H_
#define TUNER_TUNER_CLI_INITIAL_DESIGN_NOTICE_H_

#include <string>

#include "study/study_spec.h"

namespace tuner {

// "" unless spec.algorithm is bayesian or the study has a warm start; else
// one or two lines, each ending in '\n'.
std::string InitialDesignNotice(const StudySpec& spec);

}  // namespace tuner

#endif  // TUNER_TUNER_CLI_INITIAL_DESIGN_NOTICE_H_
