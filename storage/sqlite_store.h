// Store on an SQLite file (or ":memory:", a private in-memory database).
//
// The file is opened in WAL mode with synchronous=FULL (a write that returned
// OK survives a power loss), foreign_keys=ON and a 5 s busy timeout; see
// schema.cc for the tables. Opening runs the migrations up to
// SqliteSchemaVersion(), each in its own transaction; a file from a newer
// version is refused (FailedPrecondition). Several processes may open the
// same file: writes take SQLite's write lock, so trial ids stay unique.
//
// read_only opens an existing file with SQLITE_OPEN_READONLY: reads work,
// every write method returns FailedPrecondition without touching the file.
// A missing file is NotFound; a file that needs migrating is
// FailedPrecondition; read_only with ":memory:" is InvalidArgument.
//
// Thread-safe: one connection guarded by a mutex (every method holds it).
#ifndef TUNER_STORAGE_SQLITE_STORE_H_
#define TUNER_STORAGE_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/store.h"

namespace tuner {

struct SqliteStoreOptions {
  bool read_only = false;  // open an existing file without writing to it
};

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                       const SqliteStoreOptions& options = {});

// The schema version this build writes.
int SqliteSchemaVersion();

}  // namespace tuner

#endif  // TUNER_STORAGE_SQLITE_STORE_H_
