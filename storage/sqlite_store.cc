// SqliteStore: the Store on one SQLite connection.
//
// Schema: see schema.cc (studies, trials, measurements, schema_version).
// Connection settings, applied on open:
// - busy_timeout = 5000 ms: another process holding the write lock makes
//   writers wait rather than fail at once.
// - journal_mode = WAL: readers (e.g. `tuner trials` on the same file) do not
//   block the server's writes, and vice versa.
// - synchronous = FULL: in WAL mode NORMAL may lose the last commits on power
//   loss; AddMeasurements promises durability when it returns OK, so every
//   commit syncs the WAL. Measurements are batched per call, which keeps the
//   cost to one fsync per report.
//   Concurrent AddMeasurements calls share one commit (group commit): each
//   still returns only once its own rows are durable.
// - foreign_keys = ON: deleting a study cascades to its trials and their
//   measurements.
//
// Concurrency: `mu_` guards `db_`, i.e. the connection and its statement
// cache; every public method holds it for its whole duration. Multi-statement
// writes run in BEGIN IMMEDIATE transactions, which also makes them atomic
// with respect to other connections (other processes) on the same file; reads
// of several statements run in one read transaction (one snapshot).
#include "storage/sqlite_store.h"

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "storage/json_codec.h"
#include "storage/schema.h"
#include "storage/sqlite_db.h"
#include "storage/sqlite_file.h"

namespace tuner {
namespace {

#define TUNER_STORE_RETURN_IF_ERROR(expr)                             \
  do {                                                                \
    if (absl::Status _status = (expr); !_status.ok()) return _status; \
  } while (0)

#define TUNER_STORE_CONCAT_INNER(a, b) a##b
#define TUNER_STORE_CONCAT(a, b) TUNER_STORE_CONCAT_INNER(a, b)
#define TUNER_STORE_ASSIGN_OR_RETURN(lhs, expr) \
  TUNER_STORE_ASSIGN_OR_RETURN_IMPL(TUNER_STORE_CONCAT(_status_or_, __LINE__), lhs, expr)
#define TUNER_STORE_ASSIGN_OR_RETURN_IMPL(var, lhs, expr) \
  auto var = (expr);                                      \
  if (!var.ok()) return var.status();                     \
  lhs = *std::move(var)

constexpr char kTrialColumns[] =
    "trial_id, state, parameters_json, client_id, reason, final_measurement_json, create_time, "
    "end_time, runner, command, attempts_json, origin, parent_trial, parent_step, retry_of";

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

absl::StatusOr<TrialState> ParseTrialState(absl::string_view text) {
  for (TrialState state :
       {TrialState::kActive, TrialState::kStopping, TrialState::kCompleted, TrialState::kStopped,
        TrialState::kFailed, TrialState::kInfeasible, TrialState::kStale}) {
    if (text == ToString(state)) return state;
  }
  return absl::InternalError(absl::StrCat("corrupt trial state in store: \"", text, "\""));
}

absl::StatusOr<StudyState> ParseStudyState(absl::string_view text) {
  for (StudyState state : {StudyState::kActive, StudyState::kCompleted}) {
    if (text == ToString(state)) return state;
  }
  return absl::InternalError(absl::StrCat("corrupt study state in store: \"", text, "\""));
}

absl::Status StudyNotFound(absl::string_view study) {
  return absl::NotFoundError(absl::StrCat("study \"", study, "\" not found"));
}

absl::Status TrialNotFound(absl::string_view study, int64_t trial_id) {
  return absl::NotFoundError(
      absl::StrCat("trial ", trial_id, " of study \"", study, "\" not found"));
}

absl::Status CheckFiniteTime(double time, absl::string_view what) {
  if (std::isfinite(time)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what, " is not finite"));
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, bool read_only, std::unique_ptr<SqliteDb> db)
      : path_(std::move(path)), read_only_(read_only), db_(std::move(db)) {}

  absl::Status CreateStudy(const StudyRecord& study) override;
  absl::StatusOr<StudyRecord> GetStudy(const std::string& name) override;
  absl::StatusOr<std::vector<StudyRecord>> ListStudies() override;
  absl::Status DeleteStudy(const std::string& name) override;
  absl::Status UpdateStudy(const StudyRecord& study) override;

  absl::StatusOr<std::vector<Trial>> AddTrials(const std::string& study,
                                               std::vector<Trial> trials) override;
  absl::StatusOr<Trial> GetTrial(const std::string& study, int64_t trial_id) override;
  absl::StatusOr<std::vector<Trial>> ListTrials(const std::string& study,
                                                const TrialFilter& filter) override;
  absl::StatusOr<TrialCounts> CountTrials(const std::string& study) override;
  absl::Status AddMeasurements(const std::string& study, int64_t trial_id,
                               const std::vector<Measurement>& measurements) override;
  absl::StatusOr<bool> AddReport(const std::string& study, int64_t trial_id,
                                 const Measurement& measurement,
                                 const std::string& report_id) override;
  absl::StatusOr<std::vector<RunRecord>> ListRuns(const std::string& study) override;
  absl::Status PutRun(const std::string& study, const RunRecord& run) override;
  absl::Status DeleteRun(const std::string& study, const std::string& run_id) override;
  absl::StatusOr<std::string> GetDesignerState(const std::string& study) override;
  absl::Status PutDesignerState(const std::string& study, const std::string& state) override;
  absl::Status UpdateTrial(const std::string& study, const Trial& trial) override;
  absl::Status SetTrialRunner(const std::string& study, int64_t trial_id, const std::string& runner,
                              const std::string& command = "") override;
  absl::Status RestartTrial(const std::string& study, int64_t trial_id, const TrialAttempt& ended,
                            const std::string& client_id) override;
  absl::Status AssignTrial(const std::string& study, int64_t trial_id,
                           const std::string& client_id) override;
  absl::Status PutArtifacts(const std::string& study, int64_t trial_id,
                            const std::vector<ArtifactRecord>& artifacts) override;
  absl::StatusOr<std::vector<ArtifactRecord>> ListArtifacts(const std::string& study,
                                                            int64_t trial_id) override;

