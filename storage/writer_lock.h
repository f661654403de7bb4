// One writer per db: an exclusive flock(2) on "<db>.lock" beside the db,
// held for the life of a WriterLock. The kernel releases it when the process
// dies (SIGKILL included), so a crashed server never blocks the next one.
// The file also says who holds it (pid, host, what, since), so that a second
// writer can name the holder in its refusal. Readers (`tuner trials --db`)
// take no lock: SQLite's WAL lets them read while the writer writes.
#ifndef TUNER_STORAGE_WRITER_LOCK_H_
#define TUNER_STORAGE_WRITER_LOCK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace tuner {

// Who holds a db's lock, as the holder wrote it.
struct LockHolder {
  std::string what;  // "tuner serve", "tuner run study.json"
  int64_t pid = 0;
  std::string host;
  std::string since;    // local time, "2026-12-01 10:00:00"
  std::string address;  // its gRPC address once it listens ("" before)

  // "tuner run study.json, pid 42 on host, since 2026-12-01 10:00:00"
  std::string ToString() const;
};

class WriterLock {
 public:
  // Takes the lock of `db_path` for `what` (e.g. "tuner serve"), without
  // waiting. FailedPrecondition naming the holder when another process has
  // it; Internal when the lock file cannot be created.
  static absl::StatusOr<std::unique_ptr<WriterLock>> Acquire(const std::string& db_path,
                                                             const std::string& what);
  ~WriterLock();  // releases the lock (the file stays)

  // Records the holder's gRPC address, so that commands given the db path
  // (`tuner stop --db`) can reach the server that owns it.
  void SetAddress(const std::string& address);

  // The holder of `db_path`'s lock while one holds it; nullopt when the db
  // is free (nobody writes it).
  static std::optional<LockHolder> Holder(const std::string& db_path);

  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

  // "<db>.lock".
  static std::string LockPath(const std::string& db_path);

 private:
  WriterLock(int fd, LockHolder holder) : fd_(fd), holder_(std::move(holder)) {}
  void Write();

  int fd_;
  LockHolder holder_;
};

}  // namespace tuner

#endif  // TUNER_STORAGE_WRITER_LOCK_H_
