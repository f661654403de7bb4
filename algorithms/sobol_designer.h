// SobolDesigner: points of a Sobol low-discrepancy sequence in the scaled
// space, so that a few dozen trials already cover it evenly.
//
// The sequence has one dimension per parameter (parameters listed parents
// first) and is mapped to an assignment through FromUnitPoint: a conditional
// child is present only when it is active, and the coordinate of an inactive
// one is ignored. Suggestion k of a study (k = trials in the history, finished
// plus active, + index in the batch) is point k of the sequence; point 0 is
// the origin and points 1, 2, ... are those of boost::random::sobol (Joe–Kuo
// direction numbers), so every block of 2^m points starting at a multiple of
// 2^m is a (t, m, s)-net.
//
// With random_shift, each coordinate is XORed with a fixed random 64-bit word
// drawn from the seed: a digital shift, the base-2 form of a Cranley–Patterson
// rotation (Cranley and Patterson, SIAM J. Numer. Anal. 13, 1976), which keeps
// the net property while giving each seed its own sequence. Without it the
// seed is ignored and the first point is the corner of all minimums.
//
// Determinism: suggestion k depends only on (seed, k), so a designer rebuilt
// from the same history suggests the same points. Never exhausts. At most
// 3667 parameters get Sobol coordinates; further ones are drawn
// pseudo-randomly from (seed, k). Not thread-safe.
#ifndef TUNER_ALGORITHMS_SOBOL_DESIGNER_H_
#define TUNER_ALGORITHMS_SOBOL_DESIGNER_H_

#include <cstdint>
#include <vector>

#include "algorithms/designer.h"
#include "algorithms/search_space.h"

namespace tuner {

struct SobolDesignerOptions {
  uint64_t seed = 0;
  bool random_shift = true;  // digital shift drawn from `seed`; false: the plain sequence
};

class SobolDesigner : public Designer {
 public:
  SobolDesigner(SearchSpace space, SobolDesignerOptions options);

  void Update(const std::vector<const Trial*>& finished,
              const std::vector<const Trial*>& active) override;
  std::vector<Assignment> Suggest(int count) override;

  // Point k of the (shifted) sequence in [0, 1)^d, d = number of parameters.
  std::vector<double> UnitPoint(uint64_t k) const;

 private:
  SearchSpace space_;
  SobolDesignerOptions options_;
  std::vector<uint64_t> shift_;  // one word per Sobol dimension; zeros without random_shift
  int64_t next_index_ = 0;       // k of the next suggestion
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_SOBOL_DESIGNER_H_
