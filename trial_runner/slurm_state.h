// Reading Slurm's answers about jobs, and what a finished job means for the
// trial. Pure functions of the commands' output (no I/O), so every state can
// be tested without a cluster.
//
// Sources, in the order the launcher asks them:
//   squeue -h -t all -j ID,ID,... -o '%i|%T|%r'   one line per job (or per
//       component "ID+N" of a heterogeneous job), every state the controller
//       still holds; a job it forgot (MinJobAge passed) is missing.
//   scontrol -o show job ID                       one line of Key=Value pairs,
//       with the exit code ("ExitCode=3:0" = code 3, signal 0).
//   sacct -n -X -P -j ID -o JobID,State,ExitCode,JobName   only with
//       accounting; for jobs the controller has forgotten.
#ifndef TUNER_TRIAL_RUNNER_SLURM_STATE_H_
#define TUNER_TRIAL_RUNNER_SLURM_STATE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "trial_runner/launcher.h"

namespace tuner {

// What is known of one job.
struct SlurmJobInfo {
  int64_t job_id = 0;
  std::string name;   // JobName ("" when the source does not say)
  std::string state;  // e.g. "RUNNING", "FAILED", "CANCELLED" (without " by 0")
  std::string reason;
  int exit_code = 0;    // of the batch script
  int exit_signal = 0;  // that killed the batch script, 0 = none
  double run_time_s = 0;
};

// Whether `state` is final: the job and all its processes have ended.
// PENDING, RUNNING, COMPLETING, SUSPENDED, CONFIGURING, ... are not.
bool IsFinalSlurmState(std::string_view state);

// The job id of a "slurm:<id>" handle, or of sbatch --parsable's output
// ("1234" or "1234;cluster"); nullopt when there is none.
std::optional<int64_t> ParseSlurmJobId(std::string_view text);

// squeue's '%i|%T|%r' lines: job id -> info (state, reason). Components of a
// heterogeneous job ("12+0", "12+1") fold into one: the first non-final state
// if any, else the first failed one, else the first.
std::map<int64_t, SlurmJobInfo> ParseSqueue(std::string_view text);

// `scontrol -o show job` output (one job per line) -> the first job.
// InvalidArgument when it has no JobId.
absl::StatusOr<SlurmJobInfo> ParseScontrolJob(std::string_view text);

// `sacct -n -X -P -o JobID,State,ExitCode,JobName` lines: job id -> info.
std::map<int64_t, SlurmJobInfo> ParseSacct(std::string_view text);

// "01:02:03", "2-01:02:03", "5:07" -> seconds; 0 when it does not parse.
double ParseSlurmDuration(std::string_view text);

// How a finished job ends the trial.
struct SlurmJobOutcome {
  ClusterExit::Kind kind = ClusterExit::Kind::kSucceeded;
  std::string message;
  // The scheduler, not the trainer, ended it (preemption, a failed node):
  // running the same trial again may well succeed.
  bool retryable = false;
};

// The outcome of a job that reached a final state. `requested` is what the
// launcher asked for when it cancelled the job itself (kStopped or kTimedOut,
// with its message); nullopt when it did not.
SlurmJobOutcome OutcomeOfFinishedJob(const SlurmJobInfo& job,
                                     const std::optional<ClusterExit>& requested);

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_SLURM_STATE_H_
