// A study as the user wrote it (study JSON, see docs/study-format.md), after
// validation. Plain values; every field has its default written beside it.
// The names accepted for choice-valued fields are listed in study/choices.h.
#ifndef TUNER_STUDY_STUDY_SPEC_H_
#define TUNER_STUDY_STUDY_SPEC_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "algorithms/objective.h"
#include "algorithms/search_space.h"

namespace tuner {

struct AlgorithmSpec {
  std::string name = "random";  // random | grid | sobol
  uint64_t seed = 0;            // any uint64
};

struct EarlyStoppingSpec {
  std::string rule = "none";  // none (rules arrive with the early-stopping work)
  int min_trials = 5;         // >= 1
  int grace_steps = 0;        // >= 0
};

struct ClusterSpec {
  int chief = 1;   // exactly 1
  int worker = 0;  // >= 0
  int ps = 0;      // >= 0
};

struct MetricsSpec {
  std::string source = "grpc";  // grpc | stdout
  std::string pattern;          // stdout only; "" = name=value pairs; else an
                                // ECMAScript regex, group 1 = name, 2 = value
};

struct TrainerSpec {
  std::vector<std::string> command;  // required, non-empty
  ClusterSpec cluster;
  std::map<std::string, std::string> env;
  std::string backend = "local";  // local (slurm is not built yet)
  double timeout_s = 0;           // >= 0; 0 = no timeout
  MetricsSpec metrics;
};

struct StudySpec {
  std::string name;                   // required: [A-Za-z0-9_.-]{1,128}
  std::vector<Objective> objectives;  // `objective` or `objectives`, >= 1
  AlgorithmSpec algorithm;
  int64_t max_trials = 20;      // >= 1
  int max_parallel_trials = 1;  // >= 1
  int max_failed_trials = 0;    // 0 = no limit
  EarlyStoppingSpec early_stopping;
  SearchSpace space;
  bool has_trainer = false;  // attached (ask/tell) studies have no trainer
  TrainerSpec trainer;
};

}  // namespace tuner

#endif  // TUNER_STUDY_STUDY_SPEC_H_
