// A thin RAII layer over the SQLite C API, used by the SQLite store and its
// schema migrations: one connection with a cache of prepared statements,
// statements that reset themselves when they go out of scope, and transactions
// that roll back unless committed.
//
// Not thread-safe: whoever owns a SqliteDb serialises every call on it (the
// store holds its mutex). Errors come from SqliteStatus (sqlite_status.h).
#ifndef TUNER_STORAGE_SQLITE_DB_H_
#define TUNER_STORAGE_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tuner {

// A prepared statement borrowed from SqliteDb's cache. Parameters are bound
// by position from 1; text is copied by SQLite. The destructor resets the
// statement and clears its bindings so that the next borrower starts afresh.
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  absl::Status Bind(int index, int64_t value);
  absl::Status Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  absl::Status Bind(int index, double value);
  absl::Status Bind(int index, absl::string_view value);
  absl::Status Bind(int index, const std::string& value) {
    return Bind(index, absl::string_view(value));
  }
  absl::Status Bind(int index, const char* value) { return Bind(index, absl::string_view(value)); }
  absl::Status BindNull(int index);

  // Binds args to parameters 1, 2, ... in order.
  template <typename... Args>
  absl::Status BindAll(const Args&... args) {
    absl::Status status;
    int index = 0;
    ((status.ok() ? (status = Bind(++index, args), 0) : 0), ...);
    return status;
  }

  // true: a result row is available; false: the statement has finished.
  absl::StatusOr<bool> Step();
  // Steps to the end, ignoring any result rows.
  absl::Status Run();

  bool IsNull(int column) const;
  int64_t Int(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;

  // Rows changed by the last Run/Step of an INSERT, UPDATE or DELETE.
  int64_t Changes() const;

 private:
  absl::Status Check(int rc, absl::string_view what) const;

  sqlite3_stmt* stmt_;
  sqlite3* db_;
};

class SqliteDb {
 public:
  // Opens (read_only) or opens-or-creates `path`; ":memory:" is a private
  // in-memory database. Sets no pragmas: that is the caller's policy.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path, bool read_only);
  ~SqliteDb();  // finalises the cached statements and closes the connection
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Prepared on first use of a given text, then taken from the cache. A
  // statement may be borrowed once at a time; borrowing it again while it is
  // still stepping is an Internal error.
  absl::StatusOr<Statement> Prepare(const std::string& sql);
  // Runs one or more ';'-separated statements with no parameters, discarding
  // any result rows (schema changes, pragmas). Not cached.
  absl::Status Exec(absl::string_view sql);

  sqlite3* handle() { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// BEGIN (kRead: deferred, a consistent snapshot for several reads) or BEGIN
// IMMEDIATE (kWrite: takes the write lock up front, waiting up to the busy
// timeout, so that read-then-write sequences are atomic across connections).
// Rolled back on destruction unless Commit() succeeded.
class Transaction {
 public:
  enum class Kind { kRead, kWrite };
  static absl::StatusOr<Transaction> Begin(SqliteDb& db, Kind kind);
  Transaction(Transaction&& other) noexcept : db_(other.db_), done_(other.done_) {
    other.done_ = true;
  }
  Transaction(const Transaction&) = delete;
  ~Transaction();

  absl::Status Commit();

 private:
  explicit Transaction(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;
  bool done_ = false;
};

}  // namespace tuner

#endif  // TUNER_STORAGE_SQLITE_DB_H_
