#include "storage/schema.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tuner {
namespace {

// migrations[i] takes the file from version i to version i + 1. Append new
// ones; never edit one that has shipped.
//
// Notes on version 1:
// - States are stored as their names ('ACTIVE', ...) so that reordering the
//   C++ enums cannot reinterpret a file.
// - Trial ids are per study (1, 2, ...); the store assigns MAX + 1 inside a
//   BEGIN IMMEDIATE transaction.
// - measurements.id (the rowid) grows with every insert, so ordering by it
//   keeps report order.
// - The trigger backs up the store's own check: a finished trial's row cannot
//   be updated even by hand-written SQL.
//
// Version 2: trials.runner, the launcher's handle of a running trial's
// cluster (e.g. "local:4242,4250" or "slurm:1234"), so that a restarted
// runner finds what a dead one left behind.
//
// Version 3: the STALE state. SQLite cannot change a CHECK constraint, so the
// trials table is rebuilt (the documented 12-step way; MigrateSchema turns
// foreign keys off around migrations so that measurements survive).
//
// Version 4: trials.command, the shell command a trial's cluster was launched
// with (`tuner best` shows it to re-run the trial).
//
// Version 5: measurements.report_id, the client's id of a report (NULL for
// none), unique per trial, so that a retried report is not stored twice.
//
// Version 6: trials.attempts_json, a trial's earlier attempts (retries). A
// final trial may be updated only to start its next attempt (RestartTrial,
// which appends to attempts_json), so the trigger is recreated with that
// exception.
//
// Version 7: study_runs, the `tuner run`s working on a study: its owner and
// the runs that joined it, each with the heartbeat that keeps its claim.
//
// Version 8: studies.spec_versions_json, the versions of an edited study's
// spec (what changed, when; StudyRecord::spec_versions_json).
//
// Version 9: artifacts, the files a trial recorded (checkpoints, models,
// preprocessing state; ArtifactRecord), per attempt, deleted with the trial.
//
// Version 10: trials.origin, the designer stage that proposed a trial
// (Trial::origin; "" for older trials).
// Version 11: trials.parent_trial and parent_step, a PBT member's lineage
// (0 for every other trial).
// Version 12: designer_states, each study's designer state (a cache of the
// designer's work, e.g. the GP's fits; Store::GetDesignerState).
// Version 13: trials.retry_of, the STALE trial a retry runs again
// (Trial::retry_of). Older retries get theirs as it was found before: the
// latest STALE trial with the same parameters before them. Finished trials
// are immutable, so the trigger is set aside for that one update.
constexpr std::array<absl::string_view, 13> kMigrations = {
    R"sql(
CREATE TABLE schema_version (
  version INTEGER NOT NULL
);
INSERT INTO schema_version (version) VALUES (0);

CREATE TABLE studies (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  spec_json TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('ACTIVE', 'COMPLETED')),
  create_time REAL NOT NULL
);

CREATE TABLE trials (
  study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
  trial_id INTEGER NOT NULL CHECK (trial_id > 0),
  state TEXT NOT NULL CHECK (state IN ('ACTIVE', 'STOPPING', 'COMPLETED', 'STOPPED', 'FAILED',
                                       'INFEASIBLE')),
  parameters_json TEXT NOT NULL,
  client_id TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  final_measurement_json TEXT,
  create_time REAL NOT NULL,
  end_time REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (study_id, trial_id)
) WITHOUT ROWID;
CREATE INDEX trials_by_state ON trials (study_id, state, trial_id);
CREATE INDEX trials_by_client ON trials (study_id, client_id, state, trial_id);

CREATE TRIGGER finished_trials_are_immutable
BEFORE UPDATE ON trials
WHEN OLD.state NOT IN ('ACTIVE', 'STOPPING')
BEGIN
  SELECT RAISE(ABORT, 'finished trials are immutable');
END;

CREATE TABLE measurements (
  id INTEGER PRIMARY KEY,
  study_id INTEGER NOT NULL,
  trial_id INTEGER NOT NULL,
  step INTEGER NOT NULL,
  elapsed_secs REAL NOT NULL,
  metrics_json TEXT NOT NULL,
  FOREIGN KEY (study_id, trial_id) REFERENCES trials (study_id, trial_id) ON DELETE CASCADE
);
CREATE INDEX measurements_by_trial ON measurements (study_id, trial_id, id);
)sql",
    R"sql(
