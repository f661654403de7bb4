// What a study optimises: one metric and a direction, or several.
#ifndef TUNER_ALGORITHMS_OBJECTIVE_H_
#define TUNER_ALGORITHMS_OBJECTIVE_H_

#include <string>

namespace tuner {

enum class Goal { kMaximize, kMinimize };

struct Objective {
  std::string metric;
  Goal goal = Goal::kMaximize;
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_OBJECTIVE_H_
