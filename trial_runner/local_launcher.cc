#include "trial_runner/local_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "trial_runner/cgroup.h"
#include "trial_runner/child_process.h"
#include "trial_runner/cpu_pool.h"
#include "trial_runner/free_port.h"
#include "trial_runner/hypertune_metrics.h"
#include "trial_runner/launch_watchdog.h"
#include "trial_runner/log_tail.h"
#include "trial_runner/process_group.h"
#include "trial_runner/rank_env.h"
#include "trial_runner/stdout_metrics.h"

namespace tuner {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// A partial stdout line longer than this is cut (it cannot hold metrics:
// StdoutMetricParser ignores lines over 4096 bytes).
constexpr size_t kMaxPendingLine = 8192;

absl::Status ErrnoError(const std::string& what, int error) {
  return absl::Status(absl::ErrnoToStatusCode(error), what + ": " + std::strerror(error));
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return;  // a full disk loses log lines, not the trial
    }
    data += written;
    size -= static_cast<size_t>(written);
  }
}

// The environment entry every rank of one launcher carries (the watchdog
// ends whatever still carries it once the launcher is gone).
constexpr char kLauncherMark[] = "TUNER_LAUNCHER_ID";

// Whether cgroups are wanted: the option, and TUNER_CGROUPS not "0".
bool CgroupsWanted(const LocalLauncherOptions& options, std::string* why_not) {
  if (!options.use_cgroups) {
    *why_not = "turned off by the launcher's options";
    return false;
  }
  const char* variable = std::getenv("TUNER_CGROUPS");
  if (variable != nullptr && std::string_view(variable) == "0") {
    *why_not = "turned off by TUNER_CGROUPS=0";
    return false;
  }
  return true;
}

std::string CgroupMount(const LocalLauncherOptions& options) {
  return options.cgroup_mount.empty() ? CurrentCgroup2Mount() : options.cgroup_mount;
}

// waitpid that retries on EINTR; the pid, 0 (still running) or -1.
pid_t WaitPid(pid_t pid, int* status, int flags) {
  pid_t result;
  do {
    result = ::waitpid(pid, status, flags);
  } while (result < 0 && errno == EINTR);
  return result;
}

}  // namespace

class LocalLauncher::Impl {
 public:
  explicit Impl(LocalLauncherOptions options)
      : options_(options), work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

  ~Impl() {
    shutting_down_ = true;
    StopAll();
    work_.reset();  // every cluster has ended, so run() returns once idle
    thread_.join();
    watchdog_.reset();  // waits for it: it removes the run's cgroup
  }

  absl::Status Launch(const LaunchRequest& request, MeasurementCallback on_measurement,
                      ExitCallback on_exit) {
    if (OnLoopThread()) return DoLaunch(request, std::move(on_measurement), std::move(on_exit));
    std::promise<absl::Status> done;
    asio::post(io_, [&] {
      done.set_value(DoLaunch(request, std::move(on_measurement), std::move(on_exit)));
    });
    return done.get_future().get();
  }

  void Stop(int64_t trial_id, const std::string& reason) {
    asio::post(io_, [this, trial_id, reason] {
      auto it = clusters_.find(trial_id);
      if (it == clusters_.end()) return;
      const ClusterPtr cluster = it->second;  // a copy: ending erases the entry
      ClusterExit exit;
      exit.kind = ClusterExit::Kind::kStopped;
      exit.message = reason.empty() ? "stopped" : reason;
      End(cluster, std::move(exit));
    });
  }

  void StopAll() {
    if (OnLoopThread()) {  // from a callback: cannot wait for ourselves
      DoStopAll();
      return;
    }
    std::unique_lock<std::mutex> lock(live_mutex_);
    while (live_clusters_ > 0) {
      // Again and again, in case clusters were launched meanwhile.
      asio::post(io_, [this] { DoStopAll(); });
      live_changed_.wait_for(lock, std::chrono::milliseconds(100),
                             [this] { return live_clusters_ == 0; });
    }
  }

 private:
  struct Rank {
    RankId id;
    pid_t pid = -1;  // also the pgid
    std::string log_path;
    std::unique_ptr<asio::posix::stream_descriptor> pidfd;  // null: polled
    bool reaped = false;
    int status = 0;  // waitpid status once reaped
  };

  struct Cluster {
    explicit Cluster(asio::io_context& io)
        : stdout_pipe(io),
          metric_file_timer(io),
          timeout_timer(io),
          grace_timer(io),
          deadline_timer(io),
          poll_timer(io) {}

    int64_t trial_id = 0;
    // The trial's cgroup (<run>/trial-<id>), "" = none: then the processes
    // carrying `marks` (the trial's environment marks) are ended with it.
    std::string cgroup;
    std::map<std::string, std::string> marks;
    std::optional<ResourcesSpec> limits;  // set when applied to every rank's group
    MeasurementCallback on_measurement;
    ExitCallback on_exit;
    Clock::time_point start;
    std::vector<Rank> ranks;

