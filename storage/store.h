// The Store keeps studies, trials and measurements durably.
//
// Thread-safety: every method may be called from any thread at the same time.
// Errors: NotFound (unknown study or trial), AlreadyExists (duplicate study
// name), FailedPrecondition (writing to a trial in a final state, or to a
// store opened read-only), InvalidArgument (a NaN or infinite number, which
// the store cannot keep faithfully; nothing is written), Internal (the
// storage itself failed; the message says what). Finished trials are
// immutable: once a trial is in a final state no method changes it, except
// RestartTrial (a new attempt, which keeps the earlier one in Trial::attempts).
// A method that fails writes nothing: each call is one transaction.
// Times of 0 are filled in with the current time: create_time on
// CreateStudy/AddTrials, end_time when a trial is stored in a final state.
#ifndef TUNER_STORAGE_STORE_H_
#define TUNER_STORAGE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algorithms/trial.h"

namespace tuner {

enum class StudyState { kActive, kCompleted };
const char* ToString(StudyState state);

struct StudyRecord {
  std::string name;
  std::string spec_json;  // canonical JSON (see study/study_json.h)
  StudyState state = StudyState::kActive;
  double create_time = 0.0;  // seconds since the Unix epoch
  // The spec versions after the first (edits applied by `tuner run` of a
  // changed study file): a JSON array of {"version": 2.., "time": seconds,
  // "changes": ["<field>: <what changed>", ...]}, oldest first. Written by
  // CreateStudy and UpdateStudy as given.
  std::string spec_versions_json = "[]";
};

// A `tuner run` working on a study (docs/lifecycle.md, "One owner per study").
struct RunRecord {
  std::string run_id;  // unique per run
  std::string host;
  int64_t pid = 0;
  bool joined = false;  // false: the study's owner
  double start_time = 0.0;
  double heartbeat_time = 0.0;
};

// A file a trial produced (docs/artifacts.md): a checkpoint, a model, fitted
// preprocessing, ... The file stays where the trainer wrote it; the store
// keeps what it is and its hash. One record per (trial, attempt, path).
struct ArtifactRecord {
  // Relative to the output directory of the attempt that wrote it
  // (TUNER_OUTPUT_DIR), or absolute for a file outside it.
  std::string path;
  std::string kind;    // "checkpoint", "model", "preprocessing", or free text
  int64_t step = 0;    // checkpoints: the training step; 0 otherwise
  int64_t size = 0;    // bytes
  std::string sha256;  // lowercase hex
  std::string rank;    // the rank that wrote it, e.g. "chief-0"; "" = unknown
  // The trial attempt that wrote it (1, 2, ...); StudyApi::LogArtifacts
  // fills in 0 as the trial's current attempt.
  int attempt = 1;
  // Checkpoints: what TUNER_RESTORE_FROM names for this step (the file or
  // directory given to save_checkpoint, or "checkpoints/<step>"), on the
  // same base as `path`. "" otherwise.
  std::string checkpoint;
  bool removed = false;      // deleted by checkpoint retention
  double create_time = 0.0;  // seconds since the Unix epoch
};

struct TrialFilter {
  std::vector<TrialState> states;  // empty = all states
  std::string client_id;           // "" = any client
  int64_t after_id = 0;            // only trials with id > after_id (paging)
  int64_t limit = 0;               // 0 = no limit
  bool with_measurements = true;   // false: leave Trial::measurements empty
};

struct TrialCounts {
  int64_t total = 0, active = 0, stopping = 0, completed = 0, stopped = 0, failed = 0,
          infeasible = 0, stale = 0;

  // Adds n (which may be negative) trials in `state`, to total too.
  void Add(TrialState state, int64_t n);
  // ACTIVE + STOPPING: trials a trainer is still working on.
  int64_t running() const { return active + stopping; }
  // COMPLETED + STOPPED + INFEASIBLE: the trials max_trials counts.
  int64_t done() const { return completed + stopped + infeasible; }
};

class Store {
 public:
  virtual ~Store() = default;

