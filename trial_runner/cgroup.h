// Cgroup v2 groups for the ranks of the local launcher. A rank joins its
// group before exec (ChildSpec::cgroup_procs_fd), so everything it starts is
// born there, setsid and double forks included, and ending a trial can end
// all of it (cgroup.kill, Linux >= 5.14).
//
// Layout under the cgroup v2 mount (FindCgroup2Mount):
//   <mount>/tuner/run-<pid>/trial-<id>/<type>-<index>
// run-<pid>: one per launcher process (its pid); trial-<id>: one per running
// cluster; the leaves hold the ranks. Creating groups needs root, or a
// delegated subtree writable by the user.
//
// Plain file operations on cgroupfs; thread-safe. Errors are absl::Status
// built from errno.
#ifndef TUNER_TRIAL_RUNNER_CGROUP_H_
#define TUNER_TRIAL_RUNNER_CGROUP_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tuner {

// The mount point of the cgroup v2 hierarchy in `mountinfo` (the text of
// /proc/self/mountinfo): "/sys/fs/cgroup" on a unified layout,
// "/sys/fs/cgroup/unified" on a hybrid one; "" when there is none.
std::string FindCgroup2Mount(std::string_view mountinfo);

// FindCgroup2Mount of this process's /proc/self/mountinfo.
std::string CurrentCgroup2Mount();

// Creates (or reuses) <mount>/tuner/run-<owner> and returns its path.
// FailedPrecondition when `mount` is "" or its groups have no cgroup.kill
// (Linux < 5.14); PermissionDenied / ReadOnly... when it cannot be written.
absl::StatusOr<std::string> CreateRunCgroup(const std::string& mount, pid_t owner);

// mkdir of one group; OK when it exists already.
absl::Status MakeCgroup(const std::string& path);

// The pids in `path` and in every group below it.
std::vector<pid_t> CgroupProcesses(const std::string& path);

// kill(pid, signal) to every process in `path` and below.
void SignalCgroup(const std::string& path, int signal);

// SIGKILL to every process in `path` and below, at once (cgroup.kill); OK
// when the group is gone.
absl::Status KillCgroup(const std::string& path);

// Whether a live process is in `path` or below ("populated 1" in
// cgroup.events); false when the group does not exist.
bool CgroupPopulated(const std::string& path);

// Removes `path` and the groups below it, deepest first; OK when gone.
// FailedPrecondition (EBUSY) while a process is still inside.
absl::Status RemoveCgroup(const std::string& path);

// cpu.max for `cpus` CPUs' worth of time per 100 ms period: "150000 100000"
// for 1.5 (at least 1000 us).
std::string CpuMax(double cpus);

// Turns `controllers` (e.g. {"memory", "cpu"}) on for the groups below
// `mount` and below each group from there down to `path` (writes
// "+memory +cpu" to each cgroup.subtree_control), so that `path`'s child
// groups have the controllers' files. FailedPrecondition naming the
// controllers the hierarchy lacks (cgroup.controllers of `mount`: on a
// hybrid layout they are usually all on cgroup v1).
absl::Status EnableControllers(const std::string& mount, const std::string& path,
                               const std::vector<std::string>& controllers);

// Writes `value` to the existing file `path`/`file` (memory.max, cpu.max).
absl::Status WriteCgroupFile(const std::string& path, const std::string& file,
                             const std::string& value);

// The groups of trial `trial_id` left by other launcher processes:
// <mount>/tuner/run-<pid>/trial-<trial_id> for every pid but `own`.
std::vector<std::string> ForeignTrialCgroups(const std::string& mount, int64_t trial_id, pid_t own);

// Removes the empty groups of launchers that are gone (run-<pid> whose pid
// no longer exists); populated ones are left for Reap.
void RemoveDeadRunCgroups(const std::string& mount);

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_CGROUP_H_
