#include "trial_runner/launch_watchdog.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace tuner {
namespace {

constexpr int kWatch = 1;
constexpr int kUnwatch = 2;
constexpr int kMaxGroups = 4096;

struct Message {
  int32_t op;
  int32_t pgid;
};

absl::Status ErrnoError(const std::string& what, int error) {
  return absl::Status(absl::ErrnoToStatusCode(error), what + ": " + std::strerror(error));
}

// What the watchdog needs, prepared before fork (no allocation after it).
struct Plan {
  int socket;
  const char* run_cgroup;   // null = none
  const char* kill_file;    // <run_cgroup>/cgroup.kill
  const char* events_file;  // <run_cgroup>/cgroup.events
  const char* mark;         // null = none
  size_t mark_size;
};

void SleepMs(long ms) {
  timespec delay{0, ms * 1000000L};
  while (::nanosleep(&delay, &delay) != 0 && errno == EINTR) {
  }
}

// Reads up to size - 1 bytes of `path`; the count read (0 on error).
size_t ReadInto(const char* path, char* buffer, size_t size) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  size_t total = 0;
  while (total + 1 < size) {
    const ssize_t got = ::read(fd, buffer + total, size - 1 - total);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    total += static_cast<size_t>(got);
  }
  ::close(fd);
  buffer[total] = '\0';
  return total;
}