  virtual absl::Status CreateStudy(const StudyRecord& study) = 0;
  virtual absl::StatusOr<StudyRecord> GetStudy(const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<StudyRecord>> ListStudies() = 0;  // by name
  // Deletes the study with its trials and measurements.
  virtual absl::Status DeleteStudy(const std::string& name) = 0;
  // Replaces spec and state (used to extend a study's budget).
  virtual absl::Status UpdateStudy(const StudyRecord& study) = 0;

  // Stores new trials in the study, giving them the next ids (1, 2, ...) in
  // order; `trials[i].id` is ignored. Measurements they carry are stored too.
  // Concurrent calls never share an id; each call's ids are consecutive.
  // Returns the trials as stored.
  virtual absl::StatusOr<std::vector<Trial>> AddTrials(const std::string& study,
                                                       std::vector<Trial> trials) = 0;
  virtual absl::StatusOr<Trial> GetTrial(const std::string& study, int64_t trial_id) = 0;
  // Trials by ascending id.
  virtual absl::StatusOr<std::vector<Trial>> ListTrials(const std::string& study,
                                                        const TrialFilter& filter) = 0;
  virtual absl::StatusOr<TrialCounts> CountTrials(const std::string& study) = 0;

  // Appends measurements to a running (ACTIVE or STOPPING) trial.
  // Durable when it returns OK.
  virtual absl::Status AddMeasurements(const std::string& study, int64_t trial_id,
                                       const std::vector<Measurement>& measurements) = 0;
  // The runs recorded for a study, by start time.
  virtual absl::StatusOr<std::vector<RunRecord>> ListRuns(const std::string& study) = 0;
  // Inserts the run, or replaces the one with its run_id.
  virtual absl::Status PutRun(const std::string& study, const RunRecord& run) = 0;
  // Removes the run (OK when there is none).
  virtual absl::Status DeleteRun(const std::string& study, const std::string& run_id) = 0;

  // The study's designer state (Designer::SavedState: work a designer
  // rebuilt after a restart need not do again), "" when none was put.
  // PutDesignerState replaces it; it is deleted with the study.
  virtual absl::StatusOr<std::string> GetDesignerState(const std::string& study) = 0;
  virtual absl::Status PutDesignerState(const std::string& study, const std::string& state) = 0;

  // Appends one measurement like AddMeasurements, kept with the client's
  // report id (non-empty, unique per trial). A report id the trial already
  // has is a retry: nothing is written and the result is false, even when the
  // trial has finished since. True when stored (durable).
  virtual absl::StatusOr<bool> AddReport(const std::string& study, int64_t trial_id,
                                         const Measurement& measurement,
                                         const std::string& report_id) = 0;

  // Writes state, reason, final_measurement and end_time of a running trial
  // (parameters, measurements and client_id are not changed).
  virtual absl::Status UpdateTrial(const std::string& study, const Trial& trial) = 0;

  // Starts the next attempt of a trial, running or final: appends `ended`
  // (the attempt that ended) to its attempts, removes its measurements (the
  // next attempt reports afresh), and makes it ACTIVE for `client_id` with no
  // reason, final measurement, end time or runner. NotFound for an unknown
  // trial.
  virtual absl::Status RestartTrial(const std::string& study, int64_t trial_id,
                                    const TrialAttempt& ended, const std::string& client_id) = 0;
  // Hands an ACTIVE trial that has no client to `client_id`;
  // FailedPrecondition when it is not ACTIVE or has a client already.
  virtual absl::Status AssignTrial(const std::string& study, int64_t trial_id,
                                   const std::string& client_id) = 0;

  // Records the launcher's handle of a running trial's cluster
  // (Trial::runner) and, unless "", the command it was launched with
  // (Trial::command).
  virtual absl::Status SetTrialRunner(const std::string& study, int64_t trial_id,
                                      const std::string& runner,
                                      const std::string& command = "") = 0;

  // Inserts the trial's artifact records, or replaces those with the same
  // (attempt, path). Allowed whatever the trial's state (the runner records
  // files after the trainer finished). NotFound for an unknown trial;
  // InvalidArgument for an empty path or kind, or a negative size or step.
  virtual absl::Status PutArtifacts(const std::string& study, int64_t trial_id,
                                    const std::vector<ArtifactRecord>& artifacts) = 0;
  // The trial's artifact records by (attempt, step, path), removed ones too.
  virtual absl::StatusOr<std::vector<ArtifactRecord>> ListArtifacts(const std::string& study,
                                                                    int64_t trial_id) = 0;

  // A cheap write that changes nothing a reader sees, committed durably:
  // OK when the store can take writes now (open, not read-only, the write
  // lock obtainable within the busy timeout, room on disk); else the error a
  // write would get. For readiness probes (GET /readyz). Unimplemented by
  // default.
  virtual absl::Status ProbeWrite() {
    return absl::UnimplementedError("this store has no write probe");
  }
};

}  // namespace tuner

#endif  // TUNER_STORAGE_STORE_H_
