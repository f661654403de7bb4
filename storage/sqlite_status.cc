#include "storage/sqlite_status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace tuner {
namespace {

// The file behind `db`'s main schema, "" for in-memory and temporary ones.
std::string DbPath(sqlite3* db) {
  if (db == nullptr) return "";
  const char* name = sqlite3_db_filename(db, "main");
  return name != nullptr ? name : "";
}

}  // namespace

std::string DatabaseRecoveryHint(absl::string_view path) {
  return absl::StrCat(
      "Run `tuner db check ", path,
      "` for the full report; to recover, stop every server using it and copy the last good "
      "backup (made with `tuner db backup FILE`) over ",
      path, " (removing its -wal and -shm files); or, if it still reads, back it up with ",
      "`tuner db backup FILE` and check the copy");
}

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
  switch (rc & 0xff) {
    case SQLITE_FULL: {
      std::string path = DbPath(db);
      if (path.empty()) path = db != nullptr ? "the in-memory database" : "the database";
      return absl::ResourceExhaustedError(
          absl::StrCat("no space left on device while writing ", path, " (", message, ")"));
    }
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(absl::StrCat(
          "the database is locked by another connection; retry later (", message, ")"));
    case SQLITE_CORRUPT: {
      std::string path = DbPath(db);
      return absl::DataLossError(absl::StrCat("the database ", path.empty() ? "" : path + " ",
                                              "is damaged (", message, "); ",
                                              DatabaseRecoveryHint(path.empty() ? "DB" : path)));
    }
    case SQLITE_NOTADB:
    case SQLITE_READONLY:
      return absl::FailedPreconditionError(std::move(message));
    default:
      return absl::InternalError(std::move(message));
  }
}

}  // namespace tuner
