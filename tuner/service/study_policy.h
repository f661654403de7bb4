// StudyPolicy: the decisions of one study, with no I/O. It owns the study's
// designer (built from the spec; it sees the whole history at every
// suggestion), its early-stopping rule (fed every report of the objective;
// rebuilt by replaying the history in the order things happened), the
// running trials with their leases and stop requests, and which parameters
// are due to run again (STALE trials within the retry budget).
//
// StudyService keeps one per study, calls it under the study's mutex, and
// writes to the Store what it decides. Not thread-safe.
#ifndef TUNER_TUNER_SERVICE_STUDY_POLICY_H_
#define TUNER_TUNER_SERVICE_STUDY_POLICY_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "algorithms/designer.h"
#include "algorithms/stopping_rule.h"
#include "algorithms/warm_start.h"
#include "storage/store.h"
#include "study/study_spec.h"
#include "tuner/service/study_api.h"
#include "tuner/service/study_history.h"

namespace tuner {

struct StudyPolicyOptions {
  // A running trial's lease: one with no report or heartbeat for this long
  // is due to become STALE (ExpiredLeases). 0 = no leases.
  double lease_seconds = 0;
  int max_retries = 2;  // how often a STALE trial's parameters are offered again
  std::function<std::chrono::steady_clock::time_point()> clock = std::chrono::steady_clock::now;
};

class StudyPolicy {
 public:
  // The trials Create needs: the running ones, and with a stopping rule
  // every trial with its measurements (to replay).
  static TrialFilter ReplayFilter(const StudySpec& spec);
  // Builds the designer and the rule of `spec` and replays `trials` (read
  // with ReplayFilter). `stopped`: the study was stopped (no new trials).
  // InvalidArgument when the spec's algorithm or rule options are invalid.
  // `warm_start`: the spec's earlier studies (warm_start_source.h).
  static absl::StatusOr<std::unique_ptr<StudyPolicy>> Create(
      StudySpec spec, bool stopped, const std::vector<Trial>& trials, StudyPolicyOptions options,
      std::vector<PriorStudy> warm_start = {});

  const StudySpec& spec() const { return spec_; }
  void set_max_trials(int64_t max_trials) { spec_.max_trials = max_trials; }
  void set_max_retries(int max_retries) { spec_.trainer.max_retries = max_retries; }
  void set_stopped(bool stopped) { stopped_ = stopped; }
  // The trials as last refreshed (the designer's view).
  StudyHistory& history() { return history_; }
  // Stopped, or the budget is spent (as of the last history refresh).
  bool Done() const;

  // Up to `want` assignments for new trials, each with its origin
  // (Trial::origin): the parameters of STALE trials first (within the retry
  // budget, "retry"), then the designer's suggestions. Fewer (or none) when
  // the designer has exhausted the space.
  struct Proposal {
    Assignment parameters;
    std::string origin;
    Designer::Lineage lineage;  // PBT: the member it continues
    int64_t retry_of = 0;       // origin "retry": the STALE trial it runs again
  };
  std::vector<Proposal> NextAssignments(int want);

  // The designer's saved work (Designer::SavedState), kept in the Store so
  // that the policy rebuilt after a restart starts from it: handed to the
  // new designer, and the state to put when it changed since the last
  // restore or call (nullopt otherwise).
  void RestoreDesignerState(std::string_view state);
  std::optional<std::string> DesignerStateToSave();

  // A new trial (or a new attempt of one) is running, with a fresh lease.
  void Started(int64_t trial_id);

  // Retries (trainer.max_retries). Whether a running trial whose cluster
  // failed (`outcome` kFailed and retriable) runs again as its next attempt
  // rather than becoming FAILED: it is ACTIVE (not asked to stop) and has
  // used fewer automatic retries than the spec allows since it was last
  // requeued by hand.
  bool ShouldRetry(const Trial& trial, const TrialOutcome& outcome) const;
  // The record of the attempt that just ended (`outcome`: "FAILED", ...).
  static TrialAttempt EndedAttempt(const Trial& trial, const std::string& outcome,
                                   const std::string& reason, double now);
  // Whether `tuner retry` may requeue the trial: FAILED, or STOPPED/STALE
  // because its run was interrupted. The reason why not otherwise.
  static std::optional<std::string> WhyNotRequeue(const Trial& trial);
  // Trials requeued by hand that no client has taken yet (ACTIVE, no client,
  // with earlier attempts), by id, as of the last history refresh.
  std::vector<int64_t> Queued() const;
  static bool IsQueued(const Trial& trial);
  // The reason prefix of an attempt requeued by hand.
  static constexpr char kRequeuedByHand[] = "requeued by hand: ";
  bool IsRunning(int64_t trial_id) const { return running_.contains(trial_id); }
  // Renews the lease of a running trial and says whether it should stop (it
  // was asked to); nullopt when the trial is not running.
  std::optional<StopDecision> Renew(int64_t trial_id);
  // Feeds a report's objective to the stopping rule; the reason to stop
  // ("early stopping (median): ...") when the rule says so. Nothing when
  // there is no rule, the report lacks the objective or the trial is not
  // running.
  std::optional<std::string> Observe(int64_t trial_id, const Measurement& measurement);
  bool has_rule() const { return rule_ != nullptr; }
  // A stop was requested (StopTrial, StopStudy or the rule).
  void MarkStopping(int64_t trial_id, const std::string& reason);
  // The trial is final: no longer running, and the rule learns its outcome.
  void Finished(int64_t trial_id, TrialState state);
  // Running trials, by id; those not yet asked to stop; those whose lease
  // has ended.
  std::vector<int64_t> Running() const;
  std::vector<int64_t> RunningNotStopping() const;
  std::vector<int64_t> ExpiredLeases() const;

 private:
  struct RunningTrial {
    TrialState state = TrialState::kActive;
    std::string reason;
    std::chrono::steady_clock::time_point lease_deadline;
  };

  StudyPolicy(StudySpec spec, StudyPolicyOptions options);
  std::chrono::steady_clock::time_point LeaseDeadline() const;
  // STALE trials whose parameters are due to be offered again, oldest first
  // (pointers into history_, valid until it changes).
  std::vector<const Trial*> RetriesDue() const;

  StudySpec spec_;
  const StudyPolicyOptions options_;
  bool stopped_ = false;
  std::unique_ptr<Designer> designer_;
  uint64_t saved_state_version_ = 0;    // designer_->state_version() when last saved
  std::unique_ptr<StoppingRule> rule_;  // nullptr: no early stopping
  std::map<int64_t, RunningTrial> running_;
  StudyHistory history_;
};

// Whether the study's budget is spent: done (completed, stopped, infeasible)
// trials reached max_trials, or failed trials reached max_failed_trials (0:
// max_trials).
bool BudgetSpent(const StudySpec& spec, const TrialCounts& counts);

}  // namespace tuner

#endif  // TUNER_TUNER_SERVICE_STUDY_POLICY_H_
