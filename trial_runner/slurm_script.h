// What a trial's cluster becomes on Slurm: one batch job with one task per
// rank. Pure builders (no I/O): the sbatch arguments from trainer.slurm, the
// batch script, and the per-task wrapper that gives each task the same
// environment a local rank gets (trial_runner/rank_env.h), with real host
// names. docs/slurm.md describes the job from the user's side.
//
// Files, under <output_dir>:
//   slurm/job.sh    the batch script: exports the rank-independent contract
//                   (TUNER_PARAMS, TUNER_ENDPOINT, TUNER_STUDY, TUNER_TRIAL_ID,
//                   TUNER_OUTPUT_DIR, trainer.env, PYTHONUNBUFFERED), then
//                   `srun --ntasks=N --distribution=block --kill-on-bad-exit=1
//                   task.sh`. The job exits 0 when the chief exited 0, else
//                   with srun's code.
//   slurm/task.sh   run once per task. From SLURM_PROCID (0 = chief, 1..W =
//                   workers, then ps), SLURM_STEP_NODELIST (expanded with
//                   `scontrol show hostnames`) and SLURM_STEP_TASKS_PER_NODE
//                   it sets TUNER_TASK_TYPE, TUNER_TASK_INDEX, TF_CONFIG
//                   (host:port of every rank), MASTER_ADDR (the chief's host),
//                   MASTER_PORT, WORLD_SIZE and RANK (none for ps), runs the
//                   trainer with stdout and stderr in logs/<type>-<index>.log,
//                   and writes its exit code to slurm/exit/<type>-<index>.
//                   When the chief exits 0 it cancels the job step, so the
//                   other ranks end with it (gang stop).
//   logs/slurm-<job id>.log   the batch script's own output.
// Ports: rank r listens on SlurmPortBase(job id, ranks) + r, a range that
// differs between concurrent jobs (up to 20000 / max(20, ranks) of them).
#ifndef TUNER_TRIAL_RUNNER_SLURM_SCRIPT_H_
#define TUNER_TRIAL_RUNNER_SLURM_SCRIPT_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "trial_runner/launcher.h"

namespace tuner {

struct SlurmJobFiles {
  std::string job_name;           // SlurmJobName(study, trial)
  std::string batch_script_path;  // <output_dir>/slurm/job.sh
  std::string batch_script;
  std::string task_script_path;  // <output_dir>/slurm/task.sh
  std::string task_script;
  std::string exit_dir;                  // <output_dir>/slurm/exit
  std::vector<std::string> sbatch_args;  // after "sbatch"; the last one is the script
};

// "tuner.<study>.<trial id>": how a job is known to be a trial's.
std::string SlurmJobName(const std::string& study, int64_t trial_id);

// `text` always in single quotes, for the generated scripts: 'it'\''s'
// (study/trainer_command.h's ShellQuote leaves plain words bare).
std::string SingleQuote(std::string_view text);

// The first port of a job's ranks (rank r uses base + r); the same formula as
// task.sh's.
int SlurmPortBase(int64_t job_id, int ranks);

// The sbatch arguments for `request` (before the script): --parsable,
// --job-name, --output, --chdir, --ntasks, --cpus-per-task, [--gpus-per-task],
// [--partition], [--time], --no-requeue (a preempted or failed node ends the
// job; the trial fails rather than restarting behind the tuner's back), then
// trainer.slurm.extra_args.
std::vector<std::string> SbatchArguments(const LaunchRequest& request);

// Every file and argument of the trial's job. `request.output_dir` must be
// absolute (compute nodes do not share the server's working directory).
SlurmJobFiles BuildSlurmJob(const LaunchRequest& request);

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_SLURM_SCRIPT_H_