bool HasEntry(const char* data, size_t size, const char* entry, size_t entry_size) {
  for (size_t start = 0; start < size;) {
    size_t end = start;
    while (end < size && data[end] != '\0') ++end;
    if (end - start == entry_size && std::memcmp(data + start, entry, entry_size) == 0) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

struct Dirent64 {
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[1];
};

// Calls fn(name, type) for each entry of the open directory `fd`.
template <typename Fn>
void ForEachEntry(int fd, Fn fn) {
  alignas(8) char buffer[4096];
  for (;;) {
    const long got = ::syscall(SYS_getdents64, fd, buffer, sizeof buffer);
    if (got <= 0) return;
    for (long offset = 0; offset < got;) {
      const Dirent64* entry = reinterpret_cast<const Dirent64*>(buffer + offset);
      offset += entry->reclen;
      if (entry->name[0] == '.') continue;
      fn(entry->name, entry->type);
    }
  }
}

char environ_buffer[1 << 20];  // the watchdog's only: a copy after fork

// SIGKILL to every process carrying the mark, until a scan finds none (they
// may fork meanwhile); at most ~5 s.
void KillMarked(const Plan& plan) {
  if (plan.mark == nullptr) return;
  const pid_t self = ::getpid();
  for (int round = 0; round < 250; ++round) {
    int found = 0;
    const int proc = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (proc < 0) return;
    ForEachEntry(proc, [&](const char* name, unsigned char) {
      long pid = 0;
      for (const char* c = name; *c; ++c) {
        if (*c < '0' || *c > '9') return;
        pid = pid * 10 + (*c - '0');
      }
      if (pid <= 1 || pid == self) return;
      char path[64] = "/proc/";
      size_t length = 6;
      for (const char* c = name; *c && length < 40; ++c) path[length++] = *c;
      std::memcpy(path + length, "/environ", 9);
      const size_t size = ReadInto(path, environ_buffer, sizeof environ_buffer);
      if (HasEntry(environ_buffer, size, plan.mark, plan.mark_size)) {
        ::kill(static_cast<pid_t>(pid), SIGKILL);
        ++found;
      }
    });
    ::close(proc);
    if (found == 0) return;
    SleepMs(20);
  }
}

// Removes the groups below the open group directory `fd`, deepest first.
void RemoveBelow(int fd, int depth) {
  if (depth > 4) return;
  ForEachEntry(fd, [&](const char* name, unsigned char type) {
    if (type != DT_DIR) return;
    const int sub = ::openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sub < 0) return;
    RemoveBelow(sub, depth + 1);
    ::close(sub);
    ::unlinkat(fd, name, AT_REMOVEDIR);
  });
}

void EndRunCgroup(const Plan& plan) {
  if (plan.run_cgroup == nullptr) return;
  const int kill_fd = ::open(plan.kill_file, O_WRONLY | O_CLOEXEC);
  if (kill_fd >= 0) {
    ssize_t ignored = ::write(kill_fd, "1", 1);
    (void)ignored;
    ::close(kill_fd);
  }
  char events[512];
  for (int i = 0; i < 1000; ++i) {  // 10 s
    const size_t size = ReadInto(plan.events_file, events, sizeof events);
    if (size == 0 || std::strstr(events, "populated 0") != nullptr) break;
    SleepMs(10);
  }
  const int run = ::open(plan.run_cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (run >= 0) {
    RemoveBelow(run, 0);
    ::close(run);
  }
  ::rmdir(plan.run_cgroup);
}

[[noreturn]] void RunWatchdog(const Plan& plan) {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = SIG_DFL;
  for (int signal = 1; signal < NSIG; ++signal) {
    if (signal != SIGKILL && signal != SIGSTOP) ::sigaction(signal, &action, nullptr);
  }
  action.sa_handler = SIG_IGN;
  for (int signal : {SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGPIPE})
    ::sigaction(signal, &action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Only the socket stays open: no other descriptor of the launcher (a
  // pipe's write end, a listening socket) outlives it here.
  const unsigned socket = static_cast<unsigned>(plan.socket);
#ifdef SYS_close_range
  if ((socket == 0 || ::syscall(SYS_close_range, 0U, socket - 1, 0U) == 0) &&
      ::syscall(SYS_close_range, socket + 1, ~0U, 0U) == 0) {
    // done
  } else
#endif
  {
    for (int fd = 0; fd < 4096; ++fd) {
      if (fd != plan.socket) ::close(fd);
    }
  }

  pid_t groups[kMaxGroups];
  int count = 0;
  for (;;) {
    Message message;
    const ssize_t got = ::recv(plan.socket, &message, sizeof message, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got != static_cast<ssize_t>(sizeof message)) break;  // EOF: the launcher is gone
    if (message.op == kWatch && count < kMaxGroups && message.pgid > 1) {
      groups[count++] = message.pgid;
    } else if (message.op == kUnwatch) {
      for (int i = 0; i < count; ++i) {
        if (groups[i] == message.pgid) {
          groups[i] = groups[--count];
          break;
        }
      }
    }
  }
  for (int i = 0; i < count; ++i) ::kill(-groups[i], SIGKILL);
  KillMarked(plan);
  EndRunCgroup(plan);
  ::_exit(0);
}

}  // namespace

absl::StatusOr<std::unique_ptr<LaunchWatchdog>> LaunchWatchdog::Start(const std::string& run_cgroup,
                                                                      const std::string& mark) {
  int sockets[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0) {
    return ErrnoError("socketpair", errno);
  }
  const std::string kill_file = run_cgroup + "/cgroup.kill";
  const std::string events_file = run_cgroup + "/cgroup.events";
  const Plan plan{.socket = sockets[1],
                  .run_cgroup = run_cgroup.empty() ? nullptr : run_cgroup.c_str(),
                  .kill_file = kill_file.c_str(),
                  .events_file = events_file.c_str(),
                  .mark = mark.empty() ? nullptr : mark.c_str(),
                  .mark_size = mark.size()};
  sigset_t all_signals, saved;
  sigfillset(&all_signals);
  ::pthread_sigmask(SIG_SETMASK, &all_signals, &saved);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  const pid_t pid = ::_Fork();
#else
  const pid_t pid = ::fork();
#endif
  if (pid == 0) RunWatchdog(plan);
  const int fork_error = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  ::close(sockets[1]);
  if (pid < 0) {
    ::close(sockets[0]);
    return ErrnoError("fork", fork_error);
  }
  return std::unique_ptr<LaunchWatchdog>(new LaunchWatchdog(pid, sockets[0]));
}

LaunchWatchdog::~LaunchWatchdog() {
  ::close(socket_);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

absl::Status LaunchWatchdog::Send(int op, pid_t pgid) {
  const Message message{op, static_cast<int32_t>(pgid)};
  std::lock_guard<std::mutex> lock(mutex_);
  ssize_t sent;
  do {
    sent = ::send(socket_, &message, sizeof message, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent != static_cast<ssize_t>(sizeof message)) {
    return absl::UnavailableError("the launch watchdog is gone: " +
                                  std::string(std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status LaunchWatchdog::Watch(pid_t pgid) { return Send(kWatch, pgid); }

absl::Status LaunchWatchdog::Unwatch(pid_t pgid) { return Send(kUnwatch, pgid); }

}  // namespace tuner
