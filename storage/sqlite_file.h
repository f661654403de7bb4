// The database file itself: what may be opened, how a new one is created, the
// integrity checks, and online backups. Used by OpenSqliteStore and by the
// `tuner db check` / `tuner db backup` commands.
//
// Recovery, in short (docs/reliability.md, "Storage faults"):
// - `tuner db check DB` runs CheckDatabase (the full PRAGMA integrity_check).
// - `tuner db backup DB FILE` runs BackupDatabase: a consistent copy taken
//   while servers keep writing (SQLite's online backup API).
// - Restore: stop every server using DB, remove DB-wal and DB-shm, copy a
//   backup over DB (a backup is a plain, self-contained SQLite file).
//
// File modes: a database this code creates (PrepareDatabaseFile, the backup
// destination) is created 0600, less the umask (open(2) with mode 0600, so a
// umask can only remove bits). SQLite creates the -wal, -shm and journal files
// with the database file's mode, so they are 0600 too. The mode of an existing
// file is left as it is.
#ifndef TUNER_STORAGE_SQLITE_FILE_H_
#define TUNER_STORAGE_SQLITE_FILE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/sqlite_db.h"

namespace tuner {

// Before SQLite opens `path` (a file path, not ":memory:"):
// - missing: NotFound, unless `create_if_missing`; then a new, valid, empty
//   SQLite file is created (mode 0600 less the umask) and moved into place
//   atomically, so a crash never leaves a 0-byte file behind. Another process
//   creating it at the same time is fine.
// - 0 bytes: FailedPrecondition ("is empty (0 bytes), not an SQLite
//   database"); it is not taken as a new store.
// - anything that does not start with the SQLite header, or cannot be read:
//   FailedPrecondition naming the file.
// - a directory or another non-regular file: FailedPrecondition.
absl::Status PrepareDatabaseFile(const std::string& path, bool create_if_missing);

// The bounded check run on open: PRAGMA quick_check(1) (the b-tree structure
// of every page, no index cross-checks; stops at the first problem). It reads
// the file once, so its time grows with the file: 0.9 s for a 150 MB file on
// the 2-core development machine (warm cache), about 6 s per GB. DataLoss when
// it finds damage (or SQLite reports corruption while checking), with the
// first problem and DatabaseRecoveryHint(path).
absl::Status QuickCheckDatabase(SqliteDb& db, const std::string& path);

struct DatabaseCheckResult {
  // PRAGMA integrity_check's messages (at most max_problems), or SQLite's
  // error when the check itself could not read the file; empty when sound.
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};

// The full PRAGMA integrity_check on `path`, opened read-only (safe while a
// server uses the file). NotFound for a missing file, FailedPrecondition for
// one that is not an SQLite database (PrepareDatabaseFile's rules); damage is
// reported in the result, not as an error.
absl::StatusOr<DatabaseCheckResult> CheckDatabase(const std::string& path, int max_problems = 100);

// Copies the database `src` to the new file `dst` with SQLite's online backup
// API: one consistent snapshot, taken while other connections (a running
// server) keep reading and writing; waits up to ~10 s while they hold locks
// (then Unavailable). `dst` must not exist (AlreadyExists); it is written as
// `dst`.partial (mode 0600 less the umask), checked with quick_check and then
// renamed, so `dst` only ever appears complete. src errors: as CheckDatabase;
// a damaged src is DataLoss (nothing is left at dst); a full disk is
// ResourceExhausted.
absl::Status BackupDatabase(const std::string& src, const std::string& dst);

}  // namespace tuner

#endif  // TUNER_STORAGE_SQLITE_FILE_H_