 private:
  // NotFound unless the trial exists.
  absl::Status CheckTrialExists(int64_t study_row, const std::string& study, int64_t trial_id);
  // The helpers below expect mu_ to be held.
  absl::Status CheckWritable(absl::string_view operation) const;
  absl::Status ProbeWrite() override;
  absl::StatusOr<int64_t> StudyRowId(const std::string& study);
  // FailedPrecondition unless the trial exists and is running.
  absl::Status CheckRunning(int64_t study_row, const std::string& study, int64_t trial_id);
  absl::Status InsertMeasurements(int64_t study_row, int64_t trial_id,
                                  const std::vector<Measurement>& measurements,
                                  const std::string& report_id = "");
  // Whether the trial already has a measurement with this report id.
  absl::StatusOr<bool> HasReport(int64_t study_row, int64_t trial_id, const std::string& report_id);
  absl::Status LoadMeasurements(int64_t study_row, Trial& trial);
  // Reads the kTrialColumns of the current row (no measurements).
  static absl::StatusOr<Trial> TrialFromRow(const Statement& row);
  static absl::StatusOr<StudyRecord> StudyFromRow(const Statement& row);

  // One AddMeasurements or AddReport call waiting for its group commit.
  struct PendingWrite {
    const std::string* study;
    int64_t trial_id;
    const std::vector<Measurement>* measurements;
    const std::string* report_id;  // "" = none
    absl::Status status;
    bool retry = false;  // the report id was stored already: nothing written
    bool done = false;   // guarded by group_mu_
  };
  // Queues `write` for the next group commit and waits for its result.
  absl::Status GroupWrite(PendingWrite& write);
  // Writes the batch in one transaction (takes mu_), setting each status.
  void WriteGroup(const std::vector<PendingWrite*>& batch);

  const std::string path_;
  const bool read_only_;
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;  // guarded by mu_, together with its statement cache

  std::mutex group_mu_;  // guards the three members below and PendingWrite::done
  std::condition_variable group_cv_;
  std::vector<PendingWrite*> group_queue_;
  bool group_leader_ = false;  // a caller is writing a batch
};

absl::Status SqliteStore::CheckWritable(absl::string_view operation) const {
  if (!read_only_) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(operation, ": the store \"", path_, "\" is opened read-only"));
}

absl::Status SqliteStore::ProbeWrite() {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_RETURN_IF_ERROR(CheckWritable("write probe"));
  // Rewrites the schema version's row with its own value: a real page write
  // (WAL append and fsync) under the write lock, seen by no reader.
  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn,
                               Transaction::Begin(*db_, Transaction::Kind::kWrite));
  TUNER_STORE_RETURN_IF_ERROR(db_->Exec("UPDATE schema_version SET version = version"));
  return txn.Commit();
}

absl::StatusOr<int64_t> SqliteStore::StudyRowId(const std::string& study) {
  TUNER_STORE_ASSIGN_OR_RETURN(Statement select,
                               db_->Prepare("SELECT id FROM studies WHERE name = ?"));
  TUNER_STORE_RETURN_IF_ERROR(select.BindAll(study));
  TUNER_STORE_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return StudyNotFound(study);
  return select.Int(0);
}

