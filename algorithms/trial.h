// Trials and measurements as the algorithms see them: plain values.
#ifndef TUNER_ALGORITHMS_TRIAL_H_
#define TUNER_ALGORITHMS_TRIAL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "algorithms/search_space.h"

namespace tuner {

struct Measurement {
  int64_t step = 0;
  double elapsed_secs = 0.0;
  std::map<std::string, double> metrics;
};

// ACTIVE and STOPPING trials are running; the others are final and immutable.
// STOPPING: a stop was requested (StopTrial or a stopping rule) and the
// trainer has not completed yet. STOPPED: ended early, keeps its measurements.
// STALE: its lease expired (no report or heartbeat in time); its parameters
// are offered again as a new trial within the retry budget.
enum class TrialState { kActive, kStopping, kCompleted, kStopped, kFailed, kInfeasible, kStale };

const char* ToString(TrialState state);
bool IsFinal(TrialState state);

// One earlier attempt of a trial: a run of its cluster that failed and was
// retried (trainer.max_retries), or a FAILED or interrupted trial requeued by
// hand (`tuner retry`). Its reports are not kept with the trial (the next
// attempt starts afresh); `reports` and `last_step` say how far it got.
struct TrialAttempt {
  int number = 1;           // 1, 2, ...
  double start_time = 0.0;  // seconds since the Unix epoch
  double end_time = 0.0;
  std::string outcome;  // how it ended: "FAILED", "STOPPED", "STALE"
  std::string reason;   // its exit reason
  int64_t reports = 0;
  int64_t last_step = 0;
};

struct Trial {
  int64_t id = 0;  // 1, 2, ... within its study
  TrialState state = TrialState::kActive;
  Assignment parameters;
  std::vector<Measurement> measurements;         // intermediate, in report order
  std::optional<Measurement> final_measurement;  // set for COMPLETED, STOPPED
  std::string client_id;                         // who was handed the trial ("" if nobody)
  std::string reason;                            // why it was stopped, infeasible or failed
  std::string runner;  // launcher handle of its cluster, e.g. "local:4242" ("" if none)
  // The shell command its cluster was launched with, as `tuner best` shows
  // it to re-run the trial ("" when no launcher ran it).
  std::string command;
  // Which stage proposed its parameters: a designer's ("random", "grid",
  // "sobol", "gp", "hyperband", "pbt"; Designer::origins()), "retry" (a STALE
  // trial's parameters offered again), "user" (CreateTrial, parameters chosen
  // by a client); "" for trials stored before origins were recorded.
  std::string origin;
  // With origin "retry": the STALE trial whose parameters this one runs again
  // (its checkpoint, if any, is where this one continues from); 0 otherwise.
  int64_t retry_of = 0;
  // Population-Based Training's lineage: the member this trial continues
  // from (its checkpoint is restored, its parameters explored), and that
  // member's last reported step when this trial was proposed; 0 for a trial
  // that starts afresh.
  int64_t parent_trial = 0;
  int64_t parent_step = 0;
  double create_time = 0.0;  // seconds since the Unix epoch
  double end_time = 0.0;     // 0 while running
  // Earlier attempts, oldest first; the current one is attempts.size() + 1.
  std::vector<TrialAttempt> attempts;
  int attempt() const { return static_cast<int>(attempts.size()) + 1; }
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_TRIAL_H_
