// Starting one rank as a child process in a process group of its own, and
// describing how it ended. Linux (fork/exec, prctl, pidfds).
//
// Thread-safety: the functions are safe to call from any thread. Errors are
// absl::Status built from errno.
#ifndef TUNER_TRIAL_RUNNER_CHILD_PROCESS_H_
#define TUNER_TRIAL_RUNNER_CHILD_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tuner {

struct ChildSpec {
  std::vector<std::string> argv;           // argv[0] is looked up in env's PATH
  std::map<std::string, std::string> env;  // the child's whole environment
  std::string working_dir;                 // "" = inherit
  int stdout_fd = -1;                      // dup'ed to 1; -1 = /dev/null
  int stderr_fd = -1;                      // dup'ed to 2; -1 = /dev/null
  // The child gets SIGKILL when the *thread* that spawned it ends, whatever
  // ends it (SIGKILL of the process included): PR_SET_PDEATHSIG, set between
  // fork and exec. When this process has already died by then, the child
  // exits (code 127) without running argv. So spawn from a thread that lives
  // as long as the child should. It reaches the child only, not what the
  // child starts.
  bool kill_with_parent = false;
  // An open cgroup.procs file (cgroup v2) that the child writes itself into
  // before exec, so that everything it starts is born in that cgroup; -1 =
  // the cgroup of this process.
  int cgroup_procs_fd = -1;
  // Non-empty: the CPUs the child is pinned to (sched_setaffinity before
  // exec; what it starts inherits them). Empty = this process's affinity.
  std::vector<int> cpus;
};

// Starts `spec` with stdin from /dev/null, every signal at its default
// disposition and unblocked, no other inherited descriptor, as the leader of
// a new process group (pgid == pid). Returns the pid; the caller must reap it.
// NotFound / PermissionDenied / ... when the program cannot be executed (or
// the child cannot join its cgroup), and then no process is left. Between
// fork and exec the child makes async-signal-safe calls only, and no atfork
// handler runs (glibc >= 2.34).
absl::StatusOr<pid_t> SpawnInNewProcessGroup(const ChildSpec& spec);

// `argv0` resolved like execvp does, but through `path` (a PATH value; ""
// = the default /usr/local/bin:/usr/bin:/bin); names with a '/' are returned
// as they are. NotFound when no executable file matches.
absl::StatusOr<std::string> ResolveProgram(const std::string& argv0, const std::string& path);

// "exited with code 3", "killed by signal 9 (Killed)" for a waitpid status.
std::string DescribeWaitStatus(int status);

// Whether a waitpid status means a clean exit (code 0).
bool ExitedCleanly(int status);

// The environment of this process.
std::map<std::string, std::string> CurrentEnvironment();

// A pidfd (close-on-exec) that becomes readable when `pid` exits, or -1 when
// the kernel has none (before Linux 5.3).
int OpenPidfd(pid_t pid);

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_CHILD_PROCESS_H_