    // The chief's stdout with metrics.source = stdout; copied to stdout_log.
    asio::posix::stream_descriptor stdout_pipe;
    int stdout_log = -1;
    bool stdout_open = false;
    std::optional<StdoutMetricParser> parser;
    std::string pending_line;
    std::array<char, 64 * 1024> buffer;

    // The chief's hypertune metric file with metrics.source = hypertune.
    std::optional<HypertuneMetricReader> hypertune;
    std::string metric_file;
    asio::steady_timer metric_file_timer;

    asio::steady_timer timeout_timer;   // trainer.timeout_s
    asio::steady_timer grace_timer;     // SIGTERM -> SIGKILL
    asio::steady_timer deadline_timer;  // SIGKILL -> report anyway
    asio::steady_timer poll_timer;      // reaping without pidfds; group checks
    bool polling = false;

    std::optional<ClusterExit> exit;  // set by the first ending event
    std::optional<size_t> failed_rank;
    bool killed = false;    // SIGKILL sent
    bool finished = false;  // exit reported; every handler returns at once
  };
  using ClusterPtr = std::shared_ptr<Cluster>;

  bool OnLoopThread() const { return thread_.get_id() == std::this_thread::get_id(); }

  // ------------------------------------------------------------ launching

  absl::Status DoLaunch(const LaunchRequest& request, MeasurementCallback on_measurement,
                        ExitCallback on_exit) {
    if (shutting_down_) return absl::FailedPreconditionError("the launcher is shutting down");
    const TrainerSpec& trainer = request.trainer;
    const ClusterSpec& shape = trainer.cluster;
    if (trainer.command.empty() || trainer.command[0].empty()) {
      return absl::InvalidArgumentError("trainer.command is empty");
    }
    if (shape.chief != 1 || shape.worker < 0 || shape.ps < 0) {
      return absl::InvalidArgumentError(
          "trainer.cluster: expected 1 chief and >= 0 workers and ps, got chief=" +
          std::to_string(shape.chief) + " worker=" + std::to_string(shape.worker) +
          " ps=" + std::to_string(shape.ps));
    }
    if (request.output_dir.empty()) return absl::InvalidArgumentError("output_dir is empty");
    if (const int64_t needed =
            int64_t{trainer.resources.gpus_per_rank} * (shape.chief + shape.worker + shape.ps);
        needed != static_cast<int64_t>(request.devices.size()) &&
        (needed > 0 || !request.devices.empty())) {
      return absl::InvalidArgumentError(
          "trainer.resources.gpus_per_rank: the cluster needs " + std::to_string(needed) +
          " devices, the launch request holds " + std::to_string(request.devices.size()));
    }
    if (clusters_.count(request.trial_id) != 0) {
      return absl::AlreadyExistsError("trial " + std::to_string(request.trial_id) +
                                      " is already running");
    }

    SetUp();
    auto cluster = std::make_shared<Cluster>(io_);
    cluster->trial_id = request.trial_id;
    cluster->marks = {{"TUNER_STUDY", request.study},
                      {"TUNER_TRIAL_ID", std::to_string(request.trial_id)},
                      {"TUNER_OUTPUT_DIR", request.output_dir}};
    cluster->on_measurement = std::move(on_measurement);
    cluster->on_exit = std::move(on_exit);
    const bool stdout_metrics = trainer.metrics.source == MetricSource::kStdout;
    if (stdout_metrics) {
      absl::StatusOr<StdoutMetricParser> parser = StdoutMetricParser::Create(
          trainer.metrics.pattern, trainer.metrics.step_key, trainer.metrics.names);
      if (!parser.ok()) return parser.status();
      cluster->parser.emplace(std::move(*parser));
    }
    if (trainer.metrics.source == MetricSource::kHypertune) {
      const std::filesystem::path dir = std::filesystem::path(request.output_dir) / "hypertune";
      std::error_code made;
      std::filesystem::create_directories(dir, made);
      if (made) return ErrnoError("cannot create " + dir.string(), made.value());
      // What an earlier launch in this directory reported is not this one's.
      for (const RankId& id : ClusterRanks(shape)) {
        std::filesystem::remove(HypertuneMetricFile(request.output_dir, id), made);
      }
      cluster->hypertune.emplace(trainer.metrics.names);
      cluster->metric_file = HypertuneMetricFile(request.output_dir, RankId{TaskType::kChief, 0});
    }

    const std::filesystem::path log_dir = std::filesystem::path(request.output_dir) / "logs";
    std::error_code error;
    std::filesystem::create_directories(log_dir, error);
    if (error) return ErrnoError("cannot create " + log_dir.string(), error.value());

    const std::vector<RankId> ids = ClusterRanks(shape);
    absl::StatusOr<std::vector<int>> ports = PickFreeLoopbackPorts(static_cast<int>(ids.size()));
    if (!ports.ok()) return ports.status();
    ClusterPorts cluster_ports;
    for (size_t i = 0; i < ids.size(); ++i) {
      std::vector<int>& role = ids[i].type == TaskType::kChief    ? cluster_ports.chief
                               : ids[i].type == TaskType::kWorker ? cluster_ports.worker
                                                                  : cluster_ports.ps;
      role.push_back((*ports)[i]);
    }

    if (!run_cgroup_.empty()) {
      const std::string trial_cgroup = run_cgroup_ + "/trial-" + std::to_string(request.trial_id);
      absl::Status made = MakeCgroup(trial_cgroup);
      if (made.ok()) {
        cluster->cgroup = trial_cgroup;
      } else {
        Notice("trial " + std::to_string(request.trial_id) +
               ": no cgroup, ending its processes through process groups and environment "
               "marks: " +
               std::string(made.message()));
      }
    }
    const ResourcesSpec& limits = trainer.resources;
    if (limits.memory > 0 || limits.cpus_per_rank > 0) {
      std::vector<std::string> controllers;
      if (limits.memory > 0) controllers.push_back("memory");
      if (limits.cpus_per_rank > 0) controllers.push_back("cpu");
      absl::Status enabled = cluster->cgroup.empty()
                                 ? absl::FailedPreconditionError("the ranks run without cgroups")
                                 : EnableControllers(mount_, cluster->cgroup, controllers);
      if (enabled.ok()) {
        cluster->limits = limits;
      } else {
        NoticeOnce("trainer.resources not applied: " + std::string(enabled.message()));
      }
    }
    const std::map<std::string, std::string> base_env = CurrentEnvironment();
    cluster->start = Clock::now();
    for (const RankId& id : ids) {
      Rank rank;
      rank.id = id;
      rank.log_path = (log_dir / id.LogFileName()).string();
      absl::Status started =
          StartRank(request, cluster_ports, base_env, stdout_metrics, *cluster, rank);
      if (!started.ok()) {
        KillStartedRanks(*cluster);
        return absl::Status(started.code(),
                            "rank " + id.Name() + ": " + std::string(started.message()));
      }
      cluster->ranks.push_back(std::move(rank));
    }

    clusters_.emplace(cluster->trial_id, cluster);
    {
      std::lock_guard<std::mutex> lock(live_mutex_);
      ++live_clusters_;
      std::string handle = "local:";
      for (size_t i = 0; i < cluster->ranks.size(); ++i) {
        handle += (i ? "," : "") + std::to_string(cluster->ranks[i].pid);
      }
      handles_[cluster->trial_id] = handle;
    }
    for (Rank& rank : cluster->ranks) WatchRank(cluster, rank);
    if (cluster->stdout_open) ReadStdout(cluster);
    if (cluster->hypertune) ScheduleMetricFileRead(cluster);
    if (trainer.timeout_s > 0) {
      constexpr double kMaxTimeout = 100.0 * 365 * 24 * 3600;  // beyond: no timeout
      cluster->timeout_timer.expires_after(std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(std::min(trainer.timeout_s, kMaxTimeout))));
      cluster->timeout_timer.async_wait(
          [this, cluster, timeout = trainer.timeout_s](const boost::system::error_code& ec) {
            if (ec || cluster->finished) return;
            ClusterExit exit;
            exit.kind = ClusterExit::Kind::kTimedOut;
            std::ostringstream message;
            message << "timed out after " << timeout << " s (trainer.timeout_s)";
            exit.message = message.str();
            End(cluster, std::move(exit));
          });
    }
    return absl::OkStatus();
  }

  // Opens the rank's log (and the chief's stdout pipe) and spawns it.
  absl::Status StartRank(const LaunchRequest& request, const ClusterPorts& ports,
                         const std::map<std::string, std::string>& base_env, bool stdout_metrics,
                         Cluster& cluster, Rank& rank) {
    int log_fd =
        ::open(rank.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) return ErrnoError("cannot open " + rank.log_path, errno);
    int pipe_fds[2] = {-1, -1};
    const bool piped = stdout_metrics && rank.id.type == TaskType::kChief;
    if (piped && ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
      const int saved = errno;
      CloseFd(log_fd);
      return ErrnoError("pipe", saved);
    }

    int cgroup_fd = -1;
    if (!cluster.cgroup.empty()) {
      const std::string rank_cgroup =
          cluster.cgroup + "/" + ToString(rank.id.type) + "-" + std::to_string(rank.id.index);
      absl::Status made = MakeCgroup(rank_cgroup);
      if (made.ok() && cluster.limits && cluster.limits->memory > 0) {
        made = WriteCgroupFile(rank_cgroup, "memory.max", std::to_string(cluster.limits->memory));
      }
      if (made.ok() && cluster.limits && cluster.limits->cpus_per_rank > 0) {
        made = WriteCgroupFile(rank_cgroup, "cpu.max", CpuMax(cluster.limits->cpus_per_rank));
      }
      if (made.ok()) {
        cgroup_fd = ::open((rank_cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
        if (cgroup_fd < 0) made = ErrnoError("cannot open " + rank_cgroup + "/cgroup.procs", errno);
      }
      if (!made.ok()) {
        CloseFd(pipe_fds[0]);
        CloseFd(pipe_fds[1]);
        CloseFd(log_fd);
        return made;
      }
    }

    RankCommand command = BuildRankCommand(request, ports, rank.id, base_env);
    ChildSpec spec;
    spec.argv = std::move(command.argv);
    spec.env = std::move(command.env);
    spec.env[kLauncherMark] = launcher_id_;
    spec.working_dir = request.working_dir;
    spec.stdout_fd = piped ? pipe_fds[1] : log_fd;
    spec.stderr_fd = log_fd;
    spec.kill_with_parent = true;  // this (the loop) thread outlives every rank
    spec.cgroup_procs_fd = cgroup_fd;
    if (request.trainer.resources.cpus_per_rank > 0 && cpu_pool_.size() > 0) {
      bool shared = false;
      spec.cpus = cpu_pool_.Acquire(
          cluster.trial_id, PinnedCpuCount(request.trainer.resources.cpus_per_rank), &shared);
      if (shared) {
        NoticeOnce("trainer.resources.cpus_per_rank: the running ranks want more CPUs than the " +
                   std::to_string(cpu_pool_.size()) +
                   " this launcher may use; ranks now share the least-used ones");
      }
    }
    absl::StatusOr<pid_t> pid = SpawnInNewProcessGroup(spec);
    CloseFd(cgroup_fd);
    CloseFd(pipe_fds[1]);
    if (!pid.ok()) {
      CloseFd(pipe_fds[0]);
      // The reason in the log too, for whoever reads only the logs.
      const std::string line = std::string(pid.status().message()) + "\n";
      WriteAll(log_fd, line.data(), line.size());
      CloseFd(log_fd);
      return pid.status();
    }
    rank.pid = *pid;
    WatchGroup(rank.pid);
    if (piped) {
      ::fcntl(pipe_fds[0], F_SETFL, ::fcntl(pipe_fds[0], F_GETFL) | O_NONBLOCK);
      cluster.stdout_pipe.assign(pipe_fds[0]);
      cluster.stdout_open = true;
      cluster.stdout_log = log_fd;
    } else {
      CloseFd(log_fd);
    }
    return absl::OkStatus();
  }

  // After a failed start: nothing of the cluster may stay behind.
  void KillStartedRanks(Cluster& cluster) {
    cpu_pool_.Release(cluster.trial_id);
    for (Rank& rank : cluster.ranks) SignalProcessGroup(rank.pid, SIGKILL);
    SignalStrays(cluster, SIGKILL);
    for (Rank& rank : cluster.ranks) {
      int status = 0;
      WaitPid(rank.pid, &status, 0);
      UnwatchGroup(rank.pid);
    }
    RemoveTrialCgroup(cluster);
    boost::system::error_code ignored;
    cluster.stdout_pipe.close(ignored);
    CloseFd(cluster.stdout_log);
  }

  // ------------------------------------------------------------ watching

  void WatchRank(const ClusterPtr& cluster, Rank& rank) {
    const int fd = OpenPidfd(rank.pid);
    if (fd < 0) {  // no pidfds: poll
      StartPolling(cluster);
      return;
    }
    rank.pidfd = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
    rank.pidfd->async_wait(asio::posix::stream_descriptor::wait_read,
                           [this, cluster](const boost::system::error_code& ec) {
                             if (ec || cluster->finished) return;
                             ReapExited(cluster);
                           });
  }

  void StartPolling(const ClusterPtr& cluster) {
    if (cluster->polling || cluster->finished) return;
    cluster->polling = true;
    SchedulePoll(cluster);
  }

  void SchedulePoll(const ClusterPtr& cluster) {
    cluster->poll_timer.expires_after(options_.poll_interval);
    cluster->poll_timer.async_wait([this, cluster](const boost::system::error_code& ec) {
      if (ec || cluster->finished) return;
      if (cluster->killed) {  // whatever forked meanwhile
        for (const Rank& rank : cluster->ranks) SignalProcessGroup(rank.pid, SIGKILL);
        SignalStrays(*cluster, SIGKILL);
      }
      ReapExited(cluster);
      if (!cluster->finished) SchedulePoll(cluster);
    });
  }

  // Reaps every rank that has exited, then acts on it.
  void ReapExited(const ClusterPtr& cluster) {
    for (size_t i = 0; i < cluster->ranks.size(); ++i) {
      Rank& rank = cluster->ranks[i];
      if (rank.reaped) continue;
      int status = 0;
      const pid_t result = WaitPid(rank.pid, &status, WNOHANG);
      if (result == 0) continue;
      rank.reaped = true;
      // -1 (ECHILD): someone else reaped it; its status is lost.
      rank.status = result == rank.pid ? status : -1;
      if (rank.pidfd) {
        boost::system::error_code ignored;
        rank.pidfd->close(ignored);
      }
      OnRankExit(cluster, i);
      if (cluster->finished) return;
    }
    MaybeFinish(cluster);
  }

  void OnRankExit(const ClusterPtr& cluster, size_t index) {
    if (cluster->exit) return;  // already ending
    const Rank& rank = cluster->ranks[index];
    const bool clean = rank.status != -1 && ExitedCleanly(rank.status);
    if (clean && rank.id.type != TaskType::kChief) return;  // keep waiting for the chief
    ClusterExit exit;
    if (clean) {
      exit.kind = ClusterExit::Kind::kSucceeded;
    } else {
      exit.kind = ClusterExit::Kind::kFailed;
      exit.message = "rank " + rank.id.Name() + " " +
                     (rank.status == -1 ? std::string("was reaped elsewhere")
                                        : DescribeWaitStatus(rank.status));
      cluster->failed_rank = index;
    }
    End(cluster, std::move(exit));
  }

  // ------------------------------------------------------------ ending

  void DoStopAll() {
    std::vector<ClusterPtr> running;
    for (auto& [id, cluster] : clusters_) running.push_back(cluster);
    for (ClusterPtr& cluster : running) {
      ClusterExit exit;
      exit.kind = ClusterExit::Kind::kStopped;
      exit.message = "stopped: the launcher is shutting down";
      End(cluster, std::move(exit));
    }
  }

  // Records why the cluster ends (the first reason wins) and starts ending
  // it: SIGTERM now, SIGKILL after the grace period.
  void End(const ClusterPtr& cluster, ClusterExit exit) {
    if (cluster->exit || cluster->finished) return;
    cluster->exit = std::move(exit);
    cluster->timeout_timer.cancel();
    for (const Rank& rank : cluster->ranks) SignalProcessGroup(rank.pid, SIGTERM);
    SignalStrays(*cluster, SIGTERM);
    cluster->grace_timer.expires_after(options_.grace_period);
    cluster->grace_timer.async_wait([this, cluster](const boost::system::error_code& ec) {
      if (ec || cluster->finished) return;
      Kill(cluster);
    });
    StartPolling(cluster);
    MaybeFinish(cluster);
  }

  void Kill(const ClusterPtr& cluster) {
    cluster->killed = true;
    for (const Rank& rank : cluster->ranks) SignalProcessGroup(rank.pid, SIGKILL);
    SignalStrays(*cluster, SIGKILL);
    cluster->deadline_timer.expires_after(options_.kill_wait);
    cluster->deadline_timer.async_wait([this, cluster](const boost::system::error_code& ec) {
      if (ec || cluster->finished) return;
      ReapExited(cluster);
      if (!cluster->finished && AllReaped(*cluster)) Finish(cluster);
      // A rank that survives SIGKILL this long is stuck in the kernel; it is
      // reported when it is finally reaped.
    });
  }

  static bool AllReaped(const Cluster& cluster) {
    for (const Rank& rank : cluster.ranks) {
      if (!rank.reaped) return false;
    }
    return true;
  }

  void MaybeFinish(const ClusterPtr& cluster) {
    if (cluster->finished || !cluster->exit || !AllReaped(*cluster)) return;
    if (cluster->stdout_open) return;  // a writer of the pipe lives
    for (const Rank& rank : cluster->ranks) {
      if (ProcessGroupHasLiveMembers(rank.pid)) return;
    }
    if (HasStrays(*cluster)) return;
    Finish(cluster);
  }

  // What a rank started outside its process group: with a cgroup, every
  // process in it; without, every process carrying the trial's marks.
  void SignalStrays(const Cluster& cluster, int signal) {
    if (!cluster.cgroup.empty()) {
      if (signal == SIGKILL) {
        (void)KillCgroup(cluster.cgroup);
      } else {
        SignalCgroup(cluster.cgroup, signal);
      }
      return;
    }
    for (pid_t pid : ProcessesCarrying(cluster.marks)) ::kill(pid, signal);
  }

  bool HasStrays(const Cluster& cluster) {
    if (!cluster.cgroup.empty()) return CgroupPopulated(cluster.cgroup);
    return !ProcessesCarrying(cluster.marks).empty();
  }

  void RemoveTrialCgroup(Cluster& cluster) {
    if (cluster.cgroup.empty()) return;
    // A process stuck in the kernel keeps it: the watchdog removes the run's
    // groups when the launcher ends, or the next launcher does.
    (void)RemoveCgroup(cluster.cgroup);
    cluster.cgroup.clear();
  }

  // ------------------------------------------------------------ set-up

  // Once, on the loop thread, before the first launch: the run's cgroup (or
  // why there is none) and the watchdog.
  void SetUp() {
    if (set_up_) return;
    set_up_ = true;
    launcher_id_ =
        std::to_string(::getpid()) + "-" + std::to_string(Clock::now().time_since_epoch().count());
    cpu_pool_ = CpuPool(options_.cpus.empty() ? AllowedCpus() : options_.cpus);
    std::string why_not;
    if (CgroupsWanted(options_, &why_not)) {
      mount_ = CgroupMount(options_);
      RemoveDeadRunCgroups(mount_);
      absl::StatusOr<std::string> run = CreateRunCgroup(mount_, ::getpid());
      if (run.ok()) {
        run_cgroup_ = *run;
      } else {
        why_not = std::string(run.status().message());
      }
    }
    if (run_cgroup_.empty()) {
      Notice("cgroups unavailable (" + why_not +
             "): a trial's processes are ended through their process groups and "
             "environment marks; what leaves both can outlive its trial");
    }
    StartWatchdog();
  }

  void StartWatchdog() {
    absl::StatusOr<std::unique_ptr<LaunchWatchdog>> started =
        LaunchWatchdog::Start(run_cgroup_, std::string(kLauncherMark) + "=" + launcher_id_);
    if (!started.ok()) {
      Notice("no launch watchdog (" + std::string(started.status().message()) +
             "): if this process dies, only the ranks themselves end with it");
      return;
    }
    watchdog_ = std::move(*started);
    for (pid_t pgid : watched_) (void)watchdog_->Watch(pgid);
  }

  void WatchGroup(pid_t pgid) {
    watched_.push_back(pgid);
    if (watchdog_ && !watchdog_->Watch(pgid).ok()) {  // it was killed: another one
      Notice("the launch watchdog " + std::to_string(watchdog_->pid()) + " died; starting another");
      watchdog_.reset();
      StartWatchdog();
    }
  }

  void UnwatchGroup(pid_t pgid) {
    watched_.erase(std::remove(watched_.begin(), watched_.end(), pgid), watched_.end());
    if (watchdog_) (void)watchdog_->Unwatch(pgid);
  }

  void NoticeOnce(const std::string& message) {
    if (noticed_.insert(message).second) Notice(message);
  }

  void Notice(const std::string& message) {
    if (options_.log) {
      options_.log(message);
    } else {
      std::fprintf(stderr, "[warning] local launcher: %s\n", message.c_str());
    }
  }

  // Reports the exit. Every rank has been reaped.
  void Finish(const ClusterPtr& cluster) {
    cluster->finished = true;
    cluster->timeout_timer.cancel();
    cluster->grace_timer.cancel();
    cluster->deadline_timer.cancel();
    cluster->poll_timer.cancel();
    cluster->metric_file_timer.cancel();
    DrainStdout(*cluster);
    ReadMetricFile(*cluster, /*final=*/true);
    CloseFd(cluster->stdout_log);
    for (Rank& rank : cluster->ranks) {
      if (rank.pidfd) {
        boost::system::error_code ignored;
        rank.pidfd->close(ignored);
      }
      UnwatchGroup(rank.pid);
    }
    RemoveTrialCgroup(*cluster);
    cpu_pool_.Release(cluster->trial_id);

    ClusterExit exit = std::move(*cluster->exit);
    if (exit.kind == ClusterExit::Kind::kFailed && cluster->failed_rank) {
      exit.log_tail =
          ReadLogTail(cluster->ranks[*cluster->failed_rank].log_path, options_.log_tail_lines);
    }
    clusters_.erase(cluster->trial_id);  // before the callback: it may launch the trial again
    ExitCallback on_exit = std::move(cluster->on_exit);
    cluster->on_measurement = nullptr;
    if (on_exit) on_exit(cluster->trial_id, exit);
    {
      std::lock_guard<std::mutex> lock(live_mutex_);
      --live_clusters_;
      handles_.erase(cluster->trial_id);
    }
    live_changed_.notify_all();
  }

  // ------------------------------------------------------------ chief's stdout

  void ReadStdout(const ClusterPtr& cluster) {
    cluster->stdout_pipe.async_read_some(
        asio::buffer(cluster->buffer),
        [this, cluster](const boost::system::error_code& ec, size_t size) {
          if (cluster->finished) return;
          ConsumeStdout(*cluster, std::string_view(cluster->buffer.data(), size));
          if (!ec) {
            ReadStdout(cluster);
            return;
          }
          // EOF (every writer has exited) or a broken pipe: done reading.
          ConsumeStdout(*cluster, {}, /*eof=*/true);
          boost::system::error_code ignored;
          cluster->stdout_pipe.close(ignored);
          cluster->stdout_open = false;
          MaybeFinish(cluster);
        });
  }

  // Whatever is still in the pipe (a writer that escaped the groups may keep
  // it open; what it wrote so far is kept).
  void DrainStdout(Cluster& cluster) {
    if (!cluster.stdout_open) return;
    const int fd = cluster.stdout_pipe.native_handle();
    for (;;) {
      const ssize_t size = ::read(fd, cluster.buffer.data(), cluster.buffer.size());
      if (size < 0 && errno == EINTR) continue;
      if (size <= 0) break;
      ConsumeStdout(cluster, std::string_view(cluster.buffer.data(), static_cast<size_t>(size)));
    }
    ConsumeStdout(cluster, {}, /*eof=*/true);
    boost::system::error_code ignored;
    cluster.stdout_pipe.close(ignored);
    cluster.stdout_open = false;
  }

  // Copies `data` to the chief's log and reports the metrics of each
  // complete line (and of the last, unterminated one at EOF).
  void ConsumeStdout(Cluster& cluster, std::string_view data, bool eof = false) {
    if (cluster.stdout_log >= 0) WriteAll(cluster.stdout_log, data.data(), data.size());
    while (!data.empty()) {
      const size_t newline = data.find('\n');
      const std::string_view piece = data.substr(0, newline);
      if (cluster.pending_line.size() < kMaxPendingLine) {
        cluster.pending_line.append(
            piece.substr(0, std::min(piece.size(), kMaxPendingLine - cluster.pending_line.size())));
      }
      if (newline == std::string_view::npos) break;
      ParseStdoutLine(cluster);
      data.remove_prefix(newline + 1);
    }
    if (eof && !cluster.pending_line.empty()) ParseStdoutLine(cluster);
  }

  void ParseStdoutLine(Cluster& cluster) {
    std::string_view line = cluster.pending_line;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (cluster.parser) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - cluster.start).count();
      std::optional<Measurement> measurement = cluster.parser->ParseLine(line, elapsed);
      if (measurement && cluster.on_measurement) {
        cluster.on_measurement(cluster.trial_id, *measurement);
      }
    }
    cluster.pending_line.clear();
  }

  // ------------------------------------------------------------ chief's metric file

  void ScheduleMetricFileRead(const ClusterPtr& cluster) {
    cluster->metric_file_timer.expires_after(options_.metric_file_interval);
    cluster->metric_file_timer.async_wait([this, cluster](const boost::system::error_code& ec) {
      if (ec || cluster->finished) return;
      ReadMetricFile(*cluster, /*final=*/false);
      ScheduleMetricFileRead(cluster);
    });
  }

  // Reports what the chief's hypertune file holds that is new; `final` once
  // every rank has ended (the last line and the last step are complete).
  void ReadMetricFile(Cluster& cluster, bool final) {
    if (!cluster.hypertune) return;
    std::ifstream file(cluster.metric_file, std::ios::binary);
    if (!file) return;  // nothing reported yet
    // The library keeps 100 lines; a writer that appends forever is read
    // from its last kMaxMetricFileRead bytes (earlier lines were read before).
    constexpr std::streamoff kMaxMetricFileRead = 4 << 20;
    file.seekg(0, std::ios::end);
    const std::streamoff size = file.tellg();
    const std::streamoff start = size > kMaxMetricFileRead ? size - kMaxMetricFileRead : 0;
    file.seekg(start);
    std::string contents(static_cast<size_t>(size - start), '\0');
    file.read(contents.data(), static_cast<std::streamsize>(contents.size()));
    contents.resize(static_cast<size_t>(std::max<std::streamsize>(file.gcount(), 0)));
    if (start > 0) contents.erase(0, contents.find('\n') + 1);  // a cut first line
    const double elapsed = std::chrono::duration<double>(Clock::now() - cluster.start).count();
    for (const Measurement& measurement : cluster.hypertune->Update(contents, elapsed, final)) {
      if (cluster.on_measurement) cluster.on_measurement(cluster.trial_id, measurement);
    }
  }

  const LocalLauncherOptions options_;
  std::atomic<bool> shutting_down_{false};

  // Used on the loop thread only.
  std::map<int64_t, ClusterPtr> clusters_;
  bool set_up_ = false;
  std::string launcher_id_;  // the value of kLauncherMark
  std::string mount_;        // the cgroup v2 mount point, when cgroups are wanted
  std::string run_cgroup_;   // "" = no cgroups
  std::set<std::string> noticed_;
  CpuPool cpu_pool_;            // trainer.resources.cpus_per_rank
  std::vector<pid_t> watched_;  // the groups the watchdog ends
  std::unique_ptr<LaunchWatchdog> watchdog_;

  std::mutex live_mutex_;
  std::condition_variable live_changed_;
  int live_clusters_ = 0;  // guarded by live_mutex_: launched, exit not yet reported
  std::map<int64_t, std::string> handles_;  // guarded by live_mutex_: running clusters

 public:
  std::string Handle(int64_t trial_id) {
    std::lock_guard<std::mutex> lock(live_mutex_);
    auto it = handles_.find(trial_id);
    return it == handles_.end() ? "" : it->second;
  }
  const LocalLauncherOptions& options() const { return options_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;  // last: starts once the rest is built
};

