// A Launcher starts the trainer cluster of a trial (one process per rank) and
// tells when it has ended. Implementations: the local one (child processes on
// this machine) and, later, Slurm; tests use a fake.
//
// Contract: Launch() returns once every rank has started (or failed to
// start). Exactly one ExitCallback follows per launched trial, after every
// process of the cluster has ended (ranks and their process groups; with the
// local launcher also their cgroups, or what carries the trial's marks). Stop()
// ends a cluster as a failure would (SIGTERM to every rank's process group,
// SIGKILL after the grace period) and reports kStopped. Callbacks run on the
// launcher's own thread, never inside Launch/Stop; they must not block long.
// Trial ids identify clusters, so one launcher serves one study at a time.
// Thread-safety: all methods may be called from any thread.
#ifndef TUNER_TRIAL_RUNNER_LAUNCHER_H_
#define TUNER_TRIAL_RUNNER_LAUNCHER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "algorithms/search_space.h"
#include "algorithms/trial.h"
#include "study/study_spec.h"

namespace tuner {

struct LaunchRequest {
  std::string study;
  int64_t trial_id = 0;
  TrainerSpec trainer;                  // command, cluster, env, timeout_s, metrics
  Assignment parameters;                // passed as --name=value and TUNER_PARAMS
  std::vector<std::string> extra_args;  // appended after the parameters
  std::string working_dir;              // cwd of every rank ("" = inherit)
  std::string output_dir;               // the trial's directory (created); logs in it
  std::string endpoint;                 // TUNER_ENDPOINT, the study server's host:port
  // The devices the trial holds alone (trainer.resources.gpus_per_rank of
  // them per rank, in rank order: chief, workers, ps); rank i gets its slice
  // as CUDA_VISIBLE_DEVICES. Empty = CUDA_VISIBLE_DEVICES left as it is.
  std::vector<std::string> devices;
};

struct ClusterExit {
  enum class Kind {
    kSucceeded,  // the chief exited 0 (the other ranks were then stopped)
    kFailed,     // a rank exited non-zero, was killed, or could not start
    kTimedOut,   // trainer.timeout_s passed
    kStopped,    // Stop() was called
  };
  Kind kind = Kind::kSucceeded;
  // kFailed: e.g. "rank worker:1 exited with code 3", "rank chief:0 killed by
  // signal 9 (Killed)"; kStopped: the reason given to Stop(); kTimedOut: how
  // long it ran; kSucceeded: "".
  std::string message;
  std::string log_tail;  // last lines of the failing rank's log (kFailed)
};

class Launcher {
 public:
  // A measurement the launcher collected itself: from the chief's stdout
  // (trainer.metrics.source = stdout) or its hypertune metric file
  // (hypertune, local launcher only), with a step counter.
  using MeasurementCallback = std::function<void(int64_t trial_id, const Measurement&)>;
  using ExitCallback = std::function<void(int64_t trial_id, const ClusterExit&)>;

  virtual ~Launcher() = default;

  // Starts the cluster. An error (nothing left running) when a rank cannot be
  // started; the exit callback is not called then.
  virtual absl::Status Launch(const LaunchRequest& request, MeasurementCallback on_measurement,
                              ExitCallback on_exit) = 0;
  // Ends the trial's cluster; a no-op for an unknown or ended trial.
  virtual void Stop(int64_t trial_id, const std::string& reason) = 0;
  // Ends every cluster and waits until all have ended.
  virtual void StopAll() = 0;

  // Text that finds the trial's running cluster again from another process
  // (stored with the trial), e.g. "local:4242,4250" or "slurm:1234"; "" when
  // the trial has no running cluster here.
  virtual std::string Handle(int64_t /*trial_id*/) { return ""; }
  // Takes over a cluster that a previous process launched, from its handle;
  // callbacks as for Launch. Unimplemented when this launcher cannot, or
  // NotFound when the cluster is gone: the caller then calls Reap and
  // launches afresh.
  virtual absl::Status Adopt(const LaunchRequest& /*request*/, const std::string& /*handle*/,
                             MeasurementCallback /*on_measurement*/, ExitCallback /*on_exit*/) {
    return absl::UnimplementedError("this launcher cannot adopt clusters");
  }
  // Ends whatever is left of a cluster a previous process launched (never
  // touching processes that are not that trial's), and returns when it is gone.
  virtual void Reap(const LaunchRequest& /*request*/, const std::string& /*handle*/) {}
  // Trial ids of `study` whose clusters (trial directories under
  // `output_prefix`) still have processes that this launcher did not start:
  // what a dead launcher left behind, whatever the trials' states.
  virtual std::vector<int64_t> Leftovers(const std::string& /*study*/,
                                         const std::string& /*output_prefix*/) {
    return {};
  }
};

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_LAUNCHER_H_