ALTER TABLE trials ADD COLUMN runner TEXT NOT NULL DEFAULT '';
)sql",
    R"sql(
CREATE TABLE trials_v3 (
  study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
  trial_id INTEGER NOT NULL CHECK (trial_id > 0),
  state TEXT NOT NULL CHECK (state IN ('ACTIVE', 'STOPPING', 'COMPLETED', 'STOPPED', 'FAILED',
                                       'INFEASIBLE', 'STALE')),
  parameters_json TEXT NOT NULL,
  client_id TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  final_measurement_json TEXT,
  create_time REAL NOT NULL,
  end_time REAL NOT NULL DEFAULT 0,
  runner TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (study_id, trial_id)
) WITHOUT ROWID;
INSERT INTO trials_v3 (study_id, trial_id, state, parameters_json, client_id, reason,
                       final_measurement_json, create_time, end_time, runner)
  SELECT study_id, trial_id, state, parameters_json, client_id, reason, final_measurement_json,
         create_time, end_time, runner FROM trials;
DROP TABLE trials;
ALTER TABLE trials_v3 RENAME TO trials;
CREATE INDEX trials_by_state ON trials (study_id, state, trial_id);
CREATE INDEX trials_by_client ON trials (study_id, client_id, state, trial_id);
CREATE TRIGGER finished_trials_are_immutable
BEFORE UPDATE ON trials
WHEN OLD.state NOT IN ('ACTIVE', 'STOPPING')
BEGIN
  SELECT RAISE(ABORT, 'finished trials are immutable');
END;
)sql",
    R"sql(
ALTER TABLE trials ADD COLUMN command TEXT NOT NULL DEFAULT '';
)sql",
    R"sql(
ALTER TABLE measurements ADD COLUMN report_id TEXT;
CREATE UNIQUE INDEX measurements_by_report ON measurements (study_id, trial_id, report_id)
  WHERE report_id IS NOT NULL;
)sql",
    R"sql(
ALTER TABLE trials ADD COLUMN attempts_json TEXT NOT NULL DEFAULT '[]';
DROP TRIGGER finished_trials_are_immutable;
CREATE TRIGGER finished_trials_are_immutable
BEFORE UPDATE ON trials
WHEN OLD.state NOT IN ('ACTIVE', 'STOPPING')
  AND (NEW.state != 'ACTIVE' OR length(NEW.attempts_json) <= length(OLD.attempts_json))
BEGIN
  SELECT RAISE(ABORT, 'finished trials are immutable');
END;
)sql",
    R"sql(
CREATE TABLE study_runs (
  study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
  run_id TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  joined INTEGER NOT NULL,
  start_time REAL NOT NULL,
  heartbeat_time REAL NOT NULL,
  PRIMARY KEY (study_id, run_id)
) WITHOUT ROWID;
)sql",
    R"sql(
ALTER TABLE studies ADD COLUMN spec_versions_json TEXT NOT NULL DEFAULT '[]';
)sql",
    R"sql(
CREATE TABLE artifacts (
  study_id INTEGER NOT NULL,
  trial_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  path TEXT NOT NULL,
  kind TEXT NOT NULL,
  step INTEGER NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  rank TEXT NOT NULL,
  checkpoint TEXT NOT NULL,
  removed INTEGER NOT NULL,
  create_time REAL NOT NULL,
  PRIMARY KEY (study_id, trial_id, attempt, path),
  FOREIGN KEY (study_id, trial_id) REFERENCES trials (study_id, trial_id) ON DELETE CASCADE
) WITHOUT ROWID;
)sql",
    // Which designer stage proposed each trial (Trial::origin).
    R"sql(
ALTER TABLE trials ADD COLUMN origin TEXT NOT NULL DEFAULT '';
)sql",
    // Population-Based Training's lineage (Trial::parent_trial, parent_step).
    R"sql(
ALTER TABLE trials ADD COLUMN parent_trial INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trials ADD COLUMN parent_step INTEGER NOT NULL DEFAULT 0;
)sql",
    // The designer's saved work (Store::GetDesignerState).
    R"sql(
CREATE TABLE designer_states (
  study_id INTEGER PRIMARY KEY REFERENCES studies (id) ON DELETE CASCADE,
  state TEXT NOT NULL
);
)sql",
    // The STALE trial a retry runs again (Trial::retry_of).
    R"sql(
