#include "storage/sqlite_file.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/sqlite_status.h"

namespace tuner {
namespace {

constexpr char kSqliteHeader[16] = "SQLite format 3";  // with its '\0', 16 bytes
constexpr mode_t kDbFileMode = 0600;
constexpr int kBackupBusyRetries = 100;  // x 100 ms
constexpr auto kBackupBusyWait = std::chrono::milliseconds(100);

absl::Status ErrnoStatus(int error, absl::string_view what, absl::string_view path) {
  std::string message = absl::StrCat(what, " \"", path, "\": ", std::strerror(error));
  switch (error) {
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(
          absl::StrCat("no space left on device while writing ", path, " (", message, ")"));
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(std::move(message));
    case ENOENT:
      return absl::NotFoundError(std::move(message));
    default:
      return absl::FailedPreconditionError(std::move(message));
  }
}

std::string Directory(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

// fsync of the directory holding `path`, so that a rename or link into it is
// durable. Best effort: some file systems refuse fsync on directories.
void SyncDirectory(const std::string& path) {
  int fd = ::open(Directory(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// Creates `path` empty with kDbFileMode (less the umask); AlreadyExists if it
// exists.
absl::Status CreateExclusive(const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, kDbFileMode);
  if (fd < 0) {
    if (errno == EEXIST) return absl::AlreadyExistsError(absl::StrCat("\"", path, "\" exists"));
    return ErrnoStatus(errno, "cannot create", path);
  }
  ::close(fd);
  return absl::OkStatus();
}

// Writes a valid empty SQLite database into the (empty) file `path`.
absl::Status InitialiseEmptyDatabase(const std::string& path) {
  absl::StatusOr<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(path, /*read_only=*/false);
  if (!db.ok()) return db.status();
  // Any committed write makes SQLite write its header (page 1).
  return (*db)->Exec("CREATE TABLE tuner_new_file (x); DROP TABLE tuner_new_file;");
}

absl::Status CreateDatabaseFile(const std::string& path) {
  const std::string temp = absl::StrCat(path, ".new-", ::getpid());
  ::unlink(temp.c_str());  // left by an earlier crash of this pid
  if (absl::Status s = CreateExclusive(temp); !s.ok()) return s;
  absl::Status status = InitialiseEmptyDatabase(temp);
  if (status.ok()) {
    // link(2) never replaces: if another process created `path` meanwhile,
    // its file wins and is checked like any existing file.
    if (::link(temp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
      if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP) {
        // No hard links on this file system: a rename, guarded by a check.
        struct stat st;
        if (::stat(path.c_str(), &st) != 0 && ::rename(temp.c_str(), path.c_str()) != 0) {
          status = ErrnoStatus(errno, "cannot create", path);
        }
      } else {
        status = ErrnoStatus(errno, "cannot create", path);
      }
    }
  }
  ::unlink(temp.c_str());
  ::unlink((temp + "-journal").c_str());
  if (status.ok()) SyncDirectory(path);
  return status;
}

}  // namespace

absl::Status PrepareDatabaseFile(const std::string& path, bool create_if_missing) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return ErrnoStatus(errno, "cannot read the database file", path);
    if (!create_if_missing) {
      return absl::NotFoundError(absl::StrCat("database file \"", path, "\" does not exist"));
    }
    if (absl::Status s = CreateDatabaseFile(path); !s.ok()) return s;
    if (::stat(path.c_str(), &st) != 0) {
      return ErrnoStatus(errno, "cannot read the database file", path);
    }
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", path, "\" is not a regular file, so not an SQLite database"));
  }
  if (st.st_size == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database file \"", path,
        "\" is empty (0 bytes), not an SQLite database; refusing to use it as a new store. "
        "If it is meant to be new, remove it (a missing file is created); otherwise restore it "
        "from a backup"));
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot read the database file", path);
  char header[sizeof(kSqliteHeader)] = {};
  ssize_t got = ::pread(fd, header, sizeof(header), 0);
  int read_errno = errno;
  ::close(fd);
  if (got < 0) return ErrnoStatus(read_errno, "cannot read the database file", path);
  if (got != static_cast<ssize_t>(sizeof(header)) ||
      std::memcmp(header, kSqliteHeader, sizeof(header)) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", path,
                     "\" is not an SQLite database (its first bytes are not the SQLite header); "
                     "refusing to open it. Check the path, or restore the file from a backup"));
  }
  return absl::OkStatus();
}

