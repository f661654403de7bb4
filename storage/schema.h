// The SQLite store's schema and its migrations.
//
// Schema version N is reached by applying migrations 1..N in order. Each runs
// in its own write transaction that also records its version in the one-row
// table `schema_version`, so a crash leaves the file at some whole version. A
// file without that table is at version 0 (new or empty).
#ifndef TUNER_STORAGE_SCHEMA_H_
#define TUNER_STORAGE_SCHEMA_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/sqlite_db.h"

namespace tuner {

// The version this build writes (= the number of migrations).
int CurrentSchemaVersion();

// The version recorded in the file; 0 when there is no schema_version table.
absl::StatusOr<int> ReadSchemaVersion(SqliteDb& db);

// Brings the file up to CurrentSchemaVersion(). FailedPrecondition when the
// file's version is newer than this build, or when it is older and
// `read_only` forbids migrating it (the message names `path` and `tuner db
// upgrade`). Safe against another connection migrating the same file at the
// same time.
absl::Status MigrateSchema(SqliteDb& db, bool read_only, const std::string& path);

}  // namespace tuner

#endif  // TUNER_STORAGE_SCHEMA_H_
