#include "trial_runner/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"

extern char** environ;

namespace tuner {
namespace {

constexpr char kDefaultPath[] = "/usr/local/bin:/usr/bin:/bin";

absl::Status ErrnoError(const std::string& what, int error) {
  return absl::Status(absl::ErrnoToStatusCode(error), what + ": " + std::strerror(error));
}

bool IsExecutableFile(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

// posix_spawn attributes and file actions, destroyed with the object.
class SpawnSetup {
 public:
  SpawnSetup() {
    ::posix_spawnattr_init(&attr_);
    ::posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions_);
    ::posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  posix_spawnattr_t* attr() { return &attr_; }
  posix_spawn_file_actions_t* actions() { return &actions_; }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

// Each call returns 0 or an errno value.
int Configure(const ChildSpec& spec, SpawnSetup& setup) {
  int error = 0;
  sigset_t no_signals, all_signals;
  sigemptyset(&no_signals);
  sigfillset(&all_signals);
  if ((error = ::posix_spawnattr_setflags(
           setup.attr(), POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) ||
      (error = ::posix_spawnattr_setpgroup(setup.attr(), 0)) ||
      (error = ::posix_spawnattr_setsigmask(setup.attr(), &no_signals)) ||
      (error = ::posix_spawnattr_setsigdefault(setup.attr(), &all_signals))) {
    return error;
  }
  posix_spawn_file_actions_t* actions = setup.actions();
  if ((error = ::posix_spawn_file_actions_addopen(actions, 0, "/dev/null", O_RDONLY, 0))) {
    return error;
  }
  const int outputs[2] = {spec.stdout_fd, spec.stderr_fd};
  for (int target = 1; target <= 2; ++target) {
    const int fd = outputs[target - 1];
    error = fd >= 0 ? ::posix_spawn_file_actions_adddup2(actions, fd, target)
                    : ::posix_spawn_file_actions_addopen(actions, target, "/dev/null", O_WRONLY, 0);
    if (error) return error;
  }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  if ((error = ::posix_spawn_file_actions_addclosefrom_np(actions, 3))) return error;
#endif
  if (!spec.working_dir.empty() &&
      (error = ::posix_spawn_file_actions_addchdir_np(actions, spec.working_dir.c_str()))) {
    return error;
  }
  return 0;
}

}  // namespace

absl::StatusOr<std::string> ResolveProgram(const std::string& argv0, const std::string& path) {
  if (argv0.empty()) return absl::InvalidArgumentError("empty program name");
  if (argv0.find('/') != std::string::npos) return argv0;
  const std::string search = path.empty() ? kDefaultPath : path;
  size_t begin = 0;
  while (begin <= search.size()) {
    size_t end = search.find(':', begin);
    if (end == std::string::npos) end = search.size();
    const std::string dir = end == begin ? "." : search.substr(begin, end - begin);
    const std::string candidate = dir + "/" + argv0;
    if (IsExecutableFile(candidate)) return candidate;
    begin = end + 1;
  }
  return absl::NotFoundError("'" + argv0 + "' not found in PATH");
}

absl::StatusOr<pid_t> SpawnInNewProcessGroup(const ChildSpec& spec) {
  if (spec.argv.empty()) return absl::InvalidArgumentError("empty command");
  auto path_it = spec.env.find("PATH");
  absl::StatusOr<std::string> program =
      ResolveProgram(spec.argv[0], path_it == spec.env.end() ? "" : path_it->second);
  if (!program.ok()) return program.status();

  std::vector<char*> argv;
  for (const std::string& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  env_strings.reserve(spec.env.size());
  for (const auto& [name, value] : spec.env) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (std::string& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);

  SpawnSetup setup;
  if (int error = Configure(spec, setup)) return ErrnoError("posix_spawn setup", error);
  pid_t pid = -1;
  // glibc reports a failed chdir or exec here (the child never runs then).
  const int error = ::posix_spawn(&pid, program->c_str(), setup.actions(), setup.attr(),
                                  argv.data(), envp.data());
  if (error != 0) {
    std::string what = "cannot execute '" + *program + "'";
    if (!spec.working_dir.empty()) what += " in '" + spec.working_dir + "'";
    return ErrnoError(what, error);
  }
  return pid;
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    const char* name = ::sigdescr_np(signal);  // thread-safe, unlike strsignal
#else
    const char* name = ::strsignal(signal);
#endif
    return "killed by signal " + std::to_string(signal) + " (" +
           (name != nullptr ? name : "unknown") + ")";
  }
  return "ended with wait status " + std::to_string(status);
}

bool ExitedCleanly(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

std::map<std::string, std::string> CurrentEnvironment() {
  // Like getenv, this races with setenv in other threads; servers set their
  // environment before they start launching.
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const char* equals = std::strchr(*entry, '=');
    if (equals == nullptr) continue;
    env.emplace(std::string(*entry, static_cast<size_t>(equals - *entry)), std::string(equals + 1));
  }
  return env;
}

int OpenPidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  // pidfd_open's fds are close-on-exec.
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

}  // namespace tuner
