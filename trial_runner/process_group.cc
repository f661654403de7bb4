#include "trial_runner/process_group.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>

namespace tuner {
namespace {

// From /proc/<pid>/stat: whether the process is in group `pgid` and not a
// zombie. The command name (field 2) may hold spaces and parentheses, so the
// fields are read after its last ')'.
bool IsLiveMember(const char* pid, pid_t pgid) {
  const std::string path = std::string("/proc/") + pid + "/stat";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // gone meanwhile
  char buffer[1024];
  ssize_t size;
  do {
    size = ::read(fd, buffer, sizeof buffer - 1);
  } while (size < 0 && errno == EINTR);
  ::close(fd);
  if (size <= 0) return false;
  const std::string_view stat(buffer, static_cast<size_t>(size));
  const size_t close = stat.rfind(')');
  if (close == std::string_view::npos) return false;
  char state = 0;
  long ppid = 0, pgrp = 0;
  buffer[size] = '\0';
  if (std::sscanf(buffer + close + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3) return false;
  return pgrp == pgid && state != 'Z' && state != 'X' && state != 'x';
}

}  // namespace

void SignalProcessGroup(pid_t pgid, int signal) {
  if (pgid > 1) ::kill(-pgid, signal);  // ESRCH: the group is empty
}

bool ProcessGroupHasLiveMembers(pid_t pgid) {
  if (pgid <= 1) return false;
  if (::kill(-pgid, 0) != 0 && errno == ESRCH) return false;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return true;  // cannot tell: assume it lives
  bool live = false;
  while (const dirent* entry = ::readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) continue;
    if (IsLiveMember(entry->d_name, pgid)) {
      live = true;
      break;
    }
  }
  ::closedir(proc);
  return live;
}

}  // namespace tuner
