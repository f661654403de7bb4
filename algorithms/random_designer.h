// RandomDesigner: independent points drawn uniformly in the scaled space.
//
// Every coordinate is drawn uniformly from [0, 1) and mapped through FromUnit,
// so a log (reverse_log) parameter is uniform in its warped space, integers
// and categories are equally likely, and discrete values follow their scale.
// A conditional child is drawn only when it is active given the values
// already drawn (parameters are listed parents first) and is absent otherwise;
// its coordinate is drawn either way, so the other parameters do not depend on
// which branch was taken.
//
// Determinism: suggestion k of a study (k = trials in the history, finished
// plus active, + index in the batch) is a pure function of (seed, k), drawn
// with Boost.Random (boost::random::mt19937_64 and uniform_01), whose output
// is the same on every platform. A designer rebuilt from the same history
// therefore suggests the same points. Suggest() called again without an
// Update() continues with k + count. Never exhausts. Not thread-safe.
#ifndef TUNER_ALGORITHMS_RANDOM_DESIGNER_H_
#define TUNER_ALGORITHMS_RANDOM_DESIGNER_H_

#include <cstdint>
#include <vector>

#include "algorithms/designer.h"
#include "algorithms/search_space.h"

namespace tuner {

class RandomDesigner : public Designer {
 public:
  RandomDesigner(SearchSpace space, uint64_t seed);

  void Update(const std::vector<const Trial*>& finished,
              const std::vector<const Trial*>& active) override;
  std::vector<Assignment> Suggest(int count) override;

 private:
  SearchSpace space_;
  uint64_t seed_;
  int64_t next_index_ = 0;  // k of the next suggestion
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_RANDOM_DESIGNER_H_
