#include "trial_runner/slurm_launcher.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "trial_runner/log_tail.h"
#include "trial_runner/slurm_command.h"
#include "trial_runner/slurm_script.h"
#include "trial_runner/slurm_state.h"
#include "trial_runner/stdout_metrics.h"

namespace tuner {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A metric line longer than this is cut (StdoutMetricParser ignores lines
// over 4096 bytes anyway).
constexpr size_t kMaxPendingLine = 8192;
// Polls in a row that a job may be missing from squeue before it is given up.
constexpr int kMissingPollsBeforeGone = 2;

absl::Status WriteFile(const fs::path& path, const std::string& text, fs::perms perms) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      return absl::Status(absl::ErrnoToStatusCode(errno),
                          "cannot write " + temporary.string() + ": " + std::strerror(errno));
    }
  }
  std::error_code error;
  fs::permissions(temporary, perms, error);
  fs::rename(temporary, path, error);
  if (error) return absl::InternalError("cannot write " + path.string() + ": " + error.message());
  return absl::OkStatus();
}

std::string JoinIds(const std::vector<int64_t>& ids) {
  std::string out;
  for (int64_t id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

// A rank's recorded exit (slurm/exit/<type>-<index>).
struct RankExit {
  std::string file;  // "worker-1"
  int code = 0;
  int64_t mtime_ns = 0;
};

std::vector<RankExit> ReadRankExits(const fs::path& dir) {
  std::vector<RankExit> exits;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::ifstream in(entry.path());
    int code = 0;
    if (!(in >> code)) continue;
    struct stat info;
    if (::stat(entry.path().c_str(), &info) != 0) continue;
    exits.push_back(
        {name, code,
         static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec});
  }
  return exits;
}

// "worker-1" -> "worker:1".
std::string RankNameOf(const std::string& file) {
  std::string name = file;
  const size_t dash = name.rfind('-');
  if (dash != std::string::npos) name[dash] = ':';
  return name;
}

std::string DescribeExitCode(int code) {
  if (code > 128 && code < 128 + 65) {
    const int signal = code - 128;
    const char* text = ::strsignal(signal);
    return "killed by signal " + std::to_string(signal) +
           (text ? " (" + std::string(text) + ")" : "");
  }
  return "exited with code " + std::to_string(code);
}

}  // namespace

class SlurmLauncher::Impl {
 public:
  explicit Impl(SlurmLauncherOptions options) : options_(options), thread_([this] { Loop(); }) {}

