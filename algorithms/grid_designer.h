// GridDesigner: every combination of a per-parameter grid, each at most once.
//
// Grid values per parameter: a double takes `points_per_double` values evenly
// spaced in its scaled space, ends included (FromUnit at i / (n - 1)); an
// integer takes all its values when it has at most `max_integer_values`, and
// otherwise is gridded like a double (rounded, duplicates dropped); discrete
// and categorical parameters take all their values.
//
// Combinations come in a fixed order, as nested loops over the parameters in
// the space's (parents-first) order with the last one varying fastest. A
// conditional child is looped over only where it is active; elsewhere it is
// absent, so a combination is never repeated with different values of an
// absent child. The order is enumerated lazily: memory is O(history), not
// O(grid), and the designer resumes where it stopped instead of rescanning.
//
// Never a repeat: combinations already in the history (finished or active,
// compared value by value as SameValue does) and those suggested since the
// last Update() are skipped. A designer rebuilt from the same history
// therefore continues with the same points. When the grid is used up, Suggest
// returns fewer than asked, then none. The grid has no randomness (no seed).
// Not thread-safe.
#ifndef TUNER_ALGORITHMS_GRID_DESIGNER_H_
#define TUNER_ALGORITHMS_GRID_DESIGNER_H_

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "algorithms/designer.h"
#include "algorithms/search_space.h"

namespace tuner {

struct GridDesignerOptions {
  int points_per_double = 10;   // values of a double parameter (1: its midpoint)
  int max_integer_values = 32;  // integers with more values get points_per_double of them
};

class GridDesigner : public Designer {
 public:
  explicit GridDesigner(SearchSpace space, GridDesignerOptions options = {});

  void Update(const std::vector<const Trial*>& finished,
              const std::vector<const Trial*>& active) override;
  std::vector<Assignment> Suggest(int count) override;

  // The grid values of the i-th parameter of the space, in loop order.
  const std::vector<ParameterValue>& GridValues(size_t i) const { return values_[i]; }

 private:
  // A position in the enumeration: one value index per parameter (-1 while
  // the parameter is inactive) and the assignment they spell.
  struct Cursor {
    std::vector<int64_t> digits;
    Assignment point;
    bool done = false;  // past the last combination
  };

  Cursor Begin() const;
  // Resets parameters first..d-1 to their first value or to absent.
  void ResetFrom(size_t first, Cursor* cursor) const;
  void Advance(Cursor* cursor) const;

  SearchSpace space_;
  std::vector<std::vector<ParameterValue>> values_;  // grid values per parameter
  std::unordered_set<std::string> history_;          // keys of the history's assignments
  Cursor settled_;                                   // every combination before it is in history_
  Cursor next_;  // every combination before it is in history_ or was suggested
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_GRID_DESIGNER_H_
