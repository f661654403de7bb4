// The Orchestrator runs a study to the end: it keeps max_parallel_trials
// trainer clusters running through a Launcher, asks the study server for
// trials, turns cluster exits into trial outcomes, forwards stdout metrics,
// and stops the cluster of every trial the server marks STOPPING (StopTrial
// or a stopping rule).
//
// It talks to the study only through a StudyApi (the in-process service of
// an embedded server, or a remote one), using one client id per slot ("tuner-run:<slot>"), so a
// restarted run gets each slot's unfinished trial back from SuggestTrials and relaunches it. A
// cluster failure is reported as retriable: while the trial has retries left
// (trainer.max_retries) the server keeps it ACTIVE for the slot, which
// launches it again as its next attempt, in its own directory. Run() is
// single-threaded; Interrupt() may be called from any thread.
#ifndef TUNER_TUNER_CLI_ORCHESTRATOR_H_
#define TUNER_TUNER_CLI_ORCHESTRATOR_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/store.h"
#include "study/study_spec.h"
#include "trial_runner/device_pool.h"
#include "trial_runner/launcher.h"
#include "tuner/service/study_api.h"

namespace tuner {

struct RunProgress {
  TrialCounts counts;
  int64_t max_trials = 0;
  std::optional<int64_t> best_trial;  // single objective only
  double best_value = 0.0;
  std::string event;  // what just happened, e.g. "trial 4 COMPLETED val_accuracy=0.93"
};

// Client ids of the slots of a run that joined a study start with this,
// then the run's id (see OrchestratorOptions::client_prefix).
inline constexpr std::string_view kJoinedPrefix = "tuner-join:";

struct OrchestratorOptions {
  std::string working_dir;  // cwd of the ranks (the study file's directory)
  std::string output_root;  // trial directories: <output_root>/<study>/trial-<id>
  std::string endpoint;     // the server address trainers report to
  std::map<std::string, std::string> extra_env;  // added to every rank
  // Slot client ids are client_prefix + slot. The study's owner uses
  // "tuner-run:", so that it gets back the trials a dead owner left (and
  // ends their clusters); a run that joined uses a prefix of its own and
  // `recover` false: it never touches other runs' trials or processes.
  std::string client_prefix = "tuner-run:";
  bool recover = true;
  // Called with every heartbeat round (the run renews its claim on the
  // study there); an error ends the run.
  std::function<absl::Status()> on_heartbeat;
  // When set, each trial's ranks get TUNER_TOKEN = trial_token(trial id): a
  // token for that trial only (tuner/server/token_scope.h).
  std::function<std::string(int64_t trial_id)> trial_token;
  // The machine's devices (`tuner run --devices`), handed out to trials
  // with trainer.resources.gpus_per_rank > 0 so that no two running trials
  // share one; a slot waits (no trial is suggested) until enough are free.
  std::vector<std::string> devices;
  std::chrono::milliseconds poll_interval{200};  // how often StopTrial is noticed
  // How often the lease of every running trial is renewed (Heartbeat).
  std::chrono::milliseconds heartbeat_interval{10000};
  std::function<void(const RunProgress&)> on_progress;  // after every event
};

struct RunSummary {
  TrialCounts counts;
  bool interrupted = false;
};

class Orchestrator {
 public:
  // `api` and `launcher` must outlive the orchestrator.
  Orchestrator(StudyApi* api, Launcher* launcher, StudySpec spec, OrchestratorOptions options);

  // Blocks until the study's budget is spent (and no cluster runs) or
  // Interrupt() was called; then every trial it launched is in a final state.
  absl::StatusOr<RunSummary> Run();
  // Stops every cluster; their trials become STALE ("interrupted"), which
  // does not count toward max_trials, and their parameters are run again.
  void Interrupt();

 private:
  struct Event {
    int64_t trial_id = 0;
    bool is_exit = false;
    ClusterExit exit;
    Measurement measurement;
  };

  // Finishes what a run that died left behind: its STOPPING trials, and the
  // trials of slots beyond max_parallel_trials (their clusters are reaped).
  absl::Status Recover();
  std::string TrialDir(int64_t trial_id) const;
  // The directory of the trial's current attempt: TrialDir for the first,
  // <TrialDir>/attempt-<k> for attempt k >= 2 (TrialAttemptDir).
  std::string AttemptDir(const Trial& trial) const;
  // Where a trial with no checkpoint of its own starts ("" afresh): a retry
  // of a STALE trial from a copy of that trial's latest checkpoint, else
  // (and a PBT member always) from a copy of its parent's.
  absl::StatusOr<std::string> InheritedCheckpoint(const Trial& trial) const;
  // A copy of the latest checkpoint of trial `source` in `trial`'s attempt
  // directory, under <folder>/trial-<source>/ ("" when it recorded none).
  absl::StatusOr<std::string> CopyCheckpoint(const Trial& trial, int64_t source,
                                             const std::string& folder) const;
  absl::Status FillSlots(bool* study_done);
  absl::Status LaunchTrial(int slot, const Trial& trial);
  absl::Status HandleExit(int64_t trial_id, const ClusterExit& exit);
  // Reports a failed attempt of `slot`'s trial as the cluster's; when the
  // server retries it (ACTIVE again), launches the next attempt in the slot.
  absl::Status FailAttempt(int slot, int64_t trial_id, const std::string& message);
  absl::Status HandleMeasurement(int64_t trial_id, const Measurement& m);
  absl::Status StopStoppingTrials();
  absl::Status Heartbeats();
  absl::Status Report(const std::string& event);
  absl::StatusOr<TrialCounts> Counts();
  absl::Status Finish(int64_t trial_id, const absl::StatusOr<Trial>& result);
  void Push(Event event);

  StudyApi* const api_;
  Launcher* const launcher_;
  const StudySpec spec_;
  const OrchestratorOptions options_;

  // trainer.resources.gpus_per_rank x ranks: the devices each trial holds.
  size_t DevicesPerTrial() const;

  std::map<int, int64_t> slots_;  // slot -> running trial id (Run's thread only)
  DevicePool devices_;            // options.devices; held by running trials (Run's thread only)
  std::set<int64_t> stop_sent_;   // trials whose cluster was told to stop
  std::set<int> resume_slots_;    // slots with an ACTIVE trial a previous run left
  std::atomic<bool> interrupted_{false};
  double run_start_ = 0;  // seconds since the epoch; older ACTIVE trials were launched before

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;  // guarded by mu_
};

// Where attempt `attempt` of a trial keeps its files (logs/ in it):
// `trial_dir` itself for the first, `trial_dir`/attempt-<attempt> after.
std::string TrialAttemptDir(const std::string& trial_dir, int attempt);

// The shell command that re-runs a launch outside the study: `cd` into its
// working directory, `env` (NAME=value), then the argv the launcher execs
// (study/trainer_command.h), every word quoted.
std::string LaunchCommand(const LaunchRequest& request,
                          const std::map<std::string, std::string>& env);

// The trial outcome for a cluster exit, given the trial as the server has it
// (nullopt: leave the trial as it is, the trainer already finished it).
// Pure; exposed for tests.
struct ExitOutcome {
  enum class Kind { kCompleteWithLastReport, kFail } kind;
  std::string message;  // kFail
};
std::optional<ExitOutcome> OutcomeForExit(const Trial& trial, const ClusterExit& exit,
                                          double timeout_s);

}  // namespace tuner

#endif  // TUNER_TUNER_CLI_ORCHESTRATOR_H_