absl::Status SqliteStore::CheckRunning(int64_t study_row, const std::string& study,
                                       int64_t trial_id) {
  TUNER_STORE_ASSIGN_OR_RETURN(
      Statement select,
      db_->Prepare("SELECT state FROM trials WHERE study_id = ? AND trial_id = ?"));
  TUNER_STORE_RETURN_IF_ERROR(select.BindAll(study_row, trial_id));
  TUNER_STORE_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return TrialNotFound(study, trial_id);
  TUNER_STORE_ASSIGN_OR_RETURN(TrialState state, ParseTrialState(select.Text(0)));
  if (IsFinal(state)) {
    return absl::FailedPreconditionError(absl::StrCat("trial ", trial_id, " is ", ToString(state),
                                                      "; finished trials are immutable"));
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::InsertMeasurements(int64_t study_row, int64_t trial_id,
                                             const std::vector<Measurement>& measurements,
                                             const std::string& report_id) {
  for (const Measurement& measurement : measurements) {
    TUNER_STORE_RETURN_IF_ERROR(CheckFinite(measurement));
    TUNER_STORE_ASSIGN_OR_RETURN(std::string metrics, EncodeMetrics(measurement.metrics));
    TUNER_STORE_ASSIGN_OR_RETURN(
        Statement insert,
        db_->Prepare("INSERT INTO measurements (study_id, trial_id, step, elapsed_secs, "
                     "metrics_json, report_id) VALUES (?, ?, ?, ?, ?, NULLIF(?, '')) "
                     "ON CONFLICT DO NOTHING"));
    TUNER_STORE_RETURN_IF_ERROR(insert.BindAll(study_row, trial_id, measurement.step,
                                               measurement.elapsed_secs, metrics, report_id));
    TUNER_STORE_RETURN_IF_ERROR(insert.Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> SqliteStore::HasReport(int64_t study_row, int64_t trial_id,
                                            const std::string& report_id) {
  TUNER_STORE_ASSIGN_OR_RETURN(Statement select,
                               db_->Prepare("SELECT 1 FROM measurements WHERE study_id = ? AND "
                                            "trial_id = ? AND report_id = ?"));
  TUNER_STORE_RETURN_IF_ERROR(select.BindAll(study_row, trial_id, report_id));
  return select.Step();
}

absl::Status SqliteStore::LoadMeasurements(int64_t study_row, Trial& trial) {
  TUNER_STORE_ASSIGN_OR_RETURN(
      Statement select, db_->Prepare("SELECT step, elapsed_secs, metrics_json FROM measurements "
                                     "WHERE study_id = ? AND trial_id = ? ORDER BY id"));
  TUNER_STORE_RETURN_IF_ERROR(select.BindAll(study_row, trial.id));
  while (true) {
    TUNER_STORE_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    Measurement& measurement = trial.measurements.emplace_back();
    measurement.step = select.Int(0);
    measurement.elapsed_secs = select.Double(1);
    TUNER_STORE_ASSIGN_OR_RETURN(measurement.metrics, DecodeMetrics(select.Text(2)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Trial> SqliteStore::TrialFromRow(const Statement& row) {
  Trial trial;
  trial.id = row.Int(0);
  TUNER_STORE_ASSIGN_OR_RETURN(trial.state, ParseTrialState(row.Text(1)));
  TUNER_STORE_ASSIGN_OR_RETURN(trial.parameters, DecodeAssignment(row.Text(2)));
  trial.client_id = row.Text(3);
  trial.reason = row.Text(4);
  if (!row.IsNull(5)) {
    TUNER_STORE_ASSIGN_OR_RETURN(trial.final_measurement, DecodeMeasurement(row.Text(5)));
  }
  trial.create_time = row.Double(6);
  trial.end_time = row.Double(7);
  trial.runner = row.Text(8);
  trial.command = row.Text(9);
  TUNER_STORE_ASSIGN_OR_RETURN(trial.attempts, DecodeAttempts(row.Text(10)));
  trial.origin = row.Text(11);
  trial.parent_trial = row.Int(12);
  trial.parent_step = row.Int(13);
  trial.retry_of = row.Int(14);
  return trial;
}

absl::StatusOr<StudyRecord> SqliteStore::StudyFromRow(const Statement& row) {
  StudyRecord study;
  study.name = row.Text(0);
  study.spec_json = row.Text(1);
  TUNER_STORE_ASSIGN_OR_RETURN(study.state, ParseStudyState(row.Text(2)));
  study.create_time = row.Double(3);
  study.spec_versions_json = row.Text(4);
  return study;
}

absl::Status SqliteStore::CreateStudy(const StudyRecord& study) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_RETURN_IF_ERROR(CheckWritable("CreateStudy"));
  if (study.name.empty()) return absl::InvalidArgumentError("a study needs a non-empty name");
  TUNER_STORE_RETURN_IF_ERROR(CheckFiniteTime(study.create_time, "study create_time"));
  TUNER_STORE_ASSIGN_OR_RETURN(
      Statement insert,
      db_->Prepare("INSERT INTO studies (name, spec_json, state, create_time, spec_versions_json) "
                   "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING"));
  TUNER_STORE_RETURN_IF_ERROR(insert.BindAll(study.name, study.spec_json, ToString(study.state),
                                             study.create_time == 0 ? Now() : study.create_time,
                                             study.spec_versions_json));
  TUNER_STORE_RETURN_IF_ERROR(insert.Run());
  if (insert.Changes() == 0) {
    return absl::AlreadyExistsError(absl::StrCat("study \"", study.name, "\" already exists"));
  }
  return absl::OkStatus();
}

absl::StatusOr<StudyRecord> SqliteStore::GetStudy(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_ASSIGN_OR_RETURN(Statement select,
                               db_->Prepare("SELECT name, spec_json, state, create_time, "
                                            "spec_versions_json FROM studies WHERE name = ?"));
  TUNER_STORE_RETURN_IF_ERROR(select.BindAll(name));
  TUNER_STORE_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return StudyNotFound(name);
  return StudyFromRow(select);
}

absl::StatusOr<std::vector<StudyRecord>> SqliteStore::ListStudies() {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_ASSIGN_OR_RETURN(Statement select,
                               db_->Prepare("SELECT name, spec_json, state, create_time, "
                                            "spec_versions_json FROM studies ORDER BY name"));
  std::vector<StudyRecord> studies;
  while (true) {
    TUNER_STORE_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    TUNER_STORE_ASSIGN_OR_RETURN(StudyRecord study, StudyFromRow(select));
    studies.push_back(std::move(study));
  }
  return studies;
}

absl::Status SqliteStore::DeleteStudy(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_RETURN_IF_ERROR(CheckWritable("DeleteStudy"));
  // One statement: the cascade to trials and measurements is atomic with it.
  TUNER_STORE_ASSIGN_OR_RETURN(Statement del, db_->Prepare("DELETE FROM studies WHERE name = ?"));
  TUNER_STORE_RETURN_IF_ERROR(del.BindAll(name));
  TUNER_STORE_RETURN_IF_ERROR(del.Run());
  if (del.Changes() == 0) return StudyNotFound(name);
  return absl::OkStatus();
}

absl::Status SqliteStore::UpdateStudy(const StudyRecord& study) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_RETURN_IF_ERROR(CheckWritable("UpdateStudy"));
  TUNER_STORE_ASSIGN_OR_RETURN(
      Statement update,
      db_->Prepare(
          "UPDATE studies SET spec_json = ?, state = ?, spec_versions_json = ? WHERE name = ?"));
  TUNER_STORE_RETURN_IF_ERROR(
      update.BindAll(study.spec_json, ToString(study.state), study.spec_versions_json, study.name));
  TUNER_STORE_RETURN_IF_ERROR(update.Run());
  if (update.Changes() == 0) return StudyNotFound(study.name);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Trial>> SqliteStore::AddTrials(const std::string& study,
                                                          std::vector<Trial> trials) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_RETURN_IF_ERROR(CheckWritable("AddTrials"));
  // Encode first: an invalid trial fails the call before anything is written.
  struct Encoded {
    std::string parameters;
    std::string attempts;
    std::optional<std::string> final_measurement;
  };
  std::vector<Encoded> encoded(trials.size());
  const double now = Now();
  for (size_t i = 0; i < trials.size(); ++i) {
    Trial& trial = trials[i];
    TUNER_STORE_ASSIGN_OR_RETURN(encoded[i].parameters, EncodeAssignment(trial.parameters));
    TUNER_STORE_ASSIGN_OR_RETURN(encoded[i].attempts, EncodeAttempts(trial.attempts));
    if (trial.final_measurement) {
      TUNER_STORE_ASSIGN_OR_RETURN(encoded[i].final_measurement,
                                   EncodeMeasurement(*trial.final_measurement));
    }
    for (const Measurement& measurement : trial.measurements) {
      TUNER_STORE_RETURN_IF_ERROR(CheckFinite(measurement));
    }
    TUNER_STORE_RETURN_IF_ERROR(CheckFiniteTime(trial.create_time, "trial create_time"));
    TUNER_STORE_RETURN_IF_ERROR(CheckFiniteTime(trial.end_time, "trial end_time"));
    if (trial.create_time == 0) trial.create_time = now;
    if (trial.end_time == 0 && IsFinal(trial.state)) trial.end_time = now;
  }

  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn,
                               Transaction::Begin(*db_, Transaction::Kind::kWrite));
  TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(study));
  int64_t last_id = 0;
  {
    TUNER_STORE_ASSIGN_OR_RETURN(
        Statement select,
        db_->Prepare("SELECT COALESCE(MAX(trial_id), 0) FROM trials WHERE study_id = ?"));
    TUNER_STORE_RETURN_IF_ERROR(select.BindAll(study_row));
    TUNER_STORE_ASSIGN_OR_RETURN(bool row, select.Step());
    if (row) last_id = select.Int(0);
  }
  for (size_t i = 0; i < trials.size(); ++i) {
    Trial& trial = trials[i];
    trial.id = ++last_id;
    {
      TUNER_STORE_ASSIGN_OR_RETURN(
          Statement insert,
          db_->Prepare(absl::StrCat("INSERT INTO trials (study_id, ", kTrialColumns,
                                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
      TUNER_STORE_RETURN_IF_ERROR(insert.BindAll(study_row, trial.id, ToString(trial.state),
                                                 encoded[i].parameters, trial.client_id,
                                                 trial.reason));
      if (encoded[i].final_measurement) {
        TUNER_STORE_RETURN_IF_ERROR(insert.Bind(7, *encoded[i].final_measurement));
      } else {
        TUNER_STORE_RETURN_IF_ERROR(insert.BindNull(7));
      }
      TUNER_STORE_RETURN_IF_ERROR(insert.Bind(8, trial.create_time));
      TUNER_STORE_RETURN_IF_ERROR(insert.Bind(9, trial.end_time));
      TUNER_STORE_RETURN_IF_ERROR(insert.Bind(10, trial.runner));
      TUNER_STORE_RETURN_IF_ERROR(insert.Bind(11, trial.command));
      TUNER_STORE_RETURN_IF_ERROR(insert.Bind(12, encoded[i].attempts));
      TUNER_STORE_RETURN_IF_ERROR(insert.Bind(13, trial.origin));
      TUNER_STORE_RETURN_IF_ERROR(insert.Bind(14, trial.parent_trial));
      TUNER_STORE_RETURN_IF_ERROR(insert.Bind(15, trial.parent_step));
      TUNER_STORE_RETURN_IF_ERROR(insert.Bind(16, trial.retry_of));
      TUNER_STORE_RETURN_IF_ERROR(insert.Run());
    }
    TUNER_STORE_RETURN_IF_ERROR(InsertMeasurements(study_row, trial.id, trial.measurements));
  }
  TUNER_STORE_RETURN_IF_ERROR(txn.Commit());
  return trials;
}

absl::StatusOr<Trial> SqliteStore::GetTrial(const std::string& study, int64_t trial_id) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_, Transaction::Kind::kRead));
  TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(study));
  Trial trial;
  {
    TUNER_STORE_ASSIGN_OR_RETURN(Statement select,
                                 db_->Prepare(absl::StrCat("SELECT ", kTrialColumns,
                                                           " FROM trials WHERE study_id = ? AND "
                                                           "trial_id = ?")));
    TUNER_STORE_RETURN_IF_ERROR(select.BindAll(study_row, trial_id));
    TUNER_STORE_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return TrialNotFound(study, trial_id);
    TUNER_STORE_ASSIGN_OR_RETURN(trial, TrialFromRow(select));
  }
  TUNER_STORE_RETURN_IF_ERROR(LoadMeasurements(study_row, trial));
  TUNER_STORE_RETURN_IF_ERROR(txn.Commit());
  return trial;
}

absl::StatusOr<std::vector<Trial>> SqliteStore::ListTrials(const std::string& study,
                                                           const TrialFilter& filter) {
  if (filter.limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("trial filter limit must be >= 0, got ", filter.limit));
  }
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_, Transaction::Kind::kRead));
  TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(study));

  // The text depends only on the number of states and on which filters are
  // set, so the cache holds a few dozen variants at most.
  // SQLite's planner prefers the primary key's (study_id, trial_id > ?) range
  // for every variant, which reads the whole study to find its few running
  // trials. When the filter asks for running states only (few rows), name the
  // index that fits instead and sort what it returns; otherwise (e.g. paging
  // through COMPLETED trials) the key range, which stops at the LIMIT, is right.
  bool running_only = !filter.states.empty();
  for (TrialState state : filter.states) running_only &= !IsFinal(state);
  const char* index = !running_only               ? ""
                      : !filter.client_id.empty() ? " INDEXED BY trials_by_client"
                                                  : " INDEXED BY trials_by_state";
  std::string sql = absl::StrCat("SELECT ", kTrialColumns, " FROM trials", index,
                                 " WHERE study_id = ? AND trial_id > ?");
  if (!filter.states.empty()) {
    std::vector<absl::string_view> marks(filter.states.size(), "?");
    absl::StrAppend(&sql, " AND state IN (", absl::StrJoin(marks, ", "), ")");
  }
  if (!filter.client_id.empty()) absl::StrAppend(&sql, " AND client_id = ?");
  absl::StrAppend(&sql, " ORDER BY trial_id");
  if (filter.limit > 0) absl::StrAppend(&sql, " LIMIT ?");

  std::vector<Trial> trials;
  {
    TUNER_STORE_ASSIGN_OR_RETURN(Statement select, db_->Prepare(sql));
    int index = 0;
    TUNER_STORE_RETURN_IF_ERROR(select.Bind(++index, study_row));
    TUNER_STORE_RETURN_IF_ERROR(select.Bind(++index, filter.after_id));
    for (TrialState state : filter.states) {
      TUNER_STORE_RETURN_IF_ERROR(select.Bind(++index, ToString(state)));
    }
    if (!filter.client_id.empty()) {
      TUNER_STORE_RETURN_IF_ERROR(select.Bind(++index, filter.client_id));
    }
    if (filter.limit > 0) TUNER_STORE_RETURN_IF_ERROR(select.Bind(++index, filter.limit));
    while (true) {
      TUNER_STORE_ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      TUNER_STORE_ASSIGN_OR_RETURN(Trial trial, TrialFromRow(select));
      trials.push_back(std::move(trial));
    }
  }
  if (filter.with_measurements) {
    for (Trial& trial : trials) TUNER_STORE_RETURN_IF_ERROR(LoadMeasurements(study_row, trial));
  }
  TUNER_STORE_RETURN_IF_ERROR(txn.Commit());
  return trials;
}

