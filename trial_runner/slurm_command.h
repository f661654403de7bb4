// Running one Slurm client command (sbatch, squeue, scontrol, scancel, sacct)
// and collecting what it printed. POSIX; blocks the calling thread until the
// command ends or its time is up (then its process group gets SIGKILL).
// Thread-safe.
#ifndef TUNER_TRIAL_RUNNER_SLURM_COMMAND_H_
#define TUNER_TRIAL_RUNNER_SLURM_COMMAND_H_

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tuner {

struct CommandResult {
  int exit_code = 0;   // -1 when killed by a signal (or the timeout)
  std::string output;  // stdout
  std::string errors;  // stderr
  bool timed_out = false;

  bool ok() const { return exit_code == 0 && !timed_out; }
  // "sbatch: error: invalid partition specified: gpu" or "exit code 1".
  std::string ErrorText() const;
};

// Runs `argv` (argv[0] looked up in PATH) with this process's environment
// less the variables that would change what a Slurm command does when the
// server itself runs inside a Slurm job (SLURM_* except SLURM_CONF, SBATCH_*,
// SALLOC_*, SRUN_*). An error only when the command cannot be started.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout);

// The environment RunCommand gives commands: `env` without those variables.
std::map<std::string, std::string> SlurmClientEnvironment(
    const std::map<std::string, std::string>& env);

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_SLURM_COMMAND_H_
