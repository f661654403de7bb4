// Population-Based Training (Jaderberg et al., "Population Based Training of
// Neural Networks", 2017), split like every other algorithm here into a
// designer (which trials to start) and a stopping rule (which to stop), both
// pure and rebuilt from the history.
//
// A study with `"algorithm": {"name": "pbt", ...}` (docs/pbt.md):
//  - PbtDesigner first proposes `population` members drawn at random (origin
//    "random"). After that it proposes only replacements: for every member
//    that PbtStoppingRule stopped (reason starting with kPbtExploitReason), one
//    new trial that continues a member of the top `quantile` (exploit: its
//    parent_trial, whose latest checkpoint the runner restores, and
//    parent_step, that member's last reported step) with parameters explored
//    from the parent's (origin "pbt"): each parameter is, with
//    `resample_probability`, drawn afresh from its prior; otherwise doubles
//    are multiplied by `perturb_low` or `perturb_high` (chosen with equal
//    odds; a linear double at 0 moves by (factor - 1) x its range instead),
//    integers move one step up or down, discrete values to a neighbouring
//    value, categoricals are drawn afresh; everything is clipped to the
//    range. A parameter that becomes active under a changed parent is drawn
//    from its prior. With nothing to replace it proposes nothing: the study
//    ends when every member has trained to its end.
//  - PbtStoppingRule looks at a member every `interval` of its own steps
//    (counted from its first report, so a fresh copy trains `interval` steps
//    before it is judged): when at least ceil(1 / quantile) members are
//    running and it ranks in the bottom floor(quantile x n) of their latest
//    values (strictly worse than the top quantile's worst), it stops.
//
// The top quantile at a replacement: the ACTIVE trials with a finite latest
// objective value, best first (ties to the lower id), the first
// max(1, floor(quantile x n)); with none running, no replacement is made.
// The parent among them, and the explore choices, come from a generator
// seeded by (seed, k) for the study's k-th replacement: same seed and same
// history give the same replacements.
#ifndef TUNER_ALGORITHMS_PBT_H_
#define TUNER_ALGORITHMS_PBT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "algorithms/designer.h"
#include "algorithms/objective.h"
#include "algorithms/search_space.h"
#include "algorithms/stopping_rule.h"

namespace tuner {

// The reason of a member stopped to be replaced starts with this.
inline constexpr char kPbtExploitReason[] = "pbt exploit: ";

struct PbtOptions {
  int population = 8;
  int64_t interval = 4;
  double quantile = 0.25;
  double resample_probability = 0.25;
  double perturb_low = 0.8;
  double perturb_high = 1.2;
};

class PbtDesigner : public Designer {
 public:
  PbtDesigner(SearchSpace space, Objective objective, uint64_t seed, PbtOptions options);

  void Update(const std::vector<const Trial*>& finished,
              const std::vector<const Trial*>& active) override;
  std::vector<Assignment> Suggest(int count) override;

  // Explore: `parent` perturbed or resampled as described above.
  Assignment Explore(const Assignment& parent, uint64_t stream) const;

 private:
  struct Member {
    int64_t id = 0;
    TrialState state = TrialState::kActive;
    bool exploited = false;  // stopped by PbtStoppingRule
    int64_t parent_trial = 0;
    Assignment parameters;
    bool has_value = false;
    double value = 0;  // latest objective value, oriented: larger is better
    int64_t step = 0;  // its step
  };

  SearchSpace space_;
  Objective objective_;
  uint64_t seed_;
  PbtOptions options_;
  std::vector<Member> members_;  // by id
};

// The rule's part; StoppingRuleOptions::rule "pbt" (MakeStoppingRule).
class PbtStoppingRule : public StoppingRule {
 public:
  PbtStoppingRule(Goal goal, std::string metric, int64_t interval, double quantile);
  StoppingDecision Observe(int64_t trial_id, int64_t step, double value) override;
  void Finish(int64_t trial_id, TrialState state) override;

 private:
  struct Running {
    int64_t step = 0;
    double value = 0;           // oriented: larger is better
    int64_t next_decision = 0;  // the step at which it is judged next
  };
  Goal goal_;
  std::string metric_;
  int64_t interval_;
  double quantile_;
  std::map<int64_t, Running> running_;
  std::map<int64_t, bool> finished_;
};

// A trial's schedule of hyperparameters: its ancestors from the first member
// to itself, each with the step from which its parameters applied (0 for the
// first; a child's: its parent_step). `trials` in any order.
struct ScheduleEntry {
  int64_t trial = 0;
  int64_t from_step = 0;
  Assignment parameters;
};
std::vector<ScheduleEntry> PbtSchedule(const std::vector<const Trial*>& trials, int64_t trial_id);

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_PBT_H_
