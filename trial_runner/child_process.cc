#include "trial_runner/child_process.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

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

// What the child reports through its error pipe when it cannot exec.
enum class ChildStage : int { kCgroup = 1, kFiles = 2, kChdir = 3, kExec = 4, kAffinity = 5 };
struct ChildFailure {
  ChildStage stage;
  int error;
};

// Everything the child needs, prepared before fork: after it, the child of a
// multi-threaded process may only make async-signal-safe calls (no malloc).
struct ChildPlan {
  const char* program;
  char* const* argv;
  char* const* envp;
  const char* working_dir;  // null = inherit
  int stdout_fd;
  int stderr_fd;
  int cgroup_procs_fd;
  const cpu_set_t* cpus;  // null = inherit
  size_t cpus_size;       // bytes of *cpus
  bool kill_with_parent;
  pid_t parent;
  int report_fd;  // the error pipe's write end (close-on-exec)
};

pid_t ForkProcess() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  return ::_Fork();  // no atfork handlers (gRPC's, say) in the child
#else
  return ::fork();
#endif
}

[[noreturn]] void ChildFail(const ChildPlan& plan, ChildStage stage, int error) {
  const ChildFailure failure{stage, error};
  ssize_t ignored = ::write(plan.report_fd, &failure, sizeof failure);
  (void)ignored;
  ::_exit(127);
}

// `fd` moved above 2 (close-on-exec), so that setting up 0..2 cannot clobber
// it; -1 stays -1.
int AboveStdio(int fd) { return fd >= 0 && fd <= 2 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 3) : fd; }

// `fd` on `target`, inherited by exec.
bool MoveTo(int fd, int target) {
  if (fd == target) return ::fcntl(fd, F_SETFD, 0) == 0;
  return ::dup2(fd, target) == target;
}

// Runs in the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void RunChild(ChildPlan plan) {
  // Every signal at its default disposition (a handler of the parent must not
  // run here); they stay blocked until exec.
  struct sigaction default_action;
  std::memset(&default_action, 0, sizeof default_action);
  default_action.sa_handler = SIG_DFL;
  for (int signal = 1; signal < NSIG; ++signal) {
    if (signal != SIGKILL && signal != SIGSTOP) ::sigaction(signal, &default_action, nullptr);
  }
  ::setpgid(0, 0);
  if (plan.kill_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The parent may have died before prctl: then nobody would send it.
    if (::getppid() != plan.parent) ::_exit(127);
  }
  plan.report_fd = AboveStdio(plan.report_fd);
  if (plan.cgroup_procs_fd >= 0) {
    // "0" moves the writer: every process the rank starts is born inside.
    if (::write(plan.cgroup_procs_fd, "0", 1) != 1) ChildFail(plan, ChildStage::kCgroup, errno);
  }
  if (plan.cpus != nullptr && ::sched_setaffinity(0, plan.cpus_size, plan.cpus) != 0) {
    ChildFail(plan, ChildStage::kAffinity, errno);
  }
  const int out = AboveStdio(plan.stdout_fd), err = AboveStdio(plan.stderr_fd);
  const int null_in = AboveStdio(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_in < 0 || !MoveTo(null_in, 0)) ChildFail(plan, ChildStage::kFiles, errno);
  const int outputs[2] = {out, err};
  for (int target = 1; target <= 2; ++target) {
    int fd = outputs[target - 1];
    if (fd < 0) fd = AboveStdio(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    if (fd < 0 || !MoveTo(fd, target)) ChildFail(plan, ChildStage::kFiles, errno);
  }
  // No other descriptor survives exec.
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) != 0)
#endif
  {
    for (int fd = 3; fd < 4096; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  if (plan.working_dir != nullptr && ::chdir(plan.working_dir) != 0) {
    ChildFail(plan, ChildStage::kChdir, errno);
  }
  sigset_t no_signals;
  sigemptyset(&no_signals);
  ::sigprocmask(SIG_SETMASK, &no_signals, nullptr);
  ::execve(plan.program, plan.argv, plan.envp);
  ChildFail(plan, ChildStage::kExec, errno);
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

  // The affinity mask, built before fork (the child may not allocate).
  std::unique_ptr<cpu_set_t, void (*)(cpu_set_t*)> cpus(nullptr, [](cpu_set_t* set) {
    if (set != nullptr) CPU_FREE(set);
  });
  size_t cpus_size = 0;
  if (!spec.cpus.empty()) {
    const int highest = *std::max_element(spec.cpus.begin(), spec.cpus.end());
    if (*std::min_element(spec.cpus.begin(), spec.cpus.end()) < 0 || highest >= (1 << 20)) {
      return absl::InvalidArgumentError("CPU ids must be in [0, 2^20)");
    }
    cpus.reset(CPU_ALLOC(highest + 1));
    if (cpus == nullptr) return ErrnoError("CPU_ALLOC", errno);
    cpus_size = CPU_ALLOC_SIZE(highest + 1);
    CPU_ZERO_S(cpus_size, cpus.get());
    for (int cpu : spec.cpus) CPU_SET_S(cpu, cpus_size, cpus.get());
  }
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return ErrnoError("pipe", errno);
  ChildPlan plan{.program = program->c_str(),
                 .argv = argv.data(),
                 .envp = envp.data(),
                 .working_dir = spec.working_dir.empty() ? nullptr : spec.working_dir.c_str(),
                 .stdout_fd = spec.stdout_fd,
                 .stderr_fd = spec.stderr_fd,
                 .cgroup_procs_fd = spec.cgroup_procs_fd,
                 .cpus = cpus.get(),
                 .cpus_size = cpus_size,
                 .kill_with_parent = spec.kill_with_parent,
                 .parent = ::getpid(),
                 .report_fd = report[1]};
  // Signals stay blocked across fork, so that no handler of ours runs in the
  // child before it has reset them.
  sigset_t all_signals, saved;
  sigfillset(&all_signals);
  ::pthread_sigmask(SIG_SETMASK, &all_signals, &saved);
  const pid_t pid = ForkProcess();
  if (pid == 0) RunChild(plan);
  const int fork_error = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  ::close(report[1]);
  if (pid < 0) {
    ::close(report[0]);
    return ErrnoError("fork", fork_error);
  }
  // EOF: exec succeeded (the pipe closed with it). Otherwise the child says
  // why it could not, and exits.
  ChildFailure failure{};
  ssize_t size;
  do {
    size = ::read(report[0], &failure, sizeof failure);
  } while (size < 0 && errno == EINTR);
  ::close(report[0]);
  if (size == static_cast<ssize_t>(sizeof failure)) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::string what;
    switch (failure.stage) {
      case ChildStage::kCgroup:
        what = "cannot move '" + *program + "' into its cgroup";
        break;
      case ChildStage::kFiles:
        what = "cannot set up the standard files of '" + *program + "'";
        break;
      case ChildStage::kAffinity:
        what = "cannot pin '" + *program + "' to its CPUs";
        break;
      default:
        what = "cannot execute '" + *program + "'";
        if (!spec.working_dir.empty()) what += " in '" + spec.working_dir + "'";
    }
    return ErrnoError(what, failure.error);
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
