// The names that the study JSON contract allows for each choice-valued field,
// split into those this build implements and those it does not yet. A field
// set to a planned name is rejected with "not available in this build yet";
// adding a designer, stopping rule or backend means moving its name from
// `planned` to `available` here (and wiring it where the name is consumed).
#ifndef TUNER_STUDY_CHOICES_H_
#define TUNER_STUDY_CHOICES_H_

#include <string>
#include <vector>

namespace tuner {

struct NamedChoices {
  std::vector<std::string> available;  // accepted, in the order docs list them
  std::vector<std::string> planned;    // named by the contract, not built yet
};

const NamedChoices& AlgorithmChoices();      // algorithm.name
const NamedChoices& AcquisitionChoices();    // algorithm.acquisition (bayesian)
const NamedChoices& StoppingRuleChoices();   // early_stopping.rule
const NamedChoices& BackendChoices();        // trainer.backend
const NamedChoices& MetricSourceChoices();   // trainer.metrics.source
const NamedChoices& GoalChoices();           // objective.goal
const NamedChoices& ParameterTypeChoices();  // parameters[].type
const NamedChoices& ScaleChoices();          // parameters[].scale

}  // namespace tuner

#endif  // TUNER_STUDY_CHOICES_H_