absl::StatusOr<TrialCounts> SqliteStore::CountTrials(const std::string& study) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_, Transaction::Kind::kRead));
  TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(study));
  TrialCounts counts;
  {
    TUNER_STORE_ASSIGN_OR_RETURN(
        Statement select,
        db_->Prepare("SELECT state, COUNT(*) FROM trials WHERE study_id = ? GROUP BY state"));
    TUNER_STORE_RETURN_IF_ERROR(select.BindAll(study_row));
    while (true) {
      TUNER_STORE_ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      TUNER_STORE_ASSIGN_OR_RETURN(TrialState state, ParseTrialState(select.Text(0)));
      counts.Add(state, select.Int(1));
    }
  }
  TUNER_STORE_RETURN_IF_ERROR(txn.Commit());
  return counts;
}

absl::Status SqliteStore::AddMeasurements(const std::string& study, int64_t trial_id,
                                          const std::vector<Measurement>& measurements) {
  TUNER_STORE_RETURN_IF_ERROR(CheckWritable("AddMeasurements"));
  for (const Measurement& measurement : measurements) {
    TUNER_STORE_RETURN_IF_ERROR(CheckFinite(measurement));
  }
  static const std::string kNoReportId;
  PendingWrite write{&study, trial_id, &measurements, &kNoReportId};
  return GroupWrite(write);
}

