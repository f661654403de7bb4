#include "trial_runner/process_group.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
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

// Whether /proc/<pid>/environ holds every name=value of `marks`.
bool EnvironmentCarries(const char* pid, const std::map<std::string, std::string>& marks) {
  const std::string path = std::string("/proc/") + pid + "/environ";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string environ;
  char buffer[4096];
  ssize_t size;
  while ((size = ::read(fd, buffer, sizeof buffer)) != 0) {
    if (size < 0) {
      if (errno == EINTR) continue;
      break;
    }
    environ.append(buffer, static_cast<size_t>(size));
  }
  ::close(fd);
  size_t found = 0;
  for (size_t start = 0; start < environ.size();) {
    size_t end = environ.find('\0', start);
    if (end == std::string::npos) end = environ.size();
    const std::string_view entry(environ.data() + start, end - start);
    const size_t eq = entry.find('=');
    if (eq != std::string_view::npos) {
      auto it = marks.find(std::string(entry.substr(0, eq)));
      if (it != marks.end() && entry.substr(eq + 1) == it->second) ++found;
    }
    start = end + 1;
  }
  return found == marks.size();
}

}  // namespace

bool ProcessGroupCarries(pid_t pgid, const std::map<std::string, std::string>& marks) {
  if (pgid <= 1) return false;
  if (::kill(-pgid, 0) != 0 && errno == ESRCH) return false;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return false;
  bool carries = false;
  while (const dirent* entry = ::readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) continue;
    if (IsLiveMember(entry->d_name, pgid) && EnvironmentCarries(entry->d_name, marks)) {
      carries = true;
      break;
    }
  }
  ::closedir(proc);
  return carries;
}

std::vector<std::map<std::string, std::string>> LiveEnvironments(
    const std::vector<std::string>& names) {
  std::vector<std::map<std::string, std::string>> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return out;
  while (const dirent* entry = ::readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) continue;
    const std::string path = std::string("/proc/") + entry->d_name + "/environ";
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr) continue;
    std::string environ;
    char buffer[4096];
    size_t size;
    while ((size = std::fread(buffer, 1, sizeof buffer, f)) > 0) environ.append(buffer, size);
    std::fclose(f);
    std::map<std::string, std::string> found;
    for (size_t start = 0; start < environ.size();) {
      size_t end = environ.find('\0', start);
      if (end == std::string::npos) end = environ.size();
      const std::string_view item(environ.data() + start, end - start);
      const size_t eq = item.find('=');
      if (eq != std::string_view::npos) {
        const std::string name(item.substr(0, eq));
        if (std::find(names.begin(), names.end(), name) != names.end()) {
          found[name] = std::string(item.substr(eq + 1));
        }
      }
      start = end + 1;
    }
    if (!found.empty()) out.push_back(std::move(found));
  }
  ::closedir(proc);
  return out;
}

std::vector<pid_t> ProcessGroupsCarrying(const std::map<std::string, std::string>& marks) {
  std::vector<pid_t> groups;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return groups;
  while (const dirent* entry = ::readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) continue;
    if (!EnvironmentCarries(entry->d_name, marks)) continue;
    const std::string path = std::string("/proc/") + entry->d_name + "/stat";
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr) continue;
    char buffer[1024];
    const size_t size = std::fread(buffer, 1, sizeof buffer - 1, f);
    std::fclose(f);
    buffer[size] = '\0';
    const char* close = std::strrchr(buffer, ')');
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (close == nullptr || std::sscanf(close + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3) {
      continue;
    }
    if (state == 'Z' || state == 'X' || pgrp <= 1) continue;
    if (std::find(groups.begin(), groups.end(), pgrp) == groups.end()) {
      groups.push_back(static_cast<pid_t>(pgrp));
    }
  }
  ::closedir(proc);
  return groups;
}

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
