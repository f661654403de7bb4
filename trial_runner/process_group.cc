#include "trial_runner/process_group.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tuner {
namespace {

// The whole of /proc/<pid>/<file>; "" when it cannot be read (gone meanwhile).
std::string ReadProcFile(const char* pid, const char* file) {
  const std::string path = std::string("/proc/") + pid + "/" + file;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string text;
  char buffer[4096];
  ssize_t size;
  while ((size = ::read(fd, buffer, sizeof buffer)) != 0) {
    if (size < 0) {
      if (errno == EINTR) continue;
      break;
    }
    text.append(buffer, static_cast<size_t>(size));
  }
  ::close(fd);
  return text;
}

// The process group of a live (not zombie) process, from /proc/<pid>/stat.
// The command name (field 2) may hold spaces and parentheses, so the fields
// are read after its last ')'.
std::optional<pid_t> LiveProcessGroup(const char* pid) {
  const std::string stat = ReadProcFile(pid, "stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  char state = 0;
  long ppid = 0, pgrp = 0;
  if (std::sscanf(stat.c_str() + close + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3) {
    return std::nullopt;
  }
  if (state == 'Z' || state == 'X' || state == 'x') return std::nullopt;
  return static_cast<pid_t>(pgrp);
}

// Calls fn(name, value) for each entry of /proc/<pid>/environ.
void ForEachEnvironmentEntry(const char* pid,
                             const std::function<void(std::string_view, std::string_view)>& fn) {
  const std::string environ = ReadProcFile(pid, "environ");
  for (size_t start = 0; start < environ.size();) {
    size_t end = environ.find('\0', start);
    if (end == std::string::npos) end = environ.size();
    const std::string_view entry(environ.data() + start, end - start);
    const size_t eq = entry.find('=');
    if (eq != std::string_view::npos) fn(entry.substr(0, eq), entry.substr(eq + 1));
    start = end + 1;
  }
}

// Whether /proc/<pid>/environ holds every name=value of `marks`.
bool EnvironmentCarries(const char* pid, const std::map<std::string, std::string>& marks) {
  size_t found = 0;
  ForEachEnvironmentEntry(pid, [&](std::string_view name, std::string_view value) {
    auto it = marks.find(std::string(name));
    if (it != marks.end() && value == it->second) ++found;
  });
  return found == marks.size();
}

// Calls fn(pid) for every process in /proc; stops when fn returns true.
void ForEachProcess(const std::function<bool(const char*)>& fn) {
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return;
  while (const dirent* entry = ::readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) continue;
    if (fn(entry->d_name)) break;
  }
  ::closedir(proc);
}

}  // namespace

void SignalProcessGroup(pid_t pgid, int signal) {
  if (pgid > 1) ::kill(-pgid, signal);  // ESRCH: the group is empty
}

bool ProcessGroupHasLiveMembers(pid_t pgid) {
  if (pgid <= 1) return false;
  if (::kill(-pgid, 0) != 0 && errno == ESRCH) return false;
  if (::access("/proc", R_OK) != 0) return true;  // cannot tell: assume it lives
  bool live = false;
  ForEachProcess([&](const char* pid) { return live = LiveProcessGroup(pid) == pgid; });
  return live;
}

bool ProcessGroupCarries(pid_t pgid, const std::map<std::string, std::string>& marks) {
  if (pgid <= 1) return false;
  if (::kill(-pgid, 0) != 0 && errno == ESRCH) return false;
  bool carries = false;
  ForEachProcess([&](const char* pid) {
    return carries = LiveProcessGroup(pid) == pgid && EnvironmentCarries(pid, marks);
  });
  return carries;
}

std::vector<std::map<std::string, std::string>> LiveEnvironments(
    const std::vector<std::string>& names) {
  std::vector<std::map<std::string, std::string>> out;
  ForEachProcess([&](const char* pid) {
    if (!LiveProcessGroup(pid)) return false;
    std::map<std::string, std::string> found;
    ForEachEnvironmentEntry(pid, [&](std::string_view name, std::string_view value) {
      if (std::find(names.begin(), names.end(), name) != names.end()) {
        found[std::string(name)] = std::string(value);
      }
    });
    if (!found.empty()) out.push_back(std::move(found));
    return false;
  });
  return out;
}

std::vector<pid_t> ProcessesCarrying(const std::map<std::string, std::string>& marks) {
  std::vector<pid_t> pids;
  ForEachProcess([&](const char* pid) {
    if (LiveProcessGroup(pid) && EnvironmentCarries(pid, marks)) {
      pids.push_back(static_cast<pid_t>(std::atol(pid)));
    }
    return false;
  });
  return pids;
}

bool ProcessCarries(pid_t pid, const std::map<std::string, std::string>& marks) {
  const std::string name = std::to_string(pid);
  return pid > 1 && LiveProcessGroup(name.c_str()) && EnvironmentCarries(name.c_str(), marks);
}

std::vector<pid_t> ProcessGroupsCarrying(const std::map<std::string, std::string>& marks) {
  std::vector<pid_t> groups;
  ForEachProcess([&](const char* pid) {
    const std::optional<pid_t> pgrp = LiveProcessGroup(pid);
    if (!pgrp || *pgrp <= 1 || !EnvironmentCarries(pid, marks)) return false;
    if (std::find(groups.begin(), groups.end(), *pgrp) == groups.end()) groups.push_back(*pgrp);
    return false;
  });
  return groups;
}

}  // namespace tuner