absl::StatusOr<bool> SqliteStore::AddReport(const std::string& study, int64_t trial_id,
                                            const Measurement& measurement,
                                            const std::string& report_id) {
  TUNER_STORE_RETURN_IF_ERROR(CheckWritable("AddReport"));
  TUNER_STORE_RETURN_IF_ERROR(CheckFinite(measurement));
  if (report_id.empty()) return absl::InvalidArgumentError("report_id: must not be empty");
  const std::vector<Measurement> measurements = {measurement};
  PendingWrite write{&study, trial_id, &measurements, &report_id};
  TUNER_STORE_RETURN_IF_ERROR(GroupWrite(write));
  return !write.retry;
}

absl::Status SqliteStore::GroupWrite(PendingWrite& write) {
  // Group commit: the first caller to find no leader writes every queued
  // write in one transaction (one fsync); the others wait for its result.
  std::unique_lock<std::mutex> group(group_mu_);
  group_queue_.push_back(&write);
  while (!write.done) {
    if (group_leader_) {
      group_cv_.wait(group);
      continue;
    }
    group_leader_ = true;
    std::vector<PendingWrite*> batch;
    batch.swap(group_queue_);
    group.unlock();
    WriteGroup(batch);
    group.lock();
    for (PendingWrite* w : batch) w->done = true;
    group_leader_ = false;
    group_cv_.notify_all();
  }
  return write.status;
}

void SqliteStore::WriteGroup(const std::vector<PendingWrite*>& batch) {
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = Transaction::Begin(*db_, Transaction::Kind::kWrite);
  if (!txn.ok()) {
    for (PendingWrite* w : batch) w->status = txn.status();
    return;
  }
  for (PendingWrite* w : batch) {
    // A savepoint per write: one refused write does not undo the others.
    if (absl::Status s = db_->Exec("SAVEPOINT measurement_write"); !s.ok()) {
      w->status = s;
      continue;
    }
    w->status = [&]() -> absl::Status {
      TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(*w->study));
      if (absl::Status running = CheckRunning(study_row, *w->study, w->trial_id); !running.ok()) {
        // A retry is answered even after the trial ended.
        if (w->report_id->empty() || !absl::IsFailedPrecondition(running)) return running;
        TUNER_STORE_ASSIGN_OR_RETURN(w->retry, HasReport(study_row, w->trial_id, *w->report_id));
        return w->retry ? absl::OkStatus() : running;
      }
      TUNER_STORE_RETURN_IF_ERROR(
          InsertMeasurements(study_row, w->trial_id, *w->measurements, *w->report_id));
      // A report id the trial has already: the unique index kept the insert out.
      w->retry = !w->report_id->empty() && sqlite3_changes(db_->handle()) == 0;
      return absl::OkStatus();
    }();
    if (!w->status.ok() && sqlite3_get_autocommit(db_->handle())) {
      // SQLite rolled the whole transaction back by itself (it may on
      // SQLITE_FULL, IOERR, BUSY, NOMEM): the batch's earlier writes are gone
      // too, so none of them may be acknowledged.
      for (PendingWrite* other : batch) {
        if (other != w && other->status.ok()) other->status = w->status;
      }
      return;
    }
    if (!w->status.ok()) (void)db_->Exec("ROLLBACK TO measurement_write");
    (void)db_->Exec("RELEASE measurement_write");
  }
  if (absl::Status committed = txn->Commit(); !committed.ok()) {
    for (PendingWrite* w : batch) {
      if (w->status.ok()) w->status = committed;
    }
  }
}

