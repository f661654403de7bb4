// HyperbandDesigner: the "hyperband" algorithm of a study. Runs Hyperband's
// brackets (hyperband_schedule.h) with successive halving inside each, over a
// budget resource (epochs, steps, examples...) that the study names.
//
// The resource is a parameter. The study parser appends it to the search
// space as an unconditional integer parameter {name, min, max}; the designer
// is told its name (HyperbandOptions::resource) and returns assignments that
// include it, so a trainer gets e.g. `--epochs=9` like any hyperparameter.
// A configuration is an assignment without the resource.
//
// How the history is read. Trials are taken in id order, each as either
//  - a promotion: a configuration already running in a bracket instance whose
//    trial at rung i has finished, whose next rung i + 1 has the trial's
//    resource and still has room (fewer than n_{i+1} trials); the earliest
//    such instance wins; or
//  - a new configuration: its resource is the bottom resource of bracket s and
//    the first not-yet-full instance of bracket s (or the next instance to
//    open, if that is an s bracket) takes it.
//  Anything else (a trial added by hand with another resource, or without the
//  resource) is ignored. Bracket instances k = 0, 1, 2, ... cycle through the
//  brackets s_max, ..., 0 and are opened in order. Nothing else is remembered,
//  so a designer rebuilt from the same history is in the same state: same
//  seed + same history => same suggestions. The designer's own suggestions
//  are read the same way, as running trials, which lets Suggest() be called
//  again without Update() and continue.
//
// Results. A trial's value is the first objective of its final measurement,
// oriented by the goal. FAILED and INFEASIBLE trials, and finished trials
// without a finite value, count as the worst; ties go to the earlier trial.
// STOPPED trials count with their final measurement. Several objectives: only
// the first is used.
//
// Variants (HyperbandOptions::variant):
//  - "async" (default; promotion as in ASHA, Li et al., "A System for
//    Massively Parallel Hyperparameter Tuning", MLSys 2020, but inside
//    Hyperband's brackets): each suggestion is first a promotion, scanning
//    open bracket instances oldest first and their rungs from the top down:
//    a configuration whose finished trial at rung i ranks in the top
//    floor(c_i * n_{i+1} / n_i) of the c_i finished trials of that rung (about
//    1/eta of them), and is not promoted yet, moves to rung i + 1 while that
//    rung has fewer than n_{i+1} trials. Otherwise a new configuration starts
//    at the bottom of the first instance that is not full, opening the next
//    instance when all are. It never returns fewer suggestions than asked.
//    Each instance ends with exactly n_i trials per rung, as in the
//    synchronous variant; an early promotion may however turn out not to be
//    among the final top ones.
//  - "sync" (classic Hyperband): one bracket instance at a time. Rung 0 gets
//    its n_0 new configurations; rung i + 1 is filled with the best n_{i+1}
//    of rung i only once every trial of rung i has finished; the next
//    instance opens once every trial of this one has finished. While it
//    waits it returns fewer suggestions than asked, possibly none (unlike
//    the Designer contract's "only when exhausted").
//  A promotion is a new trial with the same configuration and the larger
//  resource: no checkpoint is assumed.
//
// New configurations (HyperbandOptions::sampler):
//  - "random": the j-th new configuration of the study is RandomDesigner's
//    j-th point (seed derived from the study's) over the space without the
//    resource.
//  - "bayesian" (BOHB-like; Falkner, Klein and Hutter, "BOHB: Robust and
//    Efficient Hyperparameter Optimization at Scale", ICML 2018, with the GP
//    designer in place of the KDE): the factory's "bayesian" designer over the
//    space without the resource is fed the finished trials at the largest
//    resource with at least (parameters + 2) finite results (resource
//    removed), and the running configurations as pending; until some resource
//    has that many results, the random sampler is used. Needs "bayesian" in
//    AvailableDesigners() (Create fails otherwise).
//
// Without a resource (HyperbandOptions::resource empty) there is a single
// bracket with one rung: every suggestion is a new configuration from the
// sampler, i.e. plain random (or Bayesian) search.
//
// Not thread-safe: the owner serialises calls.
#ifndef TUNER_ALGORITHMS_HYPERBAND_DESIGNER_H_
#define TUNER_ALGORITHMS_HYPERBAND_DESIGNER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "algorithms/designer.h"
#include "algorithms/hyperband_schedule.h"
#include "algorithms/objective.h"
#include "algorithms/random_designer.h"
#include "algorithms/search_space.h"
#include "algorithms/warm_start.h"

