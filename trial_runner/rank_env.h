// The command line and environment of each rank of a trainer cluster: what a
// trainer sees, as docs/study-format.md ("Trainer environment") says.
// Pure functions of their inputs (no I/O, no process state): the launcher
// passes in the server's environment and the ports it picked.
//
// Every rank gets
//   argv: trainer.command, then --name=value per parameter (FormatValue, in
//         name order), then extra_args;
//   env:  base_env, overridden by trainer.env, overridden by
//         TUNER_PARAMS (the parameters as a JSON object, numbers as numbers),
//         TUNER_ENDPOINT, TUNER_STUDY, TUNER_TRIAL_ID, TUNER_TASK_TYPE
//         (chief | worker | ps), TUNER_TASK_INDEX, TUNER_OUTPUT_DIR,
//         TF_CONFIG (Cloud ML Engine's: cluster, task with the trial id,
//         "environment": "cloud"; roles with no rank are left out),
//         MASTER_ADDR=127.0.0.1, MASTER_PORT (the chief's port, the same one
//         as the chief's TF_CONFIG address), WORLD_SIZE (chief + workers) and
//         RANK (chief 0, workers 1..N; none for ps, which are outside the
//         PyTorch world), LOCAL_RANK = RANK and LOCAL_WORLD_SIZE = WORLD_SIZE
//         (every rank runs on this machine; none for ps),
//         CUDA_VISIBLE_DEVICES = RankDevices() when request.devices is set,
//         with trainer.metrics.source = hypertune CLOUD_ML_HP_METRIC_FILE =
//         HypertuneMetricFile() and CLOUD_ML_TRIAL_ID = the trial id,
//         and PYTHONUNBUFFERED=1 unless already set, so that logs and stdout
//         metrics arrive as they are printed.
#ifndef TUNER_TRIAL_RUNNER_RANK_ENV_H_
#define TUNER_TRIAL_RUNNER_RANK_ENV_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "study/study_spec.h"
#include "trial_runner/launcher.h"

namespace tuner {

enum class TaskType { kChief, kWorker, kPs };

// "chief", "worker", "ps": the names TF_CONFIG and TUNER_TASK_TYPE use.
const char* ToString(TaskType type);

// One rank of a cluster.
struct RankId {
  TaskType type = TaskType::kChief;
  int index = 0;

  // "worker:1", as exit messages name a rank.
  std::string Name() const;
  // "worker-1.log", the rank's log file inside <output_dir>/logs.
  std::string LogFileName() const;
};

// Every rank of `cluster`: the chief, then the workers, then the ps, each role
// by index.
std::vector<RankId> ClusterRanks(const ClusterSpec& cluster);

// The loopback port of every rank, one entry per rank of each role (sizes
// match the ClusterSpec).
struct ClusterPorts {
  std::vector<int> chief;
  std::vector<int> worker;
  std::vector<int> ps;
};

// What one rank runs.
struct RankCommand {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
};

// The trainer's arguments (the same for every rank).
std::vector<std::string> TrainerArguments(const LaunchRequest& request);

// The parameters as a JSON object: numbers as numbers, categories as strings.
std::string ParamsJson(const Assignment& parameters);

// TF_CONFIG of `rank`, e.g.
// {"cluster":{"chief":["127.0.0.1:4000"],"worker":["127.0.0.1:4001"]},
//  "task":{"type":"worker","index":0,"trial":"7"},"environment":"cloud"}.
std::string TfConfigJson(const ClusterPorts& ports, const RankId& rank, int64_t trial_id);

// The devices of `rank`, comma-separated: its slice of request.devices,
// trainer.resources.gpus_per_rank of them per rank in ClusterRanks order
// (chief, workers, ps). "" when the list is too short.
std::string RankDevices(const LaunchRequest& request, const RankId& rank);

// Where `rank` writes its hypertune metrics (trainer.metrics.source =
// hypertune): <output_dir>/hypertune/<type>-<index>.metrics.
std::string HypertuneMetricFile(const std::string& output_dir, const RankId& rank);

// Argument vector and full environment of `rank`. `ports` must have an entry
// for every rank of request.trainer.cluster.
RankCommand BuildRankCommand(const LaunchRequest& request, const ClusterPorts& ports,
                             const RankId& rank,
                             const std::map<std::string, std::string>& base_env);

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_RANK_ENV_H_