absl::StatusOr<std::vector<RunRecord>> SqliteStore::ListRuns(const std::string& study) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_, Transaction::Kind::kRead));
  TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(study));
  TUNER_STORE_ASSIGN_OR_RETURN(
      Statement select,
      db_->Prepare("SELECT run_id, host, pid, joined, start_time, heartbeat_time FROM study_runs "
                   "WHERE study_id = ? ORDER BY start_time, run_id"));
  TUNER_STORE_RETURN_IF_ERROR(select.BindAll(study_row));
  std::vector<RunRecord> runs;
  while (true) {
    TUNER_STORE_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    runs.push_back({.run_id = select.Text(0),
                    .host = select.Text(1),
                    .pid = select.Int(2),
                    .joined = select.Int(3) != 0,
                    .start_time = select.Double(4),
                    .heartbeat_time = select.Double(5)});
  }
  TUNER_STORE_RETURN_IF_ERROR(txn.Commit());
  return runs;
}

absl::Status SqliteStore::PutRun(const std::string& study, const RunRecord& run) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_RETURN_IF_ERROR(CheckWritable("PutRun"));
  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn,
                               Transaction::Begin(*db_, Transaction::Kind::kWrite));
  TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(study));
  TUNER_STORE_ASSIGN_OR_RETURN(
      Statement insert,
      db_->Prepare("INSERT OR REPLACE INTO study_runs (study_id, run_id, host, pid, joined, "
                   "start_time, heartbeat_time) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  TUNER_STORE_RETURN_IF_ERROR(insert.BindAll(study_row, run.run_id, run.host, run.pid,
                                             static_cast<int64_t>(run.joined ? 1 : 0),
                                             run.start_time, run.heartbeat_time));
  TUNER_STORE_RETURN_IF_ERROR(insert.Run());
  return txn.Commit();
}

absl::Status SqliteStore::DeleteRun(const std::string& study, const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_RETURN_IF_ERROR(CheckWritable("DeleteRun"));
  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn,
                               Transaction::Begin(*db_, Transaction::Kind::kWrite));
  TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(study));
  TUNER_STORE_ASSIGN_OR_RETURN(
      Statement remove, db_->Prepare("DELETE FROM study_runs WHERE study_id = ? AND run_id = ?"));
  TUNER_STORE_RETURN_IF_ERROR(remove.BindAll(study_row, run_id));
  TUNER_STORE_RETURN_IF_ERROR(remove.Run());
  return txn.Commit();
}

absl::StatusOr<std::string> SqliteStore::GetDesignerState(const std::string& study) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_, Transaction::Kind::kRead));
  TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(study));
  TUNER_STORE_ASSIGN_OR_RETURN(
      Statement select, db_->Prepare("SELECT state FROM designer_states WHERE study_id = ?"));
  TUNER_STORE_RETURN_IF_ERROR(select.BindAll(study_row));
  TUNER_STORE_ASSIGN_OR_RETURN(bool row, select.Step());
  std::string state = row ? select.Text(0) : "";
  TUNER_STORE_RETURN_IF_ERROR(txn.Commit());
  return state;
}

absl::Status SqliteStore::PutDesignerState(const std::string& study, const std::string& state) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_RETURN_IF_ERROR(CheckWritable("PutDesignerState"));
  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn,
                               Transaction::Begin(*db_, Transaction::Kind::kWrite));
  TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(study));
  TUNER_STORE_ASSIGN_OR_RETURN(
      Statement insert,
      db_->Prepare("INSERT OR REPLACE INTO designer_states (study_id, state) VALUES (?, ?)"));
  TUNER_STORE_RETURN_IF_ERROR(insert.BindAll(study_row, state));
  TUNER_STORE_RETURN_IF_ERROR(insert.Run());
  return txn.Commit();
}

absl::Status SqliteStore::CheckTrialExists(int64_t study_row, const std::string& study,
                                           int64_t trial_id) {
  TUNER_STORE_ASSIGN_OR_RETURN(
      Statement select, db_->Prepare("SELECT 1 FROM trials WHERE study_id = ? AND trial_id = ?"));
  TUNER_STORE_RETURN_IF_ERROR(select.BindAll(study_row, trial_id));
  TUNER_STORE_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return TrialNotFound(study, trial_id);
  return absl::OkStatus();
}

