// Translation of SQLite result codes into absl::Status, in one place.
//
// OK, ROW and DONE are OkStatus. SQLITE_READONLY becomes FailedPrecondition,
// a UNIQUE or PRIMARY KEY constraint AlreadyExists, a trigger's RAISE(ABORT)
// FailedPrecondition; every other code is Internal. The message carries
// `context` (what the store was doing), SQLite's own message and the code name.
#ifndef TUNER_STORAGE_SQLITE_STATUS_H_
#define TUNER_STORAGE_SQLITE_STATUS_H_

#include <sqlite3.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tuner {

// `db` may be null (e.g. when sqlite3_open_v2 could not allocate a handle);
// the message then comes from the code alone.
absl::Status SqliteStatus(int rc, sqlite3* db, absl::string_view context);

}  // namespace tuner

#endif  // TUNER_STORAGE_SQLITE_STATUS_H_
