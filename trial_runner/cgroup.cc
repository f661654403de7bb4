#include "trial_runner/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace tuner {
namespace {

absl::Status ErrnoError(const std::string& what, int error) {
  return absl::Status(absl::ErrnoToStatusCode(error), what + ": " + std::strerror(error));
}

std::string ReadSmallFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t size = ::read(fd, buffer, sizeof buffer);
    if (size < 0 && errno == EINTR) continue;
    if (size <= 0) break;
    text.append(buffer, static_cast<size_t>(size));
  }
  ::close(fd);
  return text;
}

std::string Quote(const std::string& text) { return "\"" + text + "\""; }

bool Exists(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

// The names of the sub-directories of `path` (child groups).
std::vector<std::string> SubGroups(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return names;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_type != DT_DIR || entry->d_name[0] == '.') continue;
    names.push_back(entry->d_name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string digits(field.substr(i + 1, 3));
      if (digits.size() == 3 &&
          std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out += static_cast<char>(std::strtol(digits.c_str(), nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

// The pid of a "run-<pid>" name; 0 when it is not one.
pid_t RunOwner(const std::string& name) {
  if (name.rfind("run-", 0) != 0 || name.size() == 4) return 0;
  char* end = nullptr;
  const long pid = std::strtol(name.c_str() + 4, &end, 10);
  return *end == '\0' && pid > 0 ? static_cast<pid_t>(pid) : 0;
}

}  // namespace

std::string FindCgroup2Mount(std::string_view mountinfo) {
  std::istringstream lines{std::string(mountinfo)};
  for (std::string line; std::getline(lines, line);) {
    // id parent major:minor root mount-point options [optional...] - type source super-options
    const size_t separator = line.find(" - ");
    if (separator == std::string::npos) continue;
    std::istringstream after(line.substr(separator + 3));
    std::string type;
    after >> type;
    if (type != "cgroup2") continue;
    std::istringstream before(line.substr(0, separator));
    std::string id, parent, device, root, mount_point;
    if (before >> id >> parent >> device >> root >> mount_point) return Unescape(mount_point);
  }
  return "";
}

std::string CurrentCgroup2Mount() {
  return FindCgroup2Mount(ReadSmallFile("/proc/self/mountinfo"));
}

absl::Status MakeCgroup(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoError("cannot create cgroup " + path, errno);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CreateRunCgroup(const std::string& mount, pid_t owner) {
  if (mount.empty()) return absl::FailedPreconditionError("no cgroup v2 hierarchy is mounted");
  const std::string base = mount + "/tuner";
  if (absl::Status made = MakeCgroup(base); !made.ok()) return made;
  if (!Exists(base + "/cgroup.kill")) {
    return absl::FailedPreconditionError(base + " has no cgroup.kill (Linux < 5.14)");
  }
  const std::string run = base + "/run-" + std::to_string(owner);
  if (absl::Status made = MakeCgroup(run); !made.ok()) return made;
  return run;
}

std::vector<pid_t> CgroupProcesses(const std::string& path) {
  std::vector<pid_t> pids;
  std::istringstream procs(ReadSmallFile(path + "/cgroup.procs"));
  for (long pid; procs >> pid;) pids.push_back(static_cast<pid_t>(pid));
  for (const std::string& sub : SubGroups(path)) {
    const std::vector<pid_t> below = CgroupProcesses(path + "/" + sub);
    pids.insert(pids.end(), below.begin(), below.end());
  }
  return pids;
}

void SignalCgroup(const std::string& path, int signal) {
  for (pid_t pid : CgroupProcesses(path)) {
    if (pid > 1) ::kill(pid, signal);
  }
}

absl::Status KillCgroup(const std::string& path) {
  const int fd = ::open((path + "/cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno == ENOENT ? absl::OkStatus() : ErrnoError("cannot open " + path, errno);
  }
  const bool written = ::write(fd, "1", 1) == 1;
  const int error = errno;
  ::close(fd);
  return written ? absl::OkStatus() : ErrnoError("cannot kill cgroup " + path, error);
}

bool CgroupPopulated(const std::string& path) {
  const std::string events = ReadSmallFile(path + "/cgroup.events");
  return events.find("populated 1") != std::string::npos;
}

absl::Status RemoveCgroup(const std::string& path) {
  for (const std::string& sub : SubGroups(path)) {
    if (absl::Status removed = RemoveCgroup(path + "/" + sub); !removed.ok()) return removed;
  }
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError("cannot remove cgroup " + path, errno);
  }
  return absl::OkStatus();
}

std::string CpuMax(double cpus) {
  constexpr long kPeriod = 100000;
  const double quota = std::max(1000.0, std::min(cpus * kPeriod, 1e15));
  return std::to_string(static_cast<long long>(quota + 0.5)) + " " + std::to_string(kPeriod);
}

absl::Status WriteCgroupFile(const std::string& path, const std::string& file,
                             const std::string& value) {
  const std::string target = path + "/" + file;
  const int fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open " + target, errno);
  const bool written =
      ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  const int error = errno;
  ::close(fd);
  return written ? absl::OkStatus()
                 : ErrnoError("cannot write " + Quote(value) + " to " + target, error);
}

absl::Status EnableControllers(const std::string& mount, const std::string& path,
                               const std::vector<std::string>& controllers) {
  std::istringstream offered_text(ReadSmallFile(mount + "/cgroup.controllers"));
  std::vector<std::string> offered;
  for (std::string name; offered_text >> name;) offered.push_back(name);
  std::string missing, enable;
  for (const std::string& controller : controllers) {
    if (std::find(offered.begin(), offered.end(), controller) == offered.end()) {
      missing += (missing.empty() ? "" : ", ") + controller;
    }
    enable += (enable.empty() ? "+" : " +") + controller;
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError("the cgroup v2 hierarchy at " + mount + " has no " +
                                         missing + " controller");
  }
  if (path.rfind(mount + "/", 0) != 0) {
    return absl::InvalidArgumentError(path + " is not below " + mount);
  }
  // mount, then each group on the way down to path (path included).
  std::string group = mount;
  size_t next = mount.size();
  for (;;) {
    if (absl::Status written = WriteCgroupFile(group, "cgroup.subtree_control", enable);
        !written.ok()) {
      return written;
    }
    if (next >= path.size()) break;
    next = path.find('/', next + 1);
    if (next == std::string::npos) next = path.size();
    group = path.substr(0, next);
  }
  return absl::OkStatus();
}

std::vector<std::string> ForeignTrialCgroups(const std::string& mount, int64_t trial_id,
                                             pid_t own) {
  std::vector<std::string> found;
  if (mount.empty()) return found;
  const std::string base = mount + "/tuner";
  const std::string trial = "trial-" + std::to_string(trial_id);
  for (const std::string& run : SubGroups(base)) {
    const pid_t owner = RunOwner(run);
    if (owner == 0 || owner == own) continue;
    const std::string path = base + "/" + run + "/" + trial;
    if (Exists(path)) found.push_back(path);
  }
  return found;
}

void RemoveDeadRunCgroups(const std::string& mount) {
  if (mount.empty()) return;
  const std::string base = mount + "/tuner";
  for (const std::string& run : SubGroups(base)) {
    const pid_t owner = RunOwner(run);
    if (owner == 0 || ::kill(owner, 0) == 0 || errno != ESRCH) continue;
    const std::string path = base + "/" + run;
    for (const std::string& trial : SubGroups(path)) {
      if (!CgroupPopulated(path + "/" + trial)) (void)RemoveCgroup(path + "/" + trial);
    }
    ::rmdir(path.c_str());  // EBUSY while a populated trial group is left
  }
}

}  // namespace tuner
