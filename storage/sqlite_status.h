// Translation of SQLite result codes into absl::Status, in one place.
//
// OK, ROW and DONE are OkStatus. The rest, by primary code:
// - FULL (disk full, or the connection's max_page_count reached; SQLite's unix
//   VFS reports a write's ENOSPC as FULL): ResourceExhausted "no space left on
//   device while writing <db path>". The statement (and possibly the whole
//   transaction) was rolled back: nothing of it was written.
// - BUSY, LOCKED (another connection holds the lock beyond the busy timeout):
//   Unavailable; retrying later may succeed, nothing was written.
// - CORRUPT: DataLoss, with how to recover (DatabaseRecoveryHint below).
// - NOTADB: FailedPrecondition (the file is not an SQLite database).
// - READONLY, a trigger's RAISE(ABORT) (CONSTRAINT_TRIGGER): FailedPrecondition.
// - CONSTRAINT_UNIQUE, CONSTRAINT_PRIMARYKEY: AlreadyExists.
// - every other code: Internal.
// The message carries `context` (what the store was doing), SQLite's own
// message and the code name.
#ifndef TUNER_STORAGE_SQLITE_STATUS_H_
#define TUNER_STORAGE_SQLITE_STATUS_H_

#include <sqlite3.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tuner {

// `db` may be null (e.g. when sqlite3_open_v2 could not allocate a handle);
// the message then comes from the code alone, and the db path in the disk
// full message is "the database".
absl::Status SqliteStatus(int rc, sqlite3* db, absl::string_view context);

// What to do about a damaged database file `path`: the `tuner db check` and
// `tuner db backup` commands and how to restore a backup. One sentence-ish
// text, appended to the errors that report damage.
std::string DatabaseRecoveryHint(absl::string_view path);

}  // namespace tuner

#endif  // TUNER_STORAGE_SQLITE_STATUS_H_
