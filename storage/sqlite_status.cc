#include "storage/sqlite_status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace tuner {

absl::Status SqliteStatus(int rc, sqlite3* db, absl::string_view context) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return absl::OkStatus();
  // sqlite3_errmsg describes the most recent failed call on `db`, which is the
  // one that produced `rc` as long as callers translate right away.
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string message =
      absl::StrCat("sqlite: ", context, ": ", detail, " (", sqlite3_errstr(rc), ", code ", rc, ")");
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return absl::AlreadyExistsError(std::move(message));
    case SQLITE_CONSTRAINT_TRIGGER:
      return absl::FailedPreconditionError(std::move(message));
    default:
      break;
  }
  if ((rc & 0xff) == SQLITE_READONLY) return absl::FailedPreconditionError(std::move(message));
  return absl::InternalError(std::move(message));
}

}  // namespace tuner