namespace tuner {

struct HyperbandOptions {
  std::string resource;            // name of the resource parameter; "" = none
  double eta = 3.0;                // >= 2
  std::string variant = "async";   // async | sync
  std::string sampler = "random";  // random | bayesian
  // Earlier studies (warm_start.h): their WarmStartConfigs are the study's
  // first new configurations, each at the bottom rung of its bracket, with
  // origin "warm_start:<study>#<trial id>" (its promotions are "hyperband").
  std::vector<PriorStudy> warm_start;
};

class HyperbandDesigner : public Designer {
 public:
  // InvalidArgument when the options are out of range, the resource is not an
  // unconditional integer parameter of `space` (or is a parent of one), or the
  // sampler is "bayesian" and that designer is not available. The resource's
  // range is the parameter's [min, max].
  static absl::StatusOr<std::unique_ptr<HyperbandDesigner>> Create(
      SearchSpace space, std::vector<Objective> objectives, uint64_t seed,
      HyperbandOptions options);

  void Update(const std::vector<const Trial*>& finished,
              const std::vector<const Trial*>& active) override;
  std::vector<Assignment> Suggest(int count) override;

  const HyperbandSchedule& schedule() const { return schedule_; }

 private:
  // One trial as the designer reads it.
  struct Record {
    int64_t id = 0;
    bool finished = false;
    double value = 0.0;  // larger is better; -inf for the worst
  };
  // One configuration inside one bracket instance: its trial per rung.
  struct ConfigRun {
    Assignment config;
    std::vector<Record> rungs;  // rungs[i]: its trial at rung i
  };
  struct Instance {
    int64_t k = 0;  // its bracket is schedule_.BracketOfInstance(k)
    std::vector<ConfigRun> configs;
    std::vector<int64_t> counts;    // per rung: trials
    std::vector<int64_t> finished;  // per rung: finished trials
  };
  struct Where {
    size_t instance = 0;
    size_t config = 0;
  };
  // A finished trial with the resource removed, for the BOHB-like sampler.
  struct Observed {
    int64_t resource = 0;
    bool has_value = false;  // a finite objective value
    Trial trial;
  };

  HyperbandDesigner(SearchSpace config_space, std::vector<Objective> objectives, uint64_t seed,
                    HyperbandOptions options, HyperbandSchedule schedule);

  // Reads one trial (or one of this batch's suggestions, `trial` null) into
  // the state.
  void Ingest(const Assignment& parameters, const Record& record, const Trial* trial);
  double ValueOf(const Trial& trial) const;
  const HyperbandBracket& BracketOf(const Instance& instance) const;
  bool IsFull(const Instance& instance) const;      // every configuration started
  bool RungsFull(const Instance& instance) const;   // every rung has its trials
  bool IsComplete(const Instance& instance) const;  // ... and all have finished
  void Open(int64_t k);
  // The finished configurations of a rung, best first (ties: lower id).
  std::vector<size_t> Ranked(const Instance& instance, size_t rung) const;

  // The next suggestion, or nullopt when the sync variant has to wait.
  std::optional<Assignment> NextAsync();
  std::optional<Assignment> NextSync();
  Assignment StartIn(int64_t k);
  Assignment SampleConfig();
  std::vector<WarmStartConfig> warm_configs_;
  std::string sampled_origin_;  // of the last SampleConfig()
  std::optional<Assignment> SampleBayesian();
  Assignment WithResource(Assignment config, int64_t resource) const;

  SearchSpace config_space_;  // the search space without the resource
  std::vector<Objective> objectives_;
  uint64_t seed_;
  HyperbandOptions options_;
  HyperbandSchedule schedule_;
  bool sync_ = false;
  bool bayesian_ = false;
  RandomDesigner random_;
  std::unique_ptr<Designer> gp_;  // built on first use by the bayesian sampler

  // State read from the history (+ this batch's suggestions); Update resets it.
  std::vector<Instance> instances_;                   // by k: every instance opened so far
  std::map<Assignment, std::vector<Where>> runs_of_;  // configuration -> its runs
  std::vector<Observed> observed_;                    // finished trials, by id
  std::vector<Assignment> pending_;                   // running configurations
  int64_t new_configs_ = 0;                           // configurations started
  int64_t next_id_ = 1;                               // id of the next suggestion
  // Lower bounds for the first instance that is not full / whose rungs are
  // not full / that is not complete (each property only ever turns true).
  size_t first_not_full_ = 0;
  size_t first_rungs_open_ = 0;
  size_t first_incomplete_ = 0;
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_HYPERBAND_DESIGNER_H_