absl::Status SqliteStore::PutArtifacts(const std::string& study, int64_t trial_id,
                                       const std::vector<ArtifactRecord>& artifacts) {
  for (const ArtifactRecord& a : artifacts) {
    if (a.path.empty()) return absl::InvalidArgumentError("artifact path is empty");
    if (a.kind.empty()) return absl::InvalidArgumentError("artifact kind is empty: " + a.path);
    if (a.size < 0 || a.step < 0 || a.attempt < 1) {
      return absl::InvalidArgumentError("artifact size and step must be >= 0 and attempt >= 1: " +
                                        a.path);
    }
    TUNER_STORE_RETURN_IF_ERROR(CheckFiniteTime(a.create_time, "artifact create_time"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_RETURN_IF_ERROR(CheckWritable("PutArtifacts"));
  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn,
                               Transaction::Begin(*db_, Transaction::Kind::kWrite));
  TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(study));
  TUNER_STORE_RETURN_IF_ERROR(CheckTrialExists(study_row, study, trial_id));
  const double now = Now();
  for (const ArtifactRecord& a : artifacts) {
    TUNER_STORE_ASSIGN_OR_RETURN(
        Statement insert,
        db_->Prepare("INSERT OR REPLACE INTO artifacts (study_id, trial_id, attempt, path, kind, "
                     "step, size, sha256, rank, checkpoint, removed, create_time) VALUES "
                     "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    TUNER_STORE_RETURN_IF_ERROR(insert.BindAll(
        study_row, trial_id, static_cast<int64_t>(a.attempt), a.path, a.kind, a.step, a.size,
        a.sha256, a.rank, a.checkpoint, static_cast<int64_t>(a.removed ? 1 : 0),
        a.create_time == 0 ? now : a.create_time));
    TUNER_STORE_RETURN_IF_ERROR(insert.Run());
  }
  return txn.Commit();
}

absl::StatusOr<std::vector<ArtifactRecord>> SqliteStore::ListArtifacts(const std::string& study,
                                                                       int64_t trial_id) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_, Transaction::Kind::kRead));
  TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(study));
  TUNER_STORE_RETURN_IF_ERROR(CheckTrialExists(study_row, study, trial_id));
  TUNER_STORE_ASSIGN_OR_RETURN(
      Statement select,
      db_->Prepare("SELECT path, kind, step, size, sha256, rank, attempt, checkpoint, removed, "
                   "create_time FROM artifacts WHERE study_id = ? AND trial_id = ? "
                   "ORDER BY attempt, step, path"));
  TUNER_STORE_RETURN_IF_ERROR(select.BindAll(study_row, trial_id));
  std::vector<ArtifactRecord> artifacts;
  while (true) {
    TUNER_STORE_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    artifacts.push_back({.path = select.Text(0),
                         .kind = select.Text(1),
                         .step = select.Int(2),
                         .size = select.Int(3),
                         .sha256 = select.Text(4),
                         .rank = select.Text(5),
                         .attempt = static_cast<int>(select.Int(6)),
                         .checkpoint = select.Text(7),
                         .removed = select.Int(8) != 0,
                         .create_time = select.Double(9)});
  }
  TUNER_STORE_RETURN_IF_ERROR(txn.Commit());
  return artifacts;
}

absl::Status SqliteStore::SetTrialRunner(const std::string& study, int64_t trial_id,
                                         const std::string& runner, const std::string& command) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_RETURN_IF_ERROR(CheckWritable("SetTrialRunner"));
  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn,
                               Transaction::Begin(*db_, Transaction::Kind::kWrite));
  TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(study));
  TUNER_STORE_RETURN_IF_ERROR(CheckRunning(study_row, study, trial_id));
  TUNER_STORE_ASSIGN_OR_RETURN(
      Statement update,
      db_->Prepare("UPDATE trials SET runner = ?, command = CASE WHEN ? = '' THEN command ELSE ? "
                   "END WHERE study_id = ? AND trial_id = ?"));
  TUNER_STORE_RETURN_IF_ERROR(update.BindAll(runner, command, command, study_row, trial_id));
  TUNER_STORE_RETURN_IF_ERROR(update.Run());
  return txn.Commit();
}

absl::Status SqliteStore::RestartTrial(const std::string& study, int64_t trial_id,
                                       const TrialAttempt& ended, const std::string& client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_RETURN_IF_ERROR(CheckWritable("RestartTrial"));
  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn,
                               Transaction::Begin(*db_, Transaction::Kind::kWrite));
  TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(study));
  std::vector<TrialAttempt> attempts;
  {
    TUNER_STORE_ASSIGN_OR_RETURN(
        Statement select,
        db_->Prepare("SELECT attempts_json FROM trials WHERE study_id = ? AND trial_id = ?"));
    TUNER_STORE_RETURN_IF_ERROR(select.BindAll(study_row, trial_id));
    TUNER_STORE_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return TrialNotFound(study, trial_id);
    TUNER_STORE_ASSIGN_OR_RETURN(attempts, DecodeAttempts(select.Text(0)));
  }
  attempts.push_back(ended);
  TUNER_STORE_ASSIGN_OR_RETURN(std::string attempts_json, EncodeAttempts(attempts));
  {
    TUNER_STORE_ASSIGN_OR_RETURN(
        Statement update,
        db_->Prepare("UPDATE trials SET state = 'ACTIVE', reason = '', final_measurement_json = "
                     "NULL, end_time = 0, runner = '', client_id = ?, attempts_json = ? WHERE "
                     "study_id = ? AND trial_id = ?"));
    TUNER_STORE_RETURN_IF_ERROR(update.BindAll(client_id, attempts_json, study_row, trial_id));
    TUNER_STORE_RETURN_IF_ERROR(update.Run());
  }
  {
    TUNER_STORE_ASSIGN_OR_RETURN(
        Statement remove,
        db_->Prepare("DELETE FROM measurements WHERE study_id = ? AND trial_id = ?"));
    TUNER_STORE_RETURN_IF_ERROR(remove.BindAll(study_row, trial_id));
    TUNER_STORE_RETURN_IF_ERROR(remove.Run());
  }
  return txn.Commit();
}

