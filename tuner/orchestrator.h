// The Orchestrator runs a study to the end: it keeps max_parallel_trials
// trainer clusters running through a Launcher, asks the study server for
// trials, turns cluster exits into trial outcomes, forwards stdout metrics,
// and stops the cluster of every trial the server marks STOPPING (StopTrial
// or a stopping rule).
//
// It talks to the server only through a TunerClient (embedded or remote),
// using one client id per slot ("tuner-run:<slot>"), so a restarted run gets
// each slot's unfinished trial back from SuggestTrials and relaunches it.
// Run() is single-threaded; Interrupt() may be called from any thread.
#ifndef TUNER_TUNER_ORCHESTRATOR_H_
#define TUNER_TUNER_ORCHESTRATOR_H_

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

#include "absl/status/statusor.h"
#include "clients/cpp/tuner_client.h"
#include "study/study_spec.h"
#include "trial_runner/launcher.h"

namespace tuner {

struct RunCounts {
  int64_t completed = 0, stopped = 0, failed = 0, infeasible = 0, running = 0;
};

struct RunProgress {
  RunCounts counts;
  int64_t max_trials = 0;
  std::optional<int64_t> best_trial;  // single objective only
  double best_value = 0.0;
  std::string event;  // what just happened, e.g. "trial 4 COMPLETED val_accuracy=0.93"
};

struct OrchestratorOptions {
  std::string working_dir;  // cwd of the ranks (the study file's directory)
  std::string output_root;  // trial directories: <output_root>/<study>/trial-<id>
  std::string endpoint;     // the server address trainers report to
  std::map<std::string, std::string> extra_env;  // added to every rank
  std::chrono::milliseconds poll_interval{200};  // how often StopTrial is noticed
  // How often the lease of every running trial is renewed (Heartbeat).
  std::chrono::milliseconds heartbeat_interval{10000};
  std::function<void(const RunProgress&)> on_progress;  // after every event
};

struct RunSummary {
  RunCounts counts;
  bool interrupted = false;
};

class Orchestrator {
 public:
  // `client` and `launcher` must outlive the orchestrator.
  Orchestrator(TunerClient* client, Launcher* launcher, StudySpec spec,
               OrchestratorOptions options);

  // Blocks until the study's budget is spent (and no cluster runs) or
  // Interrupt() was called; then every trial it launched is in a final state.
  absl::StatusOr<RunSummary> Run();
  // Stops every cluster; their trials become STOPPED ("interrupted").
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
  absl::Status FillSlots(bool* study_done);
  absl::Status LaunchTrial(int slot, const v1::Trial& trial);
  absl::Status HandleExit(int64_t trial_id, const ClusterExit& exit);
  absl::Status HandleMeasurement(int64_t trial_id, const Measurement& m);
  absl::Status StopStoppingTrials();
  absl::Status Heartbeats();
  absl::Status Report(const std::string& event);
  absl::Status Finish(int64_t trial_id, const absl::StatusOr<v1::Trial>& result);
  void Push(Event event);

  TunerClient* const client_;
  Launcher* const launcher_;
  const StudySpec spec_;
  const OrchestratorOptions options_;

  std::map<int, int64_t> slots_;  // slot -> running trial id (Run's thread only)
  std::set<int64_t> stop_sent_;   // trials whose cluster was told to stop
  std::atomic<bool> interrupted_{false};
  double run_start_ = 0;  // seconds since the epoch; older ACTIVE trials were launched before

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;  // guarded by mu_
};

// The trial outcome for a cluster exit, given the trial as the server has it
// (nullopt: leave the trial as it is, the trainer already finished it).
// Pure; exposed for tests.
struct ExitOutcome {
  enum class Kind { kCompleteWithLastReport, kFail } kind;
  std::string message;  // kFail
};
std::optional<ExitOutcome> OutcomeForExit(const v1::Trial& trial, const ClusterExit& exit,
                                          double timeout_s);

}  // namespace tuner

#endif  // TUNER_TUNER_ORCHESTRATOR_H_
