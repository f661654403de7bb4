// How the GP designer turns assignments into kernel inputs ("features") and
// searches over them.
//
// Two coordinate systems:
//  - the search point z in [0, 1]^P, one coordinate per parameter, decoded by
//    FromUnitPoint (search_space.h): each parameter through its scale,
//    integers rounded, discrete values snapped to the nearest, categories by
//    cell; a conditional child's coordinate is ignored while it is inactive;
//  - the feature vector x of the kernel, built from the *decoded* assignment:
//      double, integer, discrete:  one feature, ToUnit(value) in [0, 1]
//                                   (so log scales are log-uniform, integers
//                                   and discrete values sit at their rounded
//                                   positions);
//      categorical with k values:  k one-hot features (each with its own ARD
//                                   length scale, so the kernel learns how
//                                   different two categories are);
//      inactive parameter:          a fixed value — 0.5 for a numeric feature,
//                                   all zeros for a one-hot block — so trials
//                                   from different branches of a conditional
//                                   space still share one model.
// Because the features are taken after rounding, the acquisition is evaluated
// at rounded points (Garrido-Merchán and Hernández-Lobato, "Dealing with
// categorical and integer-valued variables in Bayesian optimization with
// Gaussian processes", Neurocomputing 2020): it is piecewise constant along
// integer, discrete and categorical coordinates and smooth along active
// double coordinates, where feature = z exactly and the gradient passes
// through unchanged. Thread-safe after construction.
#ifndef TUNER_ALGORITHMS_GP_ENCODING_H_
#define TUNER_ALGORITHMS_GP_ENCODING_H_

#include <Eigen/Dense>
#include <utility>
#include <vector>

#include "algorithms/search_space.h"

namespace tuner {

class GpEncoding {
 public:
  explicit GpEncoding(SearchSpace space);

  int num_parameters() const { return static_cast<int>(space_.parameters.size()); }
  int num_features() const { return num_features_; }
  const SearchSpace& space() const { return space_; }
  // The features [begin, end) of parameter i (of space().parameters).
  std::pair<int, int> FeatureColumns(int i) const {
    const size_t next = static_cast<size_t>(i) + 1;
    return {offset_[static_cast<size_t>(i)], next < offset_.size() ? offset_[next] : num_features_};
  }

  // Features of an assignment (parameters missing from it are inactive).
  Eigen::VectorXd Features(const Assignment& assignment) const;

  // A search point that decodes to `assignment` (0.5 for inactive ones).
  std::vector<double> SearchPointOf(const Assignment& assignment) const;

  // Decodes z; `features` gets the features of the decoded assignment except
  // that active double parameters use z itself; `smooth` (if not null) gets,
  // for each such parameter, the pair (parameter index, feature index).
  Assignment Decode(const std::vector<double>& z, Eigen::VectorXd* features,
                    std::vector<std::pair<int, int>>* smooth) const;

 private:
  SearchSpace space_;
  std::vector<int> offset_;  // first feature of each parameter
  int num_features_ = 0;
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_GP_ENCODING_H_
