#include "storage/writer_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

namespace tuner {
namespace {

std::string HostName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "?";
  return host;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[512];
  ssize_t n;
  off_t offset = 0;
  while ((n = pread(fd, buf, sizeof buf, offset)) > 0 && out.size() < 8192) {
    out.append(buf, static_cast<size_t>(n));
    offset += n;
  }
  return out;
}

std::optional<LockHolder> Parse(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  LockHolder h;
  h.what = j.value("what", "");
  h.pid = j.value("pid", int64_t{0});
  h.host = j.value("host", "");
  h.since = j.value("since", "");
  h.address = j.value("address", "");
  return h;
}

}  // namespace

std::string LockHolder::ToString() const {
  return what + ", pid " + std::to_string(pid) + " on " + host + ", since " + since;
}

std::string WriterLock::LockPath(const std::string& db_path) { return db_path + ".lock"; }

absl::StatusOr<std::unique_ptr<WriterLock>> WriterLock::Acquire(const std::string& db_path,
                                                                const std::string& what) {
  const std::string path = LockPath(db_path);
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError("cannot create the lock file " + path + ": " + std::strerror(errno));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::optional<LockHolder> holder = Parse(ReadAll(fd));
    close(fd);
    if (err != EWOULDBLOCK) {
      return absl::InternalError("cannot lock " + path + ": " + std::strerror(err));
    }
    return absl::FailedPreconditionError(
        db_path + " is in use by another writer (" + (holder ? holder->ToString() : "unknown") +
        "); wait for it to finish or stop it, or talk to it with --server " +
        (holder && !holder->address.empty() ? holder->address : "HOST:PORT"));
  }
  char since[32] = {};
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  std::strftime(since, sizeof since, "%Y-%m-%d %H:%M:%S", &tm);
  std::unique_ptr<WriterLock> lock(
      new WriterLock(fd, LockHolder{what, static_cast<int64_t>(getpid()), HostName(), since, ""}));
  lock->Write();
  return lock;
}

void WriterLock::Write() {
  const std::string text = nlohmann::json{{"what", holder_.what},
                                          {"pid", holder_.pid},
                                          {"host", holder_.host},
                                          {"since", holder_.since},
                                          {"address", holder_.address}}
                               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                           "\n";
  // The lock holds without the note; the next writer's message says less.
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, text.data(), text.size(), 0) < 0) return;
}

void WriterLock::SetAddress(const std::string& address) {
  holder_.address = address;
  Write();
}

std::optional<LockHolder> WriterLock::Holder(const std::string& db_path) {
  const int fd = open(LockPath(db_path).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<LockHolder> holder;
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);  // nobody holds it
  } else {
    holder = Parse(ReadAll(fd));
  }
  close(fd);
  return holder;
}

WriterLock::~WriterLock() {
  flock(fd_, LOCK_UN);
  close(fd_);
}

}  // namespace tuner
