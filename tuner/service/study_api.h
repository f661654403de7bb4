// StudyApi: the one study API in domain types. Everything above the service
// talks to a study through it: the orchestrator of `tuner run`, the `tuner`
// commands and the HTTP API. Two implementations:
//   - in process: StudyService (tuner/service/study_service.h) over a Store;
//   - remote: ConnectStudyApi (tuner/server/remote_study_api.h) over the C++
//     client, for `--server ADDR`.
// Both return the same canonical absl codes (NotFound, AlreadyExists,
// InvalidArgument, FailedPrecondition, Unavailable for an unreachable
// server), so callers handle one set of errors.
//
// Thread-safety: StudyService's methods may be called concurrently; the
// remote implementation is not thread-safe (one per thread).
#ifndef TUNER_TUNER_SERVICE_STUDY_API_H_
#define TUNER_TUNER_SERVICE_STUDY_API_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algorithms/trial.h"
#include "storage/store.h"
#include "study/study_spec.h"

namespace tuner {

// A stored study with its spec parsed (once per study: implementations keep
// the parsed form and share it).
struct Study : StudyRecord {
  std::shared_ptr<const StudySpec> spec;  // never null in a returned Study
};

// How a trainer ends a trial.
struct TrialOutcome {
  // kInterrupted: the run that launched it was stopped (Ctrl-C, SIGTERM,
  // SIGHUP): the trial becomes STALE with the reason (its history keeps the
  // interruption), does not count toward max_trials, and its parameters are
  // offered again like those of a trial whose lease expired.
  enum class Kind { kCompleted, kInfeasible, kFailed, kInterrupted };
  Kind kind = Kind::kCompleted;
  // kCompleted: final metrics; when empty, the last reported measurement.
  Measurement final_measurement;
  std::string reason;  // kInfeasible, kFailed, kInterrupted
  // kFailed: the failure is the trial's cluster's (the run that launched it
  // says so). With retries left (trainer.max_retries) the trial is not
  // FAILED: it stays ACTIVE, for the same client, as its next attempt.
  bool retriable = false;

  static TrialOutcome Completed(Measurement final_measurement) {
    TrialOutcome o;
    o.final_measurement = std::move(final_measurement);
    return o;
  }
  static TrialOutcome Infeasible(std::string reason) { return {Kind::kInfeasible, {}, reason}; }
  static TrialOutcome Failed(std::string message) { return {Kind::kFailed, {}, message}; }
  static TrialOutcome Interrupted(std::string reason) { return {Kind::kInterrupted, {}, reason}; }
  static TrialOutcome ClusterFailed(std::string message) {
    return {Kind::kFailed, {}, message, true};
  }
};

struct StopDecision {
  bool stop = false;
  std::string reason;
};

class StudyApi {
 public:
  virtual ~StudyApi() = default;