absl::Status QuickCheckDatabase(SqliteDb& db, const std::string& path) {
  absl::StatusOr<Statement> check = db.Prepare("PRAGMA quick_check(1)");
  std::string problem;
  if (check.ok()) {
    absl::StatusOr<bool> row = check->Step();
    if (!row.ok()) {
      problem = std::string(row.status().message());
    } else if (*row && check->Text(0) != "ok") {
      problem = check->Text(0);
    }
  } else {
    problem = std::string(check.status().message());
  }
  if (problem.empty()) return absl::OkStatus();
  std::replace(problem.begin(), problem.end(), '\n', ' ');  // one line
  return absl::DataLossError(absl::StrCat("the database \"", path,
                                          "\" is damaged (PRAGMA quick_check: ", problem,
                                          "); refusing to open it. ", DatabaseRecoveryHint(path)));
}

absl::StatusOr<DatabaseCheckResult> CheckDatabase(const std::string& path, int max_problems) {
  if (absl::Status s = PrepareDatabaseFile(path, /*create_if_missing=*/false); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(path, /*read_only=*/true);
  if (!db.ok()) return db.status();
  DatabaseCheckResult result;
  absl::StatusOr<Statement> check =
      (*db)->Prepare(absl::StrCat("PRAGMA integrity_check(", std::max(1, max_problems), ")"));
  if (!check.ok()) {
    result.problems.push_back(std::string(check.status().message()));
    return result;
  }
  while (true) {
    absl::StatusOr<bool> row = check->Step();
    if (!row.ok()) {
      if (row.status().code() == absl::StatusCode::kUnavailable) return row.status();
      result.problems.push_back(std::string(row.status().message()));
      break;
    }
    if (!*row) break;
    std::string text = check->Text(0);
    if (text != "ok") result.problems.push_back(std::move(text));
  }
  return result;
}

absl::Status BackupDatabase(const std::string& src, const std::string& dst) {
  if (absl::Status s = PrepareDatabaseFile(src, /*create_if_missing=*/false); !s.ok()) return s;
  struct stat st;
  if (::lstat(dst.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("backup destination \"", dst, "\" exists; a backup never overwrites"));
  }
  absl::StatusOr<std::unique_ptr<SqliteDb>> from = SqliteDb::Open(src, /*read_only=*/true);
  if (!from.ok()) return from.status();

  const std::string partial = dst + ".partial";
  if (absl::Status s = CreateExclusive(partial); !s.ok()) {
    if (s.code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError(
          absl::StrCat("\"", partial, "\" exists: another backup to \"", dst,
                       "\" is running, or one was interrupted (then remove that file and retry)"));
    }
    return s;
  }
  absl::Status status = [&]() -> absl::Status {
    absl::StatusOr<std::unique_ptr<SqliteDb>> to = SqliteDb::Open(partial, /*read_only=*/false);
    if (!to.ok()) return to.status();
    sqlite3_backup* backup =
        sqlite3_backup_init((*to)->handle(), "main", (*from)->handle(), "main");
    if (backup == nullptr) {
      return SqliteStatus(sqlite3_errcode((*to)->handle()), (*to)->handle(), "backup init");
    }
    int rc = SQLITE_OK;
    for (int attempt = 0;; ++attempt) {
      rc = sqlite3_backup_step(backup, -1);  // all pages in one step: one snapshot
      if (rc == SQLITE_DONE) break;
      if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && attempt < kBackupBusyRetries) {
        std::this_thread::sleep_for(kBackupBusyWait);
        continue;
      }
      break;
    }
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) {
      // Errors reading src are reported on src's connection, others on dst's.
      sqlite3* where = (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB
                           ? (*from)->handle()
                           : (*to)->handle();
      return SqliteStatus(rc, where, absl::StrCat("backup of \"", src, "\" to \"", dst, "\""));
    }
    // The copy is only as good as the source: check it before it is named dst.
    if (absl::Status s = QuickCheckDatabase(**to, src); !s.ok()) return s;
    return absl::OkStatus();
  }();  // closes dst (checkpointing and removing its -wal, if any)
  if (status.ok()) {
    if (::rename(partial.c_str(), dst.c_str()) != 0) {
      status = ErrnoStatus(errno, "cannot rename the backup to", dst);
    } else {
      SyncDirectory(dst);
      return absl::OkStatus();
    }
  }
  ::unlink(partial.c_str());
  ::unlink((partial + "-journal").c_str());
  ::unlink((partial + "-wal").c_str());
  ::unlink((partial + "-shm").c_str());
  return status;
}

}  // namespace tuner
