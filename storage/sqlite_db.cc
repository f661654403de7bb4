#include "storage/sqlite_db.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/sqlite_status.h"

namespace tuner {

Statement::Statement(Statement&& other) noexcept : stmt_(other.stmt_), db_(other.db_) {
  other.stmt_ = nullptr;
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

absl::Status Statement::Check(int rc, absl::string_view what) const {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return absl::OkStatus();
  return SqliteStatus(rc, db_, absl::StrCat(what, " [", sqlite3_sql(stmt_), "]"));
}

absl::Status Statement::Bind(int index, int64_t value) {
  return Check(sqlite3_bind_int64(stmt_, index, value), "bind");
}

absl::Status Statement::Bind(int index, double value) {
  return Check(sqlite3_bind_double(stmt_, index, value), "bind");
}

absl::Status Statement::Bind(int index, absl::string_view value) {
  // A non-null pointer even for "" so that the value is '' rather than NULL.
  return Check(sqlite3_bind_text64(stmt_, index, value.empty() ? "" : value.data(), value.size(),
                                   SQLITE_TRANSIENT, SQLITE_UTF8),
               "bind");
}

absl::Status Statement::BindNull(int index) {
  return Check(sqlite3_bind_null(stmt_, index), "bind");
}

absl::StatusOr<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Check(rc, "step");
}

absl::Status Statement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::Double(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt_, column));
}

int64_t Statement::Changes() const { return sqlite3_changes64(db_); }

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, bool read_only) {
  // NOMUTEX: the owner serialises access (see the header), so SQLite's own
  // per-connection mutex would only add cost.
  int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
              SQLITE_OPEN_NOMUTEX;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteStatus(rc, db, absl::StrCat("open \"", path, "\""));
    sqlite3_close(db);  // a handle is returned even on failure (or null)
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db));
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

absl::StatusOr<Statement> SqliteDb::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()) + 1,
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return SqliteStatus(rc, db_, absl::StrCat("prepare [", sql, "]"));
    }
    it = cache_.emplace(sql, stmt).first;
  } else if (sqlite3_stmt_busy(it->second)) {
    return absl::InternalError(absl::StrCat("sqlite: statement already in use [", sql, "]"));
  }
  return Statement(it->second, db_);
}

absl::Status SqliteDb::Exec(absl::string_view sql) {
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  return SqliteStatus(rc, db_, absl::StrCat("exec [", sql, "]"));
}

absl::StatusOr<Transaction> Transaction::Begin(SqliteDb& db, Kind kind) {
  absl::StatusOr<Statement> begin = db.Prepare(kind == Kind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
  if (!begin.ok()) return begin.status();
  if (absl::Status status = begin->Run(); !status.ok()) return status;
  return Transaction(&db);
}

absl::Status Transaction::Commit() {
  absl::StatusOr<Statement> commit = db_->Prepare("COMMIT");
  if (!commit.ok()) return commit.status();
  absl::Status status = commit->Run();
  if (status.ok()) done_ = true;
  return status;
}

Transaction::~Transaction() {
  if (done_) return;
  // Some errors (e.g. SQLITE_FULL) roll back by themselves; then autocommit is
  // already on and there is nothing left to undo.
  if (sqlite3_get_autocommit(db_->handle())) return;
  absl::StatusOr<Statement> rollback = db_->Prepare("ROLLBACK");
  if (rollback.ok()) (void)rollback->Run();
}

}  // namespace tuner