  // AlreadyExists for a duplicate name unless `resume`: then the existing
  // study is returned; when its spec differs and the edit is safe
  // (study/spec_edit.h) the new spec is applied as the next spec version
  // (StudyRecord::spec_versions_json) and the study's designer and stopping
  // rule are rebuilt from the whole history (raising max_trials reopens a
  // finished study). An edit with a refused change is FailedPrecondition
  // listing the refused changes.
  virtual absl::StatusOr<Study> CreateStudy(std::string_view spec_json, bool resume = false) = 0;
  virtual absl::StatusOr<Study> GetStudy(const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<Study>> ListStudies() = 0;  // by name
  // Whether the store takes writes now (Store::ProbeWrite: a cheap write
  // that changes nothing): what GET /readyz reports. Unimplemented where
  // the API cannot tell (a remote server).
  virtual absl::Status ProbeWrite() {
    return absl::UnimplementedError("no write probe through this API");
  }
  virtual absl::Status DeleteStudy(const std::string& name) = 0;
  // Stops the whole study: no new trials (SuggestTrials says study_done),
  // and every running trial becomes STOPPING with `reason` ("" = "study
  // stopped"), so the run that launched it stops its cluster and it ends
  // STOPPED. The study is COMPLETED until it is run again: CreateStudy with
  // resume reopens it. Idempotent.
  virtual absl::StatusOr<Study> StopStudy(const std::string& name, const std::string& reason) = 0;

  struct Suggestion {
    std::vector<Trial> trials;
    bool study_done = false;  // budget spent or failure limit reached
  };
  // Idempotent per client: a client with ACTIVE trials gets those back
  // (at most `count`) instead of new ones.
  // `max_running` > 0: new trials only while fewer than that many of the
  // study's trials run (decided with the suggestion, atomically).
  virtual absl::StatusOr<Suggestion> SuggestTrials(const std::string& study, int count,
                                                   const std::string& client_id,
                                                   int max_running = 0) = 0;
  // A user-supplied assignment, validated against the search space.
  virtual absl::StatusOr<Trial> CreateTrial(const std::string& study, const Assignment& parameters,
                                            const std::string& client_id) = 0;
  virtual absl::StatusOr<Trial> GetTrial(const std::string& study, int64_t trial_id) = 0;

  // Stores an intermediate measurement (durable when this returns) and says
  // whether the trial should stop. `report_id` ("" = none) makes a retry
  // safe: a report whose id the trial already has is answered again (the
  // decision now) without a second row, even if the trial finished since.
  virtual absl::StatusOr<StopDecision> ReportMeasurement(const std::string& study, int64_t trial_id,
                                                         const Measurement& measurement,
                                                         const std::string& report_id = "") = 0;
  virtual absl::StatusOr<Trial> CompleteTrial(const std::string& study, int64_t trial_id,
                                              const TrialOutcome& outcome) = 0;
  // Asks a running trial to stop: it becomes STOPPING, later reports answer
  // stop, and completing it makes it STOPPED. Idempotent.
  virtual absl::StatusOr<Trial> StopTrial(const std::string& study, int64_t trial_id,
                                          const std::string& reason) = 0;
  // Renews the lease of a running trial and says whether it should stop.
  virtual absl::StatusOr<StopDecision> Heartbeat(const std::string& study, int64_t trial_id) = 0;
  // Records the launcher handle of a running trial's cluster and, unless "",
  // the shell command it was launched with (Trial::command).
  virtual absl::StatusOr<Trial> SetTrialRunner(const std::string& study, int64_t trial_id,
                                               const std::string& runner,
                                               const std::string& command = "") = 0;

  // Requeues trials by hand (`tuner retry`): FAILED ones, and STOPPED or
  // STALE ones that were interrupted and will not run again by themselves.
  // Each becomes ACTIVE with no client as its next attempt (same id and
  // parameters; the earlier attempt is kept in Trial::attempts), and the next
  // SuggestTrials of any client hands it out first. `trial_ids` empty: every
  // FAILED trial. Reopens a COMPLETED study whose budget is not spent.
  // FailedPrecondition naming the trial for one that cannot be requeued
  // (nothing is changed then).
  virtual absl::StatusOr<std::vector<Trial>> RetryTrials(const std::string& study,
                                                         const std::vector<int64_t>& trial_ids) = 0;

  // One owner per study (docs/lifecycle.md): a `tuner run` claims its study,
  // and renews the claim by claiming again with the same run id. Granted as
  // the owner when no live run owns the study; with `join`, granted beside
  // a live owner; otherwise refused with the owner in `held_by`. A claim
  // not renewed within the server's run lease expires.
  struct RunClaim {
    std::string run_id;  // unique per run
    std::string host;
    int64_t pid = 0;
    bool join = false;
    std::string take_over;  // run id of an owner known to be dead: dropped first
  };
  struct ClaimResult {
    bool granted = false;
    bool owner = false;  // granted as the owner
    RunRecord held_by;   // not granted: the live owner
  };
  virtual absl::StatusOr<ClaimResult> ClaimStudy(const std::string& study,
                                                 const RunClaim& claim) = 0;
  // Ends a claim (OK when there is none).
  virtual absl::Status ReleaseStudy(const std::string& study, const std::string& run_id) = 0;

  // Artifacts (docs/artifacts.md). Records the trial's files (any state of
  // the trial; a record with attempt 0 is the trial's current attempt), then
  // applies checkpoint retention (trainer.keep_checkpoints): the records of
  // older checkpoint steps are marked removed, and returned, so that the
  // caller, who can reach the files, deletes them. InvalidArgument for a
  // record with a bad field (nothing is written), NotFound for an unknown
  // trial.
  virtual absl::StatusOr<std::vector<ArtifactRecord>> LogArtifacts(
      const std::string& study, int64_t trial_id, std::vector<ArtifactRecord> artifacts) = 0;
  // The trial's records by (attempt, step, path), removed ones too.
  virtual absl::StatusOr<std::vector<ArtifactRecord>> ListArtifacts(const std::string& study,
                                                                    int64_t trial_id) = 0;

  // Trials by ascending id.
  virtual absl::StatusOr<std::vector<Trial>> ListTrials(const std::string& study,
                                                        const TrialFilter& filter) = 0;
  // The best COMPLETED trial for one objective (ties: lowest id); the Pareto
  // front, by id, for several. Empty when nothing has completed.
  virtual absl::StatusOr<std::vector<Trial>> GetBestTrials(const std::string& study) = 0;
};

}  // namespace tuner

#endif  // TUNER_TUNER_SERVICE_STUDY_API_H_