  ~Impl() {
    shutting_down_ = true;
    if (options_.cancel_on_destroy) StopAll();
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_thread_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  absl::Status Launch(const LaunchRequest& request, MeasurementCallback on_measurement,
                      ExitCallback on_exit) {
    if (shutting_down_) return absl::FailedPreconditionError("the launcher is shutting down");
    const TrainerSpec& trainer = request.trainer;
    if (trainer.command.empty() || trainer.command[0].empty()) {
      return absl::InvalidArgumentError("trainer.command is empty");
    }
    const ClusterSpec& shape = trainer.cluster;
    if (shape.chief != 1 || shape.worker < 0 || shape.ps < 0) {
      return absl::InvalidArgumentError(
          "trainer.cluster: expected 1 chief and >= 0 workers and ps, got chief=" +
          std::to_string(shape.chief) + " worker=" + std::to_string(shape.worker) +
          " ps=" + std::to_string(shape.ps));
    }
    if (request.output_dir.empty() || !fs::path(request.output_dir).is_absolute()) {
      return absl::InvalidArgumentError(
          "output_dir must be an absolute path on a filesystem the compute nodes share, got \"" +
          request.output_dir + "\"");
    }
    auto job = std::make_shared<Job>();
    if (absl::Status s = PrepareJob(request, std::move(on_measurement), std::move(on_exit), *job);
        !s.ok()) {
      return s;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (jobs_.contains(request.trial_id)) {
        return absl::AlreadyExistsError("trial " + std::to_string(request.trial_id) +
                                        " is already running");
      }
    }

    const SlurmJobFiles files = BuildSlurmJob(request);
    std::error_code error;
    fs::create_directories(fs::path(request.output_dir) / "logs", error);
    if (!error) fs::create_directories(files.exit_dir, error);
    if (error) {
      return absl::Status(
          absl::ErrnoToStatusCode(error.value()),
          "cannot create the trial directory " + request.output_dir + ": " + error.message());
    }
    for (const RankExit& old : ReadRankExits(files.exit_dir)) {
      fs::remove(fs::path(files.exit_dir) / old.file, error);
    }
    const fs::perms exec = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec;
    if (absl::Status s = WriteFile(files.task_script_path, files.task_script, exec); !s.ok()) {
      return s;
    }
    if (absl::Status s = WriteFile(files.batch_script_path, files.batch_script, exec); !s.ok()) {
      return s;
    }

    std::vector<std::string> argv = {"sbatch"};
    argv.insert(argv.end(), files.sbatch_args.begin(), files.sbatch_args.end());
    absl::StatusOr<CommandResult> submitted = RunCommand(argv, options_.command_timeout);
    if (!submitted.ok()) {
      return absl::Status(submitted.status().code(),
                          "cannot run sbatch (is Slurm's client installed?): " +
                              std::string(submitted.status().message()));
    }
    if (!submitted->ok()) return absl::UnavailableError("sbatch: " + submitted->ErrorText());
    const std::optional<int64_t> job_id = ParseSlurmJobId(submitted->output);
    if (!job_id) {
      return absl::InternalError("sbatch printed no job id: " + submitted->output);
    }
    job->job_id = *job_id;
    job->start = Clock::now();
    if (trainer.timeout_s > 0) job->deadline = Deadline(job->start, trainer.timeout_s);
    Track(job);
    return absl::OkStatus();
  }

  void Stop(int64_t trial_id, const std::string& reason) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = jobs_.find(trial_id);
      if (it == jobs_.end() || it->second->requested) return;
      ClusterExit exit;
      exit.kind = ClusterExit::Kind::kStopped;
      exit.message = reason.empty() ? "stopped" : reason;
      it->second->requested = std::move(exit);
    }
    wake_.notify_all();
  }

  void StopAll() {
    std::unique_lock<std::mutex> lock(mu_);
    for (auto& [id, job] : jobs_) {
      if (job->requested) continue;
      ClusterExit exit;
      exit.kind = ClusterExit::Kind::kStopped;
      exit.message = "stopped: the launcher is shutting down";
      job->requested = std::move(exit);
    }
    wake_.notify_all();
    if (std::this_thread::get_id() == thread_.get_id()) return;  // from a callback
    jobs_changed_.wait(lock, [this] { return jobs_.empty(); });
  }

  std::string Handle(int64_t trial_id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = jobs_.find(trial_id);
    return it == jobs_.end() ? "" : "slurm:" + std::to_string(it->second->job_id);
  }

  absl::Status Adopt(const LaunchRequest& request, const std::string& handle,
                     MeasurementCallback on_measurement, ExitCallback on_exit) {
    if (shutting_down_) return absl::FailedPreconditionError("the launcher is shutting down");
    const std::optional<int64_t> job_id = ParseSlurmJobId(handle);
    if (!job_id || handle.rfind("slurm:", 0) != 0) {
      return absl::NotFoundError("not a Slurm job handle: \"" + handle + "\"");
    }
    absl::StatusOr<SlurmJobInfo> info = ShowJob(*job_id);
    if (!info.ok()) return absl::NotFoundError(std::string(info.status().message()));
    const std::string expected = SlurmJobName(request.study, request.trial_id);
    if (info->name != expected) {
      return absl::NotFoundError("Slurm job " + std::to_string(*job_id) + " is \"" + info->name +
                                 "\", not " + expected);
    }
    if (IsFinalSlurmState(info->state)) {
      return absl::NotFoundError("Slurm job " + std::to_string(*job_id) + " has ended (" +
                                 info->state + ")");
    }
    auto job = std::make_shared<Job>();
    if (absl::Status s = PrepareJob(request, std::move(on_measurement), std::move(on_exit), *job);
        !s.ok()) {
      return s;
    }
    job->job_id = *job_id;
    job->start = Clock::now() - std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(info->run_time_s));
    if (request.trainer.timeout_s > 0) {
      job->deadline = Deadline(job->start, request.trainer.timeout_s);
    }
    // What the chief printed before was reported by the process that
    // launched it.
    std::error_code error;
    const auto size = fs::file_size(job->chief_log, error);
    job->log_offset = error ? 0 : static_cast<uint64_t>(size);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (jobs_.contains(request.trial_id)) {
        return absl::AlreadyExistsError("trial " + std::to_string(request.trial_id) +
                                        " is already running");
      }
    }
    Track(job);
    return absl::OkStatus();
  }

  void Reap(const LaunchRequest& request, const std::string& handle) {
    if (handle.rfind("slurm:", 0) != 0) return;
    const std::optional<int64_t> job_id = ParseSlurmJobId(handle);
    if (!job_id) return;
    const std::string expected = SlurmJobName(request.study, request.trial_id);
    absl::StatusOr<SlurmJobInfo> info = ShowJob(*job_id);
    if (!info.ok() || info->name != expected || IsFinalSlurmState(info->state)) return;
    (void)RunCommand({"scancel", std::to_string(*job_id)}, options_.command_timeout);
    const auto deadline = Clock::now() + options_.reap_wait;
    while (Clock::now() < deadline) {
      info = ShowJob(*job_id);
      if (!info.ok() || IsFinalSlurmState(info->state)) return;
      std::this_thread::sleep_for(options_.poll_interval);
    }
  }

 private:
  struct Job {
    int64_t trial_id = 0;
    int64_t job_id = 0;
    std::string output_dir;
    MeasurementCallback on_measurement;
    ExitCallback on_exit;
    Clock::time_point start;
    std::optional<Clock::time_point> deadline;  // trainer.timeout_s
    double timeout_s = 0;

    // Guarded by mu_.
    std::optional<ClusterExit> requested;  // Stop(), the timeout, StopAll()
    bool cancel_sent = false;

    // The poll thread's only.
    int missing_polls = 0;
    std::optional<StdoutMetricParser> parser;  // metrics.source = stdout
    std::string chief_log;
    uint64_t log_offset = 0;
    std::string pending_line;
  };
  using JobPtr = std::shared_ptr<Job>;

  static Clock::time_point Deadline(Clock::time_point start, double timeout_s) {
    constexpr double kMaxTimeout = 100.0 * 365 * 24 * 3600;  // beyond: none
    return start + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(std::min(timeout_s, kMaxTimeout)));
  }

  absl::Status PrepareJob(const LaunchRequest& request, MeasurementCallback on_measurement,
                          ExitCallback on_exit, Job& job) {
    job.trial_id = request.trial_id;
    job.output_dir = request.output_dir;
    job.on_measurement = std::move(on_measurement);
    job.on_exit = std::move(on_exit);
    job.timeout_s = request.trainer.timeout_s;
    job.chief_log = (fs::path(request.output_dir) / "logs" / "chief-0.log").string();
    if (request.trainer.metrics.source == MetricSource::kHypertune) {
      return absl::InvalidArgumentError(
          "trainer.metrics.source: \"hypertune\" is only available with backend \"local\"");
    }
    if (request.trainer.metrics.source == MetricSource::kStdout) {
      absl::StatusOr<StdoutMetricParser> parser = StdoutMetricParser::Create(
          request.trainer.metrics.pattern, request.trainer.metrics.step_key,
          request.trainer.metrics.names);
      if (!parser.ok()) return parser.status();
      job.parser.emplace(std::move(*parser));
    }
    return absl::OkStatus();
  }

  void Track(const JobPtr& job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_[job->trial_id] = job;
    }
    wake_.notify_all();
  }

  absl::StatusOr<SlurmJobInfo> ShowJob(int64_t job_id) {
    absl::StatusOr<CommandResult> shown = RunCommand(
        {"scontrol", "-o", "show", "job", std::to_string(job_id)}, options_.command_timeout);
    if (!shown.ok()) return shown.status();
    if (!shown->ok()) {
      return absl::NotFoundError("scontrol show job " + std::to_string(job_id) + ": " +
                                 shown->ErrorText());
    }
    return ParseScontrolJob(shown->output);
  }

  // ------------------------------------------------------------ the poll thread

  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_thread_) {
      if (jobs_.empty()) {
        wake_.wait(lock, [this] { return stop_thread_ || !jobs_.empty(); });
        continue;
      }
      lock.unlock();
      PollOnce();
      lock.lock();
      // Sooner when a job must be cancelled.
      wake_.wait_for(lock, options_.poll_interval, [this] {
        if (stop_thread_) return true;
        for (const auto& [id, job] : jobs_) {
          if (job->requested && !job->cancel_sent) return true;
        }
        return false;
      });
    }
  }

  void PollOnce() {
    std::vector<JobPtr> jobs;
    std::vector<int64_t> to_cancel;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const auto now = Clock::now();
      for (auto& [id, job] : jobs_) {
        if (!job->requested && job->deadline && now >= *job->deadline) {
          ClusterExit exit;
          exit.kind = ClusterExit::Kind::kTimedOut;
          std::ostringstream message;
          message << "timed out after " << job->timeout_s << " s (trainer.timeout_s)";
          exit.message = message.str();
          job->requested = std::move(exit);
        }
        if (job->requested && !job->cancel_sent) {
          job->cancel_sent = true;
          to_cancel.push_back(job->job_id);
        }
        jobs.push_back(job);
      }
    }
    if (jobs.empty()) return;
    if (!to_cancel.empty()) {
      std::vector<std::string> argv = {"scancel"};
      for (int64_t id : to_cancel) argv.push_back(std::to_string(id));
      absl::StatusOr<CommandResult> cancelled = RunCommand(argv, options_.command_timeout);
      if (!cancelled.ok() || !cancelled->ok()) {
        // Tried again on the next poll (a job that has ended meanwhile is
        // reported as it ended).
        std::lock_guard<std::mutex> lock(mu_);
        for (const JobPtr& job : jobs) {
          if (std::find(to_cancel.begin(), to_cancel.end(), job->job_id) != to_cancel.end()) {
            job->cancel_sent = false;
          }
        }
      }
    }
    for (const JobPtr& job : jobs) TailChiefLog(*job, /*final=*/false);

    std::vector<int64_t> ids;
    for (const JobPtr& job : jobs) ids.push_back(job->job_id);
    absl::StatusOr<CommandResult> queue =
        RunCommand({"squeue", "-h", "-t", "all", "-j", JoinIds(ids), "-o", "%i|%T|%r"},
                   options_.command_timeout);
    if (!queue.ok()) return;
    std::map<int64_t, SlurmJobInfo> states;
    if (queue->ok()) {
      states = ParseSqueue(queue->output);
    } else if (queue->ErrorText().find("Invalid job id") == std::string::npos) {
      return;  // the controller did not answer: ask again on the next poll
    }
    for (const JobPtr& job : jobs) {
      std::optional<SlurmJobInfo> ended;
      auto it = states.find(job->job_id);
      if (it != states.end()) {
        job->missing_polls = 0;
        if (!IsFinalSlurmState(it->second.state)) continue;
        absl::StatusOr<SlurmJobInfo> shown = ShowJob(job->job_id);
        ended = shown.ok() && IsFinalSlurmState(shown->state) ? *shown : it->second;
      } else {
        if (++job->missing_polls < kMissingPollsBeforeGone) continue;
        ended = FromAccounting(job->job_id);
      }
      Finish(job, *ended);
    }
  }

  // The job as sacct has it, or a "vanished" job when accounting is off.
  SlurmJobInfo FromAccounting(int64_t job_id) {
    absl::StatusOr<CommandResult> accounted =
        RunCommand({"sacct", "-n", "-X", "-P", "-j", std::to_string(job_id), "-o",
                    "JobID,State,ExitCode,JobName"},
                   options_.command_timeout);
    if (accounted.ok() && accounted->ok()) {
      std::map<int64_t, SlurmJobInfo> jobs = ParseSacct(accounted->output);
      auto it = jobs.find(job_id);
      if (it != jobs.end() && IsFinalSlurmState(it->second.state)) return it->second;
    }
    SlurmJobInfo gone;
    gone.job_id = job_id;
    gone.state = "VANISHED";
    gone.reason = "squeue, scontrol and sacct no longer know it";
    return gone;
  }

  void Finish(const JobPtr& job, const SlurmJobInfo& info) {
    TailChiefLog(*job, /*final=*/true);
    std::optional<ClusterExit> requested;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requested = job->requested;
    }
    const SlurmJobOutcome outcome = OutcomeOfFinishedJob(info, requested);
    ClusterExit exit;
    exit.kind = outcome.kind;
    exit.message = outcome.message;
    if (exit.kind == ClusterExit::Kind::kFailed) DescribeFailure(*job, info, &exit);

    ExitCallback on_exit;
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.erase(job->trial_id);  // before the callback: it may launch the trial again
      on_exit = std::move(job->on_exit);
      job->on_measurement = nullptr;
    }
    if (on_exit) on_exit(job->trial_id, exit);
    jobs_changed_.notify_all();
  }

  // A failed job: the rank that failed first, with its log; else the job's
  // own message with the batch script's log.
  void DescribeFailure(const Job& job, const SlurmJobInfo& info, ClusterExit* exit) {
    const fs::path dir(job.output_dir);
    if (info.state == "FAILED") {
      std::vector<RankExit> exits = ReadRankExits(dir / "slurm" / "exit");
      std::erase_if(exits, [](const RankExit& e) { return e.code == 0; });
      if (!exits.empty()) {
        // The earliest; on a tie a plain exit code before a signal (the
        // others were killed because of it).
        const RankExit& first =
            *std::min_element(exits.begin(), exits.end(), [](const RankExit& a, const RankExit& b) {
              if (a.mtime_ns != b.mtime_ns) return a.mtime_ns < b.mtime_ns;
              return (a.code > 128) < (b.code > 128);
            });
        exit->message = "rank " + RankNameOf(first.file) + " " + DescribeExitCode(first.code) +
                        " (Slurm job " + std::to_string(info.job_id) + ")";
        exit->log_tail =
            ReadLogTail((dir / "logs" / (first.file + ".log")).string(), options_.log_tail_lines);
        return;
      }
    }
    exit->log_tail =
        ReadLogTail((dir / "logs" / ("slurm-" + std::to_string(info.job_id) + ".log")).string(),
                    options_.log_tail_lines);
  }

  // New bytes of the chief's log -> metric lines (stdout metrics only).
  void TailChiefLog(Job& job, bool final) {
    if (!job.parser) return;
    std::ifstream in(job.chief_log, std::ios::binary);
    if (!in) return;
    in.seekg(0, std::ios::end);
    const auto size = static_cast<uint64_t>(std::max<std::streamoff>(0, in.tellg()));
    if (size < job.log_offset) job.log_offset = 0;  // truncated: a new attempt
    in.seekg(static_cast<std::streamoff>(job.log_offset));
    std::string data(size - job.log_offset, '\0');
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    data.resize(static_cast<size_t>(in.gcount()));
    job.log_offset += data.size();
    std::string_view rest = data;
    while (!rest.empty()) {
      const size_t newline = rest.find('\n');
      const std::string_view piece = rest.substr(0, newline);
      if (job.pending_line.size() < kMaxPendingLine) {
        job.pending_line.append(
            piece.substr(0, std::min(piece.size(), kMaxPendingLine - job.pending_line.size())));
      }
      if (newline == std::string_view::npos) break;
      ParseLine(job);
      rest.remove_prefix(newline + 1);
    }
    if (final && !job.pending_line.empty()) ParseLine(job);
  }

  void ParseLine(Job& job) {
    std::string_view line = job.pending_line;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const double elapsed = std::chrono::duration<double>(Clock::now() - job.start).count();
    std::optional<Measurement> measurement = job.parser->ParseLine(line, elapsed);
    if (measurement && job.on_measurement) job.on_measurement(job.trial_id, *measurement);
    job.pending_line.clear();
  }

  const SlurmLauncherOptions options_;
  std::atomic<bool> shutting_down_{false};

  std::mutex mu_;
  std::condition_variable wake_;          // the poll thread: jobs, cancels, stop
  std::condition_variable jobs_changed_;  // StopAll: a job was finished
  std::map<int64_t, JobPtr> jobs_;        // guarded by mu_: trial id -> tracked job
  bool stop_thread_ = false;              // guarded by mu_

  std::thread thread_;  // last: starts once the rest is built
};

SlurmLauncher::SlurmLauncher(SlurmLauncherOptions options)
    : impl_(std::make_unique<Impl>(options)) {}

SlurmLauncher::~SlurmLauncher() = default;

absl::Status SlurmLauncher::Launch(const LaunchRequest& request, MeasurementCallback on_measurement,
                                   ExitCallback on_exit) {
  return impl_->Launch(request, std::move(on_measurement), std::move(on_exit));
}

void SlurmLauncher::Stop(int64_t trial_id, const std::string& reason) {
  impl_->Stop(trial_id, reason);
}

void SlurmLauncher::StopAll() { impl_->StopAll(); }

std::string SlurmLauncher::Handle(int64_t trial_id) { return impl_->Handle(trial_id); }

absl::Status SlurmLauncher::Adopt(const LaunchRequest& request, const std::string& handle,
                                  MeasurementCallback on_measurement, ExitCallback on_exit) {
  return impl_->Adopt(request, handle, std::move(on_measurement), std::move(on_exit));
}

void SlurmLauncher::Reap(const LaunchRequest& request, const std::string& handle) {
  impl_->Reap(request, handle);
}

}  // namespace tuner