ALTER TABLE trials ADD COLUMN retry_of INTEGER NOT NULL DEFAULT 0;
DROP TRIGGER finished_trials_are_immutable;
UPDATE trials SET retry_of = COALESCE(
  (SELECT MAX(stale.trial_id) FROM trials AS stale
   WHERE stale.study_id = trials.study_id AND stale.trial_id < trials.trial_id
     AND stale.state = 'STALE' AND stale.parameters_json = trials.parameters_json), 0)
WHERE origin = 'retry';
CREATE TRIGGER finished_trials_are_immutable
BEFORE UPDATE ON trials
WHEN OLD.state NOT IN ('ACTIVE', 'STOPPING')
  AND (NEW.state != 'ACTIVE' OR length(NEW.attempts_json) <= length(OLD.attempts_json))
BEGIN
  SELECT RAISE(ABORT, 'finished trials are immutable');
END;
)sql",
};

absl::Status NewerThanBuild(int version) {
  return absl::FailedPreconditionError(absl::StrCat(
      "the store file has schema version ", version, ", newer than this build's version ",
      CurrentSchemaVersion(), "; open it with a newer tuner"));
}

}  // namespace

// Applies migrations from+1 .. target, each in its own transaction.
absl::Status RunMigrations(SqliteDb& db, int from, int target);

int CurrentSchemaVersion() { return static_cast<int>(kMigrations.size()); }

absl::StatusOr<int> ReadSchemaVersion(SqliteDb& db) {
  absl::StatusOr<Statement> exists = db.Prepare(
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  if (!exists.ok()) return exists.status();
  absl::StatusOr<bool> row = exists->Step();
  if (!row.ok()) return row.status();
  if (!*row || exists->Int(0) == 0) return 0;

  absl::StatusOr<Statement> select = db.Prepare("SELECT MAX(version) FROM schema_version");
  if (!select.ok()) return select.status();
  row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row || select->IsNull(0)) return 0;
  return static_cast<int>(select->Int(0));
}

absl::Status MigrateSchema(SqliteDb& db, bool read_only, const std::string& path) {
  absl::StatusOr<int> version = ReadSchemaVersion(db);
  if (!version.ok()) return version.status();
  const int target = CurrentSchemaVersion();
  if (*version > target) return NewerThanBuild(*version);
  if (*version == target) return absl::OkStatus();
  if (read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " has schema version ", *version, ", older than this build's ", target,
                     ": upgrade it with `tuner db upgrade ", path,
                     "` (`tuner run` and `tuner serve` on it upgrade it too)"));
  }
  // Table rebuilds must not cascade: foreign keys off for the migrations
  // (the pragma is a no-op inside a transaction, so it is set around them).
  if (absl::Status s = db.Exec("PRAGMA foreign_keys = OFF"); !s.ok()) return s;
  absl::Status migrated = RunMigrations(db, *version, target);
  if (absl::Status s = db.Exec("PRAGMA foreign_keys = ON"); !s.ok() && migrated.ok()) return s;
  return migrated;
}

absl::Status RunMigrations(SqliteDb& db, int from, int target) {
  for (int next = from + 1; next <= target; ++next) {
    absl::StatusOr<Transaction> txn = Transaction::Begin(db, Transaction::Kind::kWrite);
    if (!txn.ok()) return txn.status();
    // Another connection may have migrated while we waited for the lock.
    absl::StatusOr<int> now = ReadSchemaVersion(db);
    if (!now.ok()) return now.status();
    if (*now > target) return NewerThanBuild(*now);
    if (*now >= next) continue;
    if (absl::Status status = db.Exec(kMigrations[next - 1]); !status.ok()) {
      return absl::Status(status.code(), absl::StrCat("schema migration to version ", next, ": ",
                                                      status.message()));
    }
    absl::StatusOr<Statement> record = db.Prepare("UPDATE schema_version SET version = ?");
    if (!record.ok()) return record.status();
    if (absl::Status status = record->BindAll(next); !status.ok()) return status;
    if (absl::Status status = record->Run(); !status.ok()) return status;
    if (record->Changes() != 1) {
      return absl::InternalError("schema_version must hold exactly one row");
    }
    if (absl::Status status = txn->Commit(); !status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace tuner
