// Search spaces and history helpers shared by the algorithms tests.
#ifndef TUNER_TESTS_ALGORITHMS_TEST_SPACES_H_
#define TUNER_TESTS_ALGORITHMS_TEST_SPACES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "algorithms/designer.h"
#include "algorithms/search_space.h"
#include "algorithms/trial.h"

namespace tuner::testing {

inline ParameterSpec Double(std::string name, double min, double max,
                            Scale scale = Scale::kLinear) {
  ParameterSpec p;
  p.name = std::move(name);
  p.type = ParameterType::kDouble;
  p.min = min;
  p.max = max;
  p.scale = scale;
  return p;
}

inline ParameterSpec Integer(std::string name, int64_t min, int64_t max,
                             Scale scale = Scale::kLinear) {
  ParameterSpec p =
      Double(std::move(name), static_cast<double>(min), static_cast<double>(max), scale);
  p.type = ParameterType::kInteger;
  return p;
}

inline ParameterSpec Discrete(std::string name, std::vector<ParameterValue> values,
                              Scale scale = Scale::kLinear) {
  ParameterSpec p;
  p.name = std::move(name);
  p.type = ParameterType::kDiscrete;
  p.values = std::move(values);
  p.scale = scale;
  return p;
}

inline ParameterSpec Categorical(std::string name, std::vector<std::string> values) {
  ParameterSpec p;
  p.name = std::move(name);
  p.type = ParameterType::kCategorical;
  for (std::string& v : values) p.values.push_back(std::move(v));
  return p;
}

inline ParameterSpec When(ParameterSpec p, std::string parent, std::vector<ParameterValue> values) {
  p.when = Condition{std::move(parent), std::move(values)};
  return p;
}

// All four types, log and reverse_log scales, and conditions two levels deep:
// momentum when optimizer is sgd or rmsprop, nesterov when sgd, dampening
// when nesterov is "no".
inline SearchSpace MixedSpace() {
  SearchSpace space;
  space.parameters = {
      Double("learning_rate", 1e-4, 0.3, Scale::kLog),
      Double("keep_prob", 0.5, 0.999, Scale::kReverseLog),
      Integer("layers", 1, 4),
      Integer("buckets", 2, 256, Scale::kLog),
      Discrete("units", {32.0, 64.0, 128.0, 256.0}),
      Discrete("activation", {std::string("relu"), std::string("tanh")}),
      Categorical("optimizer", {"adam", "sgd", "rmsprop"}),
      When(Double("momentum", 0.0, 0.99), "optimizer",
           {std::string("sgd"), std::string("rmsprop")}),
      When(Categorical("nesterov", {"yes", "no"}), "optimizer", {std::string("sgd")}),
      When(Double("dampening", 0.0, 0.5), "nesterov", {std::string("no")}),
  };
  return space;
}

// A study's history as the owner keeps it; feeds Designer::Update.
class History {
 public:
  void Add(Assignment parameters, TrialState state) {
    Trial trial;
    trial.id = static_cast<int64_t>(trials_.size()) + 1;
    trial.state = state;
    trial.parameters = std::move(parameters);
    trials_.push_back(std::move(trial));
  }

  void UpdateDesigner(Designer& designer) const {
    std::vector<const Trial*> finished, active;
    for (const Trial& t : trials_) (IsFinal(t.state) ? finished : active).push_back(&t);
    designer.Update(finished, active);
  }

  std::vector<Trial>& trials() { return trials_; }
  size_t size() const { return trials_.size(); }

 private:
  std::vector<Trial> trials_;
};

}  // namespace tuner::testing

#endif  // TUNER_TESTS_ALGORITHMS_TEST_SPACES_H_
