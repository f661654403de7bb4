// SlurmLauncher: runs each trial's trainer cluster as one Slurm batch job,
// one task per rank (trial_runner/slurm_script.h has the job's files and the
// environment each task gets; docs/slurm.md the user's side). The commands
// sbatch, squeue, scontrol, scancel (and sacct when present) must work from
// this process; the trial directory (output_dir) must be on a filesystem
// that the compute nodes share, at the same path.
//
// Launch() writes <output_dir>/slurm/{job.sh,task.sh}, submits the job with
// sbatch and returns once Slurm accepted it (the job may still pend). A
// thread of the launcher then polls every job with one squeue call per
// options.poll_interval (and `scontrol show job` once a job has ended, for
// its exit code; sacct when the controller has forgotten the job), and:
//   - with trainer.metrics.source = stdout, tails the chief's log
//     (logs/chief-0.log) and reports each metric line;
//   - reports the exit once the job is in a final state (every task ended):
//     COMPLETED -> kSucceeded; FAILED -> kFailed naming the rank that failed
//     first ("rank worker:1 exited with code 3", from slurm/exit/, with the
//     tail of its log); CANCELLED by someone else, TIMEOUT (the Slurm time
//     limit), OUT_OF_MEMORY -> kFailed; PREEMPTED, NODE_FAIL, BOOT_FAIL ->
//     kFailed whose message ends in "(retryable)";
//   - Stop(), trainer.timeout_s and StopAll() scancel the whole job (every
//     step and task, SIGTERM then SIGKILL after Slurm's KillWait) and report
//     kStopped / kTimedOut once the job has ended.
// A job that squeue, scontrol and sacct all no longer know is reported as
// kFailed after two polls in a row.
//
// Handle() is "slurm:<job id>". Adopt() takes over a queued or running job of
// the same trial (its JobName is "tuner.<study>.<trial id>") after a restart;
// NotFound when the job has ended or is another's. Reap() cancels such a job
// and waits (up to options.reap_wait) until it has ended.
//
// Thread-safety: every method may be called from any thread, Launch() and
// Stop() also from inside a callback; StopAll() and the destructor not from a
// callback. Callbacks run on the launcher's thread. The destructor calls
// StopAll() unless options.cancel_on_destroy is false (then the jobs run on,
// for another process to Adopt()).
#ifndef TUNER_TRIAL_RUNNER_SLURM_LAUNCHER_H_
#define TUNER_TRIAL_RUNNER_SLURM_LAUNCHER_H_

#include <chrono>
#include <memory>
#include <string>

#include "trial_runner/launcher.h"

namespace tuner {

struct SlurmLauncherOptions {
  // How often every job's state is asked for (one squeue call).
  std::chrono::milliseconds poll_interval{500};
  // The longest one Slurm command may take before it is killed.
  std::chrono::milliseconds command_timeout{60000};
  // Reap(): how long to wait for a cancelled job to end.
  std::chrono::milliseconds reap_wait{60000};
  // Lines of the failing rank's log in ClusterExit::log_tail.
  int log_tail_lines = 20;
  // The destructor cancels every job (false: leaves them for Adopt()).
  bool cancel_on_destroy = true;
};

class SlurmLauncher final : public Launcher {
 public:
  explicit SlurmLauncher(SlurmLauncherOptions options = {});
  ~SlurmLauncher() override;

  SlurmLauncher(const SlurmLauncher&) = delete;
  SlurmLauncher& operator=(const SlurmLauncher&) = delete;

  // Errors: InvalidArgument (empty command, not exactly one chief, an output_dir
  // that is empty or relative, a bad metrics pattern), AlreadyExists (the
  // trial's job is being tracked), FailedPrecondition (shutting down),
  // NotFound (no sbatch), Unavailable (sbatch refused the job: its message),
  // or the error of writing the scripts.
  absl::Status Launch(const LaunchRequest& request, MeasurementCallback on_measurement,
                      ExitCallback on_exit) override;
  void Stop(int64_t trial_id, const std::string& reason) override;
  void StopAll() override;
  std::string Handle(int64_t trial_id) override;
  absl::Status Adopt(const LaunchRequest& request, const std::string& handle,
                     MeasurementCallback on_measurement, ExitCallback on_exit) override;
  void Reap(const LaunchRequest& request, const std::string& handle) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_SLURM_LAUNCHER_H_