absl::Status SqliteStore::AssignTrial(const std::string& study, int64_t trial_id,
                                      const std::string& client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_RETURN_IF_ERROR(CheckWritable("AssignTrial"));
  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn,
                               Transaction::Begin(*db_, Transaction::Kind::kWrite));
  TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(study));
  TUNER_STORE_ASSIGN_OR_RETURN(
      Statement update,
      db_->Prepare("UPDATE trials SET client_id = ? WHERE study_id = ? AND trial_id = ? AND "
                   "state = 'ACTIVE' AND client_id = ''"));
  TUNER_STORE_RETURN_IF_ERROR(update.BindAll(client_id, study_row, trial_id));
  TUNER_STORE_RETURN_IF_ERROR(update.Run());
  if (update.Changes() != 1) {
    TUNER_STORE_RETURN_IF_ERROR(CheckRunning(study_row, study, trial_id));
    return absl::FailedPreconditionError(
        absl::StrCat("trial ", trial_id, " is not ACTIVE without a client"));
  }
  return txn.Commit();
}

absl::Status SqliteStore::UpdateTrial(const std::string& study, const Trial& trial) {
  std::lock_guard<std::mutex> lock(mu_);
  TUNER_STORE_RETURN_IF_ERROR(CheckWritable("UpdateTrial"));
  std::optional<std::string> final_measurement;
  if (trial.final_measurement) {
    TUNER_STORE_ASSIGN_OR_RETURN(final_measurement, EncodeMeasurement(*trial.final_measurement));
  }
  TUNER_STORE_RETURN_IF_ERROR(CheckFiniteTime(trial.end_time, "trial end_time"));
  double end_time = trial.end_time;
  if (end_time == 0 && IsFinal(trial.state)) end_time = Now();

  TUNER_STORE_ASSIGN_OR_RETURN(Transaction txn,
                               Transaction::Begin(*db_, Transaction::Kind::kWrite));
  TUNER_STORE_ASSIGN_OR_RETURN(int64_t study_row, StudyRowId(study));
  TUNER_STORE_RETURN_IF_ERROR(CheckRunning(study_row, study, trial.id));
  {
    TUNER_STORE_ASSIGN_OR_RETURN(
        Statement update,
        db_->Prepare("UPDATE trials SET state = ?, reason = ?, final_measurement_json = ?, "
                     "end_time = ? WHERE study_id = ? AND trial_id = ?"));
    TUNER_STORE_RETURN_IF_ERROR(update.BindAll(ToString(trial.state), trial.reason));
    if (final_measurement) {
      TUNER_STORE_RETURN_IF_ERROR(update.Bind(3, *final_measurement));
    } else {
      TUNER_STORE_RETURN_IF_ERROR(update.BindNull(3));
    }
    TUNER_STORE_RETURN_IF_ERROR(update.Bind(4, end_time));
    TUNER_STORE_RETURN_IF_ERROR(update.Bind(5, study_row));
    TUNER_STORE_RETURN_IF_ERROR(update.Bind(6, trial.id));
    TUNER_STORE_RETURN_IF_ERROR(update.Run());
  }
  return txn.Commit();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                       const SqliteStoreOptions& options) {
  const bool in_memory = path == ":memory:" || path.empty();
  if (options.read_only && in_memory) {
    return absl::InvalidArgumentError(
        "read_only needs an existing file; an in-memory store would always be empty");
  }
  if (!in_memory) {
    // A missing file is created (0600) unless read_only; a 0-byte or
    // non-SQLite file is refused rather than taken as an empty store.
    if (absl::Status s = PrepareDatabaseFile(path, /*create_if_missing=*/!options.read_only);
        !s.ok()) {
      if (s.code() == absl::StatusCode::kNotFound && options.read_only) {
        return absl::NotFoundError(absl::StrCat("store file \"", path, "\" does not exist"));
      }
      return s;
    }
  }
  TUNER_STORE_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db,
                               SqliteDb::Open(path, options.read_only));
  TUNER_STORE_RETURN_IF_ERROR(
      db->Exec(absl::StrCat("PRAGMA busy_timeout = ", options.busy_timeout_ms)));
  if (options.max_page_count > 0) {
    TUNER_STORE_RETURN_IF_ERROR(
        db->Exec(absl::StrCat("PRAGMA max_page_count = ", options.max_page_count)));
  }
  if (!in_memory && options.check_on_open) {
    // Before anything writes: a damaged file is refused, not written into.
    TUNER_STORE_RETURN_IF_ERROR(QuickCheckDatabase(*db, path));
  }
  if (!options.read_only) {
    // Persistent in the file; a read-only connection just uses what is there.
    // (":memory:" stays in journal_mode=memory.)
    TUNER_STORE_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode = WAL"));
  }
  TUNER_STORE_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = FULL"));
  TUNER_STORE_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys = ON"));
  TUNER_STORE_ASSIGN_OR_RETURN(const int before, ReadSchemaVersion(*db));
  TUNER_STORE_RETURN_IF_ERROR(MigrateSchema(*db, options.read_only, path));
  if (before > 0 && before < CurrentSchemaVersion() && options.on_upgrade) {
    options.on_upgrade(before, CurrentSchemaVersion());
  }
  return std::unique_ptr<Store>(new SqliteStore(path, options.read_only, std::move(db)));
}

int SqliteSchemaVersion() { return CurrentSchemaVersion(); }

std::string SchemaUpgradeMessage(const std::string& path, int from, int to) {
  return absl::StrCat(path, ": upgraded from schema version ", from, " to ", to,
                      " (older builds of tuner cannot open it now)");
}

absl::StatusOr<int> SqliteFileSchemaVersion(const std::string& path) {
  if (absl::Status s = PrepareDatabaseFile(path, /*create_if_missing=*/false); !s.ok()) {
    if (s.code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(absl::StrCat("store file \"", path, "\" does not exist"));
    }
    return s;
  }
  TUNER_STORE_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path, true));
  return ReadSchemaVersion(*db);
}

}  // namespace tuner
