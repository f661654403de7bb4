// Warm start from earlier studies (docs/warm-start.md): a study names related
// studies ("warm_start": {"studies": [...]}) and starts from what they found.
//
// A prior study arrives as its finished trials with the value of its first
// objective, oriented so that larger is better. Its parameters are matched
// to this study's by name; they may have other ranges:
//  - MapIntoSpace moves a prior assignment into this space: parameters this
//    space lacks are dropped, numbers outside a range are clipped into it
//    (integers and numeric discrete values to the nearest allowed value), a
//    categorical (or non-numeric discrete) value this space lacks makes the
//    trial unusable, and parameters the prior lacks take their `default`
//    (else the middle of their range, or their first value) when
//    `fill_missing`, or stay absent.
//  - WarmStartConfigs: the best usable trial of each prior study, in the
//    order the studies are listed, without repeats: the configurations tried
//    first, each with origin "warm_start:<study>#<trial id>".
//  - WarmStartDesigner wraps a designer (random, sobol, bayesian): it
//    suggests those configurations first, each once (a trial of the history
//    with that origin, or with those parameters, counts as done), then
//    defers to the wrapped designer, which sees the configurations still due
//    as running trials. Stateless across Update(), so a designer rebuilt
//    from the same history suggests the same thing. Hyperband takes the
//    configurations as its first new configurations instead
//    (hyperband_designer.h).
// Pure; not thread-safe.
#ifndef TUNER_ALGORITHMS_WARM_START_H_
#define TUNER_ALGORITHMS_WARM_START_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "algorithms/designer.h"
#include "algorithms/search_space.h"
#include "algorithms/trial.h"

namespace tuner {

struct PriorTrial {
  int64_t id = 0;
  Assignment parameters;
  std::optional<double> value;  // first objective, larger is better; none: failed or missing
};

struct PriorStudy {
  std::string name;
  std::vector<PriorTrial> trials;  // finished trials
};

std::optional<Assignment> MapIntoSpace(const SearchSpace& space, const Assignment& assignment,
                                       bool fill_missing);

struct WarmStartConfig {
  Assignment parameters;
  std::string origin;  // "warm_start:<study>#<trial id>"
};

std::vector<WarmStartConfig> WarmStartConfigs(const SearchSpace& space,
                                              const std::vector<PriorStudy>& priors);

class WarmStartDesigner : public Designer {
 public:
  WarmStartDesigner(std::unique_ptr<Designer> inner, std::vector<WarmStartConfig> configs);

  void Update(const std::vector<const Trial*>& finished,
              const std::vector<const Trial*>& active) override;
  std::vector<Assignment> Suggest(int count) override;
  std::string SavedState() const override { return inner_->SavedState(); }
  void RestoreState(std::string_view state) override { inner_->RestoreState(state); }
  uint64_t state_version() const override { return inner_->state_version(); }

  Designer& inner() { return *inner_; }

 private:
  std::unique_ptr<Designer> inner_;
  std::vector<WarmStartConfig> configs_;
  std::vector<size_t> due_;  // configs_ not tried yet, in order
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_WARM_START_H_
