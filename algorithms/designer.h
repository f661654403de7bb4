// A Designer proposes new parameter assignments from a study's history.
//
// Contract: the owner calls Update() with the whole history, then Suggest().
// A designer is rebuilt from the history (a restarted server constructs a new
// one and calls Update), so same seed + same history => same suggestions.
// Not thread-safe: the owner serialises calls.
#ifndef TUNER_ALGORITHMS_DESIGNER_H_
#define TUNER_ALGORITHMS_DESIGNER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "algorithms/search_space.h"
#include "algorithms/trial.h"

namespace tuner {

class Designer {
 public:
  virtual ~Designer() = default;

  // `finished`: trials in a final state; `active`: ACTIVE or STOPPING trials.
  // The pointers are valid only during the call.
  virtual void Update(const std::vector<const Trial*>& finished,
                      const std::vector<const Trial*>& active) = 0;

  // Up to `count` new assignments, each valid for the search space. Fewer
  // (possibly none) only when the space is exhausted.
  virtual std::vector<Assignment> Suggest(int count) = 0;

  // Which stage proposed each assignment of the last Suggest(), in its
  // order (Trial::origin): "random", "grid", "sobol", "gp", "hyperband" or
  // "pbt" (a PBT member's copy; its first members are "random").
  const std::vector<std::string>& origins() const { return origins_; }

  // The lineage of each assignment of the last Suggest() (Trial::parent_trial
  // and parent_step), in its order; empty when no assignment has a parent
  // (every designer but PbtDesigner).
  struct Lineage {
    int64_t parent_trial = 0;
    int64_t parent_step = 0;
  };
  const std::vector<Lineage>& lineage() const { return lineage_; }

  // Work a rebuilt designer would otherwise do again (the GP's fitted
  // hyperparameters): opaque bytes the owner may keep (the service keeps
  // them in the Store) and give to a new designer of the same study with
  // RestoreState, before or after its first Update, to spare that work. A
  // cache only: a designer ignores state that does not match its options
  // and history, suggestions are the same with or without it, and state
  // from another build is ignored. "" when there is nothing worth keeping.
  // state_version() changes whenever SavedState() may have.
  virtual std::string SavedState() const { return {}; }
  virtual void RestoreState(std::string_view /*state*/) {}
  virtual uint64_t state_version() const { return 0; }

 protected:
  std::vector<std::string> origins_;  // set by every Suggest()
  std::vector<Lineage> lineage_;      // set by Suggest() when it has parents
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_DESIGNER_H_
