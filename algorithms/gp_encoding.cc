#include "algorithms/gp_encoding.h"

#include <algorithm>
#include <utility>

namespace tuner {
namespace {

int IndexOf(const ParameterSpec& spec, const ParameterValue& value) {
  for (size_t i = 0; i < spec.values.size(); ++i) {
    if (SameValue(spec.values[i], value)) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

GpEncoding::GpEncoding(SearchSpace space) : space_(std::move(space)) {
  for (const ParameterSpec& p : space_.parameters) {
    offset_.push_back(num_features_);
    num_features_ += p.type == ParameterType::kCategorical
                         ? std::max<int>(1, static_cast<int>(p.values.size()))
                         : 1;
  }
}

Eigen::VectorXd GpEncoding::Features(const Assignment& assignment) const {
  Eigen::VectorXd x = Eigen::VectorXd::Zero(num_features_);
  for (size_t i = 0; i < space_.parameters.size(); ++i) {
    const ParameterSpec& p = space_.parameters[i];
    const int o = offset_[i];
    auto it = assignment.find(p.name);
    if (p.type == ParameterType::kCategorical) {
      if (it == assignment.end()) continue;  // inactive: all zeros
      const int k = IndexOf(p, it->second);
      if (k >= 0) x(o + k) = 1.0;
    } else {
      x(o) = it == assignment.end() ? 0.5 : ToUnit(p, it->second);
    }
  }
  return x;
}

std::vector<double> GpEncoding::SearchPointOf(const Assignment& assignment) const {
  std::vector<double> z(space_.parameters.size(), 0.5);
  for (size_t i = 0; i < space_.parameters.size(); ++i) {
    auto it = assignment.find(space_.parameters[i].name);
    if (it != assignment.end()) z[i] = ToUnit(space_.parameters[i], it->second);
  }
  return z;
}

Assignment GpEncoding::Decode(const std::vector<double>& z, Eigen::VectorXd* features,
                              std::vector<std::pair<int, int>>* smooth) const {
  Assignment assignment = FromUnitPoint(space_, z);
  if (smooth != nullptr) smooth->clear();
  if (features != nullptr) {
    *features = Features(assignment);
    for (size_t i = 0; i < space_.parameters.size(); ++i) {
      const ParameterSpec& p = space_.parameters[i];
      if (p.type != ParameterType::kDouble || assignment.count(p.name) == 0) continue;
      (*features)(offset_[i]) = std::clamp(i < z.size() ? z[i] : 0.5, 0.0, 1.0);
      if (smooth != nullptr) smooth->emplace_back(static_cast<int>(i), offset_[i]);
    }
  }
  return assignment;
}

}  // namespace tuner
