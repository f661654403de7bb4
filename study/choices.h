// The choice-valued fields of the study JSON format: for each, the names it
// accepts in the order the docs list them. Four of them are parsed into enums
// at the study boundary (study/study_spec.h holds the enums); for those, the
// i-th name of the table is the enum's value i, so each name is written once,
// here. Adding a designer, stopping rule or backend means adding its enum
// value and its name here, then handling it where the enum is consumed.
#ifndef TUNER_STUDY_CHOICES_H_
#define TUNER_STUDY_CHOICES_H_

#include <string>
#include <vector>

namespace tuner {

enum class AlgorithmName { kRandom, kGrid, kSobol, kBayesian, kHyperband, kPbt };
enum class StoppingRuleName { kNone, kMedian, kPercentile, kThreshold, kAsha };
enum class Backend { kLocal, kSlurm };
enum class MetricSource { kGrpc, kStdout, kHypertune };

struct NamedChoices {
  std::vector<std::string> available;  // accepted, in the order docs list them
};

const NamedChoices& AlgorithmChoices();      // algorithm.name (AlgorithmName)
const NamedChoices& AcquisitionChoices();    // algorithm.acquisition (bayesian)
const NamedChoices& StoppingRuleChoices();   // early_stopping.rule (StoppingRuleName)
const NamedChoices& BackendChoices();        // trainer.backend (Backend)
const NamedChoices& MetricSourceChoices();   // trainer.metrics.source (MetricSource)
const NamedChoices& GoalChoices();           // objective.goal
const NamedChoices& ParameterTypeChoices();  // parameters[].type
const NamedChoices& ScaleChoices();          // parameters[].scale

// The name of an enum value, from the tables above.
const std::string& ToString(AlgorithmName value);
const std::string& ToString(StoppingRuleName value);
const std::string& ToString(Backend value);
const std::string& ToString(MetricSource value);

// The position of `name` in `choices` (-1 when absent).
int ChoiceIndex(const NamedChoices& choices, const std::string& name);

}  // namespace tuner

#endif  // TUNER_STUDY_CHOICES_H_
