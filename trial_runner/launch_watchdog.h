// LaunchWatchdog: a small process, forked by the local launcher, that ends
// what the launcher started once the launcher's process is gone, however it
// died (SIGKILL included), without waiting for a later run.
//
// The watchdog holds one end of a socket pair, the launcher the other
// (close-on-exec: no rank inherits it). When its end reads EOF, because the
// launcher closed it (destructor) or because the kernel did as the launcher's
// process died, the watchdog
//   1. SIGKILLs every process group registered with Watch() and not
//      Unwatch()ed (the ranks' groups);
//   2. SIGKILLs every process whose environment holds the entry `mark`
//      ("NAME=value"), scanning /proc again until none is left: descendants
//      that left their rank's group (setsid) but kept its environment;
//   3. with a run cgroup: writes 1 to its cgroup.kill (every rank's group is
//      below it), waits up to 10 s for it to empty, and removes it and the
//      groups below;
// then exits. It ignores SIGINT, SIGQUIT, SIGHUP and SIGTERM (a Ctrl-C on the
// terminal reaches the launcher, which then ends its clusters itself), so only
// SIGKILL ends it early; the ranks' parent-death signal (ChildSpec::
// kill_with_parent) still ends the ranks themselves then.
//
// The watchdog never execs: forked from a multi-threaded process, it makes
// async-signal-safe calls only (no allocation), and watches at most 4096
// groups at once (more are not watched; their ranks still die with the
// launcher's parent-death signal). Linux.
//
// Thread-safety: Watch/Unwatch may be called from any thread.
#ifndef TUNER_TRIAL_RUNNER_LAUNCH_WATCHDOG_H_
#define TUNER_TRIAL_RUNNER_LAUNCH_WATCHDOG_H_

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tuner {

class LaunchWatchdog {
 public:
  // Forks the watchdog. `run_cgroup`: "" = none; `mark`: "" = none.
  static absl::StatusOr<std::unique_ptr<LaunchWatchdog>> Start(const std::string& run_cgroup,
                                                               const std::string& mark);
  // Closes the launcher's end and waits for the watchdog to exit (having ended
  // whatever was still registered and removed the run cgroup).
  ~LaunchWatchdog();

  LaunchWatchdog(const LaunchWatchdog&) = delete;
  LaunchWatchdog& operator=(const LaunchWatchdog&) = delete;

  // Registers / forgets a process group. Unavailable when the watchdog is
  // gone (killed); the caller may then start another.
  absl::Status Watch(pid_t pgid);
  absl::Status Unwatch(pid_t pgid);

  pid_t pid() const { return pid_; }

 private:
  LaunchWatchdog(pid_t pid, int socket) : pid_(pid), socket_(socket) {}
  absl::Status Send(int op, pid_t pgid);

  const pid_t pid_;
  const int socket_;
  std::mutex mutex_;
};

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_LAUNCH_WATCHDOG_H_
