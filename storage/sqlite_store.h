// Store on an SQLite file (or ":memory:", a private in-memory database).
//
// The file is opened in WAL mode with synchronous=FULL (a write that returned
// OK survives a power loss), foreign_keys=ON and a 5 s busy timeout; see
// schema.cc for the tables. Opening runs the migrations up to
// SqliteSchemaVersion(), each in its own transaction; a file from a newer
// version is refused (FailedPrecondition). Several processes may open the
// same file: writes take SQLite's write lock, so trial ids stay unique.
//
// Opening a file (sqlite_file.h for the details):
// - a missing file is created (mode 0600 less the umask; its -wal and -shm
//   get the same mode), unless read_only: then NotFound;
// - a 0-byte file or one that is not an SQLite database is refused
//   (FailedPrecondition), never taken as an empty store;
// - PRAGMA quick_check runs before anything is written (check_on_open): a
//   damaged file is refused with DataLoss and a message saying how to recover
//   (`tuner db check`, `tuner db backup FILE`, restoring a backup).
//
// Errors while running (sqlite_status.h): a full disk is ResourceExhausted
// "no space left on device while writing <path>", and that write is not
// acknowledged (nor any write that shared its transaction); the lock held by
// another connection beyond the busy timeout is Unavailable; damage found
// while reading is DataLoss.
//
// read_only opens an existing file with SQLITE_OPEN_READONLY: reads work,
// every write method returns FailedPrecondition without touching the file.
// A missing file is NotFound; a file that needs migrating is
// FailedPrecondition; read_only with ":memory:" is InvalidArgument.
//
// Thread-safe: one connection guarded by a mutex (every method holds it).
#ifndef TUNER_STORAGE_SQLITE_STORE_H_
#define TUNER_STORAGE_SQLITE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/store.h"

namespace tuner {

struct SqliteStoreOptions {
  bool read_only = false;  // open an existing file without writing to it
  // PRAGMA quick_check(1) on open (not for ":memory:"). Reads the whole file
  // once: about 6 s per GB (0.9 s for 150 MB on the 2-core development
  // machine, warm cache).
  bool check_on_open = true;
  // How long a write waits for another connection's lock before failing
  // with Unavailable.
  int busy_timeout_ms = 5000;
  // > 0: PRAGMA max_page_count, a cap on the file's size in pages (4 KiB);
  // writes beyond it fail as on a full disk (ResourceExhausted). 0: no cap.
  int64_t max_page_count = 0;
  // Called when opening upgraded an existing store file written by an older
  // build (schema version `from` > 0) to this build's `to`, which older
  // builds cannot open; not for a new file.
  std::function<void(int from, int to)> on_upgrade;
};

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                       const SqliteStoreOptions& options = {});

// The schema version this build writes.
int SqliteSchemaVersion();

// The schema version of the existing file `path`, read without changing it
// (0 for an SQLite file that is not a store yet). NotFound for a missing
// file, FailedPrecondition for one that is not an SQLite database.
absl::StatusOr<int> SqliteFileSchemaVersion(const std::string& path);

// "<path>: upgraded from schema version <from> to <to> (older builds of tuner
// cannot open it now)", what the commands say on an on_upgrade.
std::string SchemaUpgradeMessage(const std::string& path, int from, int to);

}  // namespace tuner

#endif  // TUNER_STORAGE_SQLITE_STORE_H_
