// LocalLauncher: runs each trial's trainer cluster as child processes of this
// process, one per rank (chief, workers, ps), each the leader of its own
// process group. Arguments and environment per rank: trial_runner/rank_env.h.
//
// Each rank's stdout and stderr go to <output_dir>/logs/<type>-<index>.log
// (output_dir and logs/ are created). With trainer.metrics.source = "stdout",
// the chief's stdout passes through a pipe: it is still copied to the log, and
// every line is parsed for metrics (trial_runner/stdout_metrics.h) and
// reported through the MeasurementCallback, before the exit callback. With
// "hypertune", every rank writes its reports to its own file
// (CLOUD_ML_HP_METRIC_FILE = <output_dir>/hypertune/<type>-<index>.metrics,
// removed at launch); the chief's is read every
// options.metric_file_interval while it runs, and to its end once every rank
// has ended (trial_runner/hypertune_metrics.h), before the exit callback.
//
// The cluster lives and dies as one. The chief exiting 0 ends it as
// kSucceeded (workers or ps exiting 0 earlier is fine); any rank exiting
// non-zero or killed by a signal ends it as kFailed ("rank worker:1 exited
// with code 3", log_tail = the end of that rank's log); trainer.timeout_s > 0
// ends it as kTimedOut; Stop() as kStopped (message = the reason). The first
// of these wins. Ending = SIGTERM to the process group of every rank (exited
// ones too: what they started may live on), SIGKILL after
// options.grace_period; the exit callback fires once every rank has been
// reaped and no live process is left in their groups, nor in the trial's
// cgroup (below), nor carrying its marks without one. A rank that cannot be
// executed makes Launch() fail with nothing left running.
//
// No process outlives its trial (docs/reliability.md):
// - Cgroups: where a cgroup v2 hierarchy is mounted and writable (root, or a
//   delegated subtree), each rank runs in a group of its own,
//   <mount>/tuner/run-<pid>/trial-<id>/<type>-<index> (trial_runner/cgroup.h),
//   joined before exec, so what it starts with setsid or double forks is in
//   it too. Ending a trial sends SIGTERM to every process of the trial's
//   group, then writes cgroup.kill; the groups are removed once empty.
//   options.use_cgroups = false or TUNER_CGROUPS=0 turns this off. Without
//   cgroups (said once through options.log), SIGTERM/SIGKILL also go to every
//   process whose environment carries the trial's TUNER_STUDY,
//   TUNER_TRIAL_ID and TUNER_OUTPUT_DIR: descendants that left the group but
//   kept the environment.
// - The launcher's death, SIGKILL included: every rank gets SIGKILL from the
//   kernel when the launcher's loop thread ends (ChildSpec::kill_with_parent),
//   and a watchdog process (trial_runner/launch_watchdog.h) then kills the
//   ranks' process groups, every process carrying this launcher's
//   TUNER_LAUNCHER_ID=<pid>-<nonce> (set in each rank's environment) and the
//   run's cgroup, and removes the run's groups. Within about a second.
// - Reap() ends what neither could (e.g. the watchdog was killed as well).
// trainer.resources (memory, cpus_per_rank) become memory.max and cpu.max of
// each rank's group once the controllers are on from the mount down; where
// cgroup v2 lacks them, or without cgroups, the ranks run without limits and
// options.log is told once. cpus_per_rank also pins each rank, cgroups or
// not, to ceil(cpus_per_rank) CPUs of options.cpus with sched_setaffinity
// (between fork and exec; what it starts inherits them): concurrent ranks get
// disjoint CPUs while there are enough, and share the least-used ones when
// there are not (options.log is told once) (trial_runner/cpu_pool.h).
//
// Threads: one internal thread runs a Boost.Asio io_context; it spawns (so
// the ranks' parent-death signal is tied to it, and it ends only after every
// cluster has) and reaps the ranks (pidfds; polling where the kernel has none), reads the
// pipes, runs the timers and calls the callbacks, which must not throw nor
// block long. Public methods may be called from any thread, and Launch() and
// Stop() also from inside a callback; StopAll() and the destructor must not
// be called from a callback (StopAll() would then only start the stops).
// The destructor calls StopAll().
#ifndef TUNER_TRIAL_RUNNER_LOCAL_LAUNCHER_H_
#define TUNER_TRIAL_RUNNER_LOCAL_LAUNCHER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "trial_runner/launcher.h"

