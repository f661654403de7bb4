// Store on an SQLite file (or ":memory:").
//
// The file is opened in WAL mode with synchronous=NORMAL... see sqlite_store.cc
// for the schema. Opening runs the migrations up to the current schema
// version; a file from a newer version is refused (FailedPrecondition).
// Thread-safe: one connection guarded by a mutex.
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