LocalLauncher::LocalLauncher(LocalLauncherOptions options)
    : impl_(std::make_unique<Impl>(options)) {}

LocalLauncher::~LocalLauncher() = default;

absl::Status LocalLauncher::Launch(const LaunchRequest& request, MeasurementCallback on_measurement,
                                   ExitCallback on_exit) {
  return impl_->Launch(request, std::move(on_measurement), std::move(on_exit));
}

void LocalLauncher::Stop(int64_t trial_id, const std::string& reason) {
  impl_->Stop(trial_id, reason);
}

void LocalLauncher::StopAll() { impl_->StopAll(); }

std::string LocalLauncher::Handle(int64_t trial_id) { return impl_->Handle(trial_id); }

std::vector<int64_t> LocalLauncher::Leftovers(const std::string& study,
                                              const std::string& output_prefix) {
  std::vector<int64_t> ids;
  for (const auto& env : LiveEnvironments({"TUNER_STUDY", "TUNER_TRIAL_ID", "TUNER_OUTPUT_DIR"})) {
    auto s = env.find("TUNER_STUDY"), t = env.find("TUNER_TRIAL_ID"),
         o = env.find("TUNER_OUTPUT_DIR");
    if (s == env.end() || t == env.end() || o == env.end()) continue;
    if (s->second != study || o->second.rfind(output_prefix, 0) != 0) continue;
    const int64_t id = std::strtoll(t->second.c_str(), nullptr, 10);
    if (id <= 0 || !Handle(id).empty()) continue;  // ours and running
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

void LocalLauncher::Reap(const LaunchRequest& request, const std::string& handle) {
  std::map<std::string, std::string> marks = {{"TUNER_STUDY", request.study},
                                              {"TUNER_TRIAL_ID", std::to_string(request.trial_id)}};
  if (!request.output_dir.empty()) marks["TUNER_OUTPUT_DIR"] = request.output_dir;
  // The handle's groups, and any other group carrying the trial's marks (a
  // launcher that died before its handle was recorded).
  std::vector<pid_t> groups = ProcessGroupsCarrying(marks);
  if (handle.rfind("local:", 0) == 0) {
    std::stringstream list(handle.substr(6));
    for (std::string item; std::getline(list, item, ',');) {
      char* end = nullptr;
      const long pgid = std::strtol(item.c_str(), &end, 10);
      if (*end == '\0' && pgid > 1) groups.push_back(static_cast<pid_t>(pgid));
    }
  }
  // The trial's cgroups that other launchers left: ours when a process inside
  // carries the marks. (Empty groups are removed below, those of dead
  // launchers only: a live one may be about to start a rank in its group.)
  std::vector<std::string> cgroups;
  std::string mount, why_not;
  if (CgroupsWanted(impl_->options(), &why_not)) mount = CgroupMount(impl_->options());
  for (const std::string& path : ForeignTrialCgroups(mount, request.trial_id, ::getpid())) {
    const std::vector<pid_t> inside = CgroupProcesses(path);
    if (std::any_of(inside.begin(), inside.end(),
                    [&](pid_t pid) { return ProcessCarries(pid, marks); })) {
      cgroups.push_back(path);
    }
  }
  auto ours = [&](pid_t pgid) { return ProcessGroupCarries(pgid, marks); };
  for (pid_t pgid : groups) {
    if (ours(pgid)) SignalProcessGroup(pgid, SIGTERM);
  }
  for (const std::string& path : cgroups) SignalCgroup(path, SIGTERM);
  const auto deadline = Clock::now() + impl_->options().grace_period;
  auto alive = [&] {
    for (pid_t pgid : groups) {
      if (ours(pgid)) return true;
    }
    for (const std::string& path : cgroups) {
      if (CgroupPopulated(path)) return true;
    }
    return false;
  };
  while (alive() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (pid_t pgid : groups) {
    if (ours(pgid)) SignalProcessGroup(pgid, SIGKILL);
  }
  for (const std::string& path : cgroups) (void)KillCgroup(path);
  const auto kill_deadline = Clock::now() + impl_->options().kill_wait;
  while (alive() && Clock::now() < kill_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (const std::string& path : cgroups) (void)RemoveCgroup(path);
  RemoveDeadRunCgroups(mount);
}

}  // namespace tuner