namespace tuner {

struct LocalLauncherOptions {
  // Between SIGTERM and SIGKILL when a cluster is ended.
  std::chrono::milliseconds grace_period{5000};
  // Lines of the failing rank's log in ClusterExit::log_tail.
  int log_tail_lines = 20;
  // After SIGKILL, how long to wait for the process groups to empty (and the
  // chief's stdout pipe to close) before reporting the exit anyway.
  std::chrono::milliseconds kill_wait{5000};
  // How often an ending cluster's process groups are checked.
  std::chrono::milliseconds poll_interval{20};
  // How often the chief's hypertune metric file is read while it runs
  // (trainer.metrics.source = hypertune).
  std::chrono::milliseconds metric_file_interval{200};
  // Each rank in a cgroup v2 group of its own when the machine allows it;
  // false, or TUNER_CGROUPS=0 in this process's environment, leaves process
  // groups and environment marks only.
  bool use_cgroups = true;
  // The CPUs ranks are pinned to with trainer.resources.cpus_per_rank;
  // empty = the CPUs this process may run on (sched_getaffinity, so
  // `taskset -c 0-7 tuner run ...` confines the trials to 0-7).
  std::vector<int> cpus;
  // The cgroup v2 mount point; "" = found in /proc/self/mountinfo.
  std::string cgroup_mount;
  // Receives the launcher's notices (no cgroups and why, a replaced
  // watchdog), each once; null = a "[warning] local launcher: ..." line on
  // stderr. Called on the launcher's thread.
  std::function<void(const std::string&)> log;
};

class LocalLauncher final : public Launcher {
 public:
  explicit LocalLauncher(LocalLauncherOptions options = {});
  ~LocalLauncher() override;

  LocalLauncher(const LocalLauncher&) = delete;
  LocalLauncher& operator=(const LocalLauncher&) = delete;

  // Errors: InvalidArgument (empty command, a cluster without exactly one
  // chief, negative counts, no output_dir, a bad metrics pattern, devices
  // that are not trainer.resources.gpus_per_rank per rank),
  // AlreadyExists (the trial's cluster is running), FailedPrecondition (the
  // launcher is being destroyed), or the errno-derived error of creating the
  // directories, picking ports or executing a rank (e.g. NotFound for a
  // missing program).
  absl::Status Launch(const LaunchRequest& request, MeasurementCallback on_measurement,
                      ExitCallback on_exit) override;
  void Stop(int64_t trial_id, const std::string& reason) override;
  void StopAll() override;
  // "local:<pgid>,<pgid>,..." (each rank's process group).
  std::string Handle(int64_t trial_id) override;
  // SIGTERM, then SIGKILL after the grace period, to each group of the handle,
  // and to every group with a process carrying this trial's TUNER_STUDY,
  // TUNER_TRIAL_ID (and TUNER_OUTPUT_DIR when the request has one), so a
  // recycled pid is never touched; waits until they are gone. Works with an
  // empty handle (the dead launcher never recorded it). With cgroups, also the
  // trial's groups that other launchers left when a process inside carries
  // the marks (cgroup.kill, then removed), and the empty groups of dead
  // launchers.
  void Reap(const LaunchRequest& request, const std::string& handle) override;
  // From the environment of live processes (TUNER_STUDY, TUNER_TRIAL_ID,
  // TUNER_OUTPUT_DIR), excluding this launcher's running clusters.
  std::vector<int64_t> Leftovers(const std::string& study,
                                 const std::string& output_prefix) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_LOCAL_LAUNCHER_H_
