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
#include "study/choices.h"

namespace tuner {

struct AlgorithmSpec {
  AlgorithmName name = AlgorithmName::kRandom;
  uint64_t seed = 0;  // any uint64
  // bayesian only:
  std::string acquisition = "log_ei";  // log_ei | ucb
  int initial_trials = 0;              // 0: max(5, 2 x parameters)
  // hyperband only (docs/hyperband.md). The parser appends the resource to
  // StudySpec::space as an integer parameter {name, min, max}; canonical JSON
  // leaves it out of `parameters`.
  struct Resource {
    std::string name;  // required: an identifier that is not a parameter's name
    int64_t min = 1;   // >= 1
    int64_t max = 0;   // required: > min
  } resource;
  double eta = 3.0;                // >= 2
  std::string variant = "async";   // async | sync
  std::string sampler = "random";  // random | bayesian (needs the bayesian designer)
  // pbt only (docs/pbt.md): Population-Based Training.
  struct Pbt {
    int population = 8;      // 2..1000; at most max_parallel_trials
    int64_t interval = 4;    // >= 1: steps between exploit decisions
    double quantile = 0.25;  // (0, 0.5]: the bottom share stops, the top share is copied
    double resample_probability = 0.25;  // [0, 1]: explore by resampling instead of perturbing
    double perturb_low = 0.8;            // perturb: [low, high], 0 < low < 1 < high
    double perturb_high = 1.2;
  } pbt;
};

// docs/early-stopping.md. A key of another rule is an error; rule none
// accepts (and ignores) min_trials and grace_steps.
struct EarlyStoppingSpec {
  StoppingRuleName rule = StoppingRuleName::kNone;
  int min_trials = 5;                // >= 1; median, percentile, asha
  int grace_steps = 0;               // >= 0; all rules
  bool use_running_average = false;  // median, percentile
  double percentile = 50.0;          // percentile: required, in (0, 100)
  double threshold = 0.0;            // threshold: required, finite
  double eta = 3.0;                  // asha: > 1
  int64_t min_resource = 1;          // asha: >= 1 (steps of the first rung)
};

struct ClusterSpec {
  int chief = 1;   // exactly 1
  int worker = 0;  // >= 0
  int ps = 0;      // >= 0
};

struct MetricsSpec {
  MetricSource source = MetricSource::kGrpc;
  std::string pattern;  // stdout only; "" = name=value pairs; else an
                        // ECMAScript regex, group 1 = name, 2 = value
  // stdout only: the name whose value is the step; a line without it is
  // not a measurement (trial_runner/stdout_metrics.h).
  std::string step_key = "epoch";
  // stdout and hypertune: the metrics collected, every other name is
  // ignored. The parser fills in the default, the objectives' metrics, when
  // the file has none; it must hold every objective's metric. Empty (specs
  // built in code) = every name.
  std::vector<std::string> names;
};

// trainer.slurm (docs/slurm.md); only allowed with backend "slurm".
struct SlurmSpec {
  std::string partition;   // "" = the cluster's default; else sbatch --partition
  std::string time_limit;  // "" = the partition's; else sbatch --time ("30", "1:30:00", "2-0")
  int cpus_per_task = 1;   // >= 1; every rank is one task
  int gpus_per_task = 0;   // >= 0; every rank (ps too)
  std::vector<std::string> extra_args;  // more sbatch options, each starting with '-'
};

// trainer.resources: limits per rank, through each rank's cgroup (local
// backend; docs/reliability.md), and devices. Only allowed with backend "local".
struct ResourcesSpec {
  int64_t memory = 0;        // bytes, >= 1 MiB (memory.max); 0 = no limit
  double cpus_per_rank = 0;  // > 0, <= 4096 (cpu.max); 0 = no limit
  // >= 0: devices of the run's list (`tuner run --devices`) each rank (ps
  // too, as Slurm's gpus_per_task) gets alone, as CUDA_VISIBLE_DEVICES.
  int gpus_per_rank = 0;
};

inline constexpr int kMaxTrainerRetries = 100;
inline constexpr int kMaxKeepCheckpoints = 100000;

struct TrainerSpec {
  std::vector<std::string> command;  // required, non-empty
  ClusterSpec cluster;
  std::map<std::string, std::string> env;
  Backend backend = Backend::kLocal;
  double timeout_s = 0;  // >= 0; 0 = no timeout
  // A trial whose cluster fails is launched again, with the same parameters,
  // up to this many times before it is FAILED (0..kMaxTrainerRetries).
  int max_retries = 0;
  // Checkpoint retention (docs/artifacts.md): the files of a trial's last N
  // checkpoint steps are kept, older ones deleted (0 = keep every one).
  int keep_checkpoints = 2;
  MetricsSpec metrics;
  // Whether every rank gets --job-dir=<the trial's output directory> after
  // the other arguments, as Cloud ML Engine passes --job-dir.
  bool job_dir = false;
  SlurmSpec slurm;          // backend slurm only
  ResourcesSpec resources;  // backend local only
};

// warm_start (docs/warm-start.md): earlier studies of the same database whose
// finished trials seed this one (their best configurations are tried first;
// the bayesian designer also models them, gp_transfer.h).
inline constexpr int kMaxWarmStartStudies = 8;
struct WarmStartSpec {
  std::vector<std::string> studies;  // 0..kMaxWarmStartStudies distinct names, not the study's own
};

struct StudySpec {
  std::string name;                   // required: [A-Za-z0-9_.-]{1,128}
  std::vector<Objective> objectives;  // `objective` or `objectives`, >= 1
  AlgorithmSpec algorithm;
  int64_t max_trials = 20;      // >= 1
  int max_parallel_trials = 1;  // >= 1
  int max_failed_trials = 0;    // 0 = as many as max_trials
  EarlyStoppingSpec early_stopping;
  WarmStartSpec warm_start;
  SearchSpace space;
  bool has_trainer = false;  // attached (ask/tell) studies have no trainer
  TrainerSpec trainer;
};

}  // namespace tuner

#endif  // TUNER_STUDY_STUDY_SPEC_H_
