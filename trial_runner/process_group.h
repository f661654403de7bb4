// Signalling and watching the process group of a rank (its pgid is the
// rank's pid), so that what a rank started dies with it. Linux (/proc).
// Thread-safe.
#ifndef TUNER_TRIAL_RUNNER_PROCESS_GROUP_H_
#define TUNER_TRIAL_RUNNER_PROCESS_GROUP_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace tuner {

// kill(-pgid, signal); a group with no process left is not an error.
void SignalProcessGroup(pid_t pgid, int signal);

// Whether a process of group `pgid` is still running. Zombies do not count:
// they have ended, and where PID 1 does not reap orphans they never vanish.
bool ProcessGroupHasLiveMembers(pid_t pgid);

// Whether a live process of group `pgid` has every `marks` entry (name ->
// value) in its environment: how a process is known to be a given trial's
// after the launcher that started it is gone.
bool ProcessGroupCarries(pid_t pgid, const std::map<std::string, std::string>& marks);

// For every live process with at least one of `names` in its environment,
// those of `names` it has.
std::vector<std::map<std::string, std::string>> LiveEnvironments(
    const std::vector<std::string>& names);

// Every live process that carries all `marks` in its environment, whatever
// its group: what left a rank's group (setsid) but kept its environment.
std::vector<pid_t> ProcessesCarrying(const std::map<std::string, std::string>& marks);

// Whether live process `pid` carries all `marks` in its environment.
bool ProcessCarries(pid_t pid, const std::map<std::string, std::string>& marks);

// The process groups of every live process that carries all `marks` in its
// environment (a dead launcher's ranks when their handle was never recorded).
std::vector<pid_t> ProcessGroupsCarrying(const std::map<std::string, std::string>& marks);

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_PROCESS_GROUP_H_
