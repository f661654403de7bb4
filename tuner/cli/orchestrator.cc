#include "tuner/cli/orchestrator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "study/trainer_command.h"
#include "tuner/cli/artifact_files.h"

namespace tuner {
namespace {

// Between a failure's message and the failing rank's log tail in its reason.
constexpr char kLogTailMarker[] = "\n--- last lines of its log ---\n";

std::string MetricsText(const Measurement& m) {
  std::string out;
  for (const auto& [k, v] : m.metrics) out += (out.empty() ? "" : " ") + k + "=" + FormatValue(v);
  return out;
}

}  // namespace

std::string TrialAttemptDir(const std::string& trial_dir, int attempt) {
  if (attempt <= 1) return trial_dir;
  return (std::filesystem::path(trial_dir) / ("attempt-" + std::to_string(attempt))).string();
}

std::string LaunchCommand(const LaunchRequest& request,
                          const std::map<std::string, std::string>& env) {
  std::string line;
  if (!request.working_dir.empty()) line = "cd " + ShellQuote(request.working_dir) + " && ";
  return line +
         ShellCommand(TrainerArgv(request.trainer.command, request.parameters, request.extra_args),
                      env);
}

std::optional<ExitOutcome> OutcomeForExit(const Trial& trial, const ClusterExit& exit,
                                          double timeout_s) {
  if (IsFinal(trial.state)) return std::nullopt;
  if (trial.state == TrialState::kStopping)
    return ExitOutcome{ExitOutcome::Kind::kCompleteWithLastReport};
  switch (exit.kind) {
    case ClusterExit::Kind::kSucceeded:
      if (!trial.measurements.empty()) {
        return ExitOutcome{ExitOutcome::Kind::kCompleteWithLastReport};
      }
      return ExitOutcome{ExitOutcome::Kind::kFail,
                         "the chief exited 0 without completing the trial or reporting a metric"};
    case ClusterExit::Kind::kFailed: {
      std::string message = exit.message;
      if (!exit.log_tail.empty()) message += kLogTailMarker + exit.log_tail;
      return ExitOutcome{ExitOutcome::Kind::kFail, message};
    }
    case ClusterExit::Kind::kTimedOut:
      return ExitOutcome{ExitOutcome::Kind::kFail,
                         "timed out after " + FormatValue(timeout_s) + " s (trainer.timeout_s)"};
    case ClusterExit::Kind::kStopped:
      return ExitOutcome{ExitOutcome::Kind::kFail, "cluster stopped: " + exit.message};
  }
  return std::nullopt;
}

Orchestrator::Orchestrator(StudyApi* api, Launcher* launcher, StudySpec spec,
                           OrchestratorOptions options)
    : api_(api),
      launcher_(launcher),
      spec_(std::move(spec)),
      options_(std::move(options)),
      devices_(options_.devices) {}

size_t Orchestrator::DevicesPerTrial() const {
  const ClusterSpec& c = spec_.trainer.cluster;
  return static_cast<size_t>(std::max(spec_.trainer.resources.gpus_per_rank, 0)) *
         static_cast<size_t>(c.chief + c.worker + c.ps);
}

void Orchestrator::Push(Event event) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(event));
  }
  cv_.notify_one();
}

void Orchestrator::Interrupt() {
  interrupted_ = true;
  cv_.notify_one();
}

absl::Status Orchestrator::LaunchTrial(int slot, const Trial& trial) {
  LaunchRequest request;
  request.study = spec_.name;
  request.trial_id = trial.id;
  request.trainer = spec_.trainer;
  for (const auto& [k, v] : options_.extra_env) request.trainer.env.emplace(k, v);
  if (options_.trial_token) request.trainer.env["TUNER_TOKEN"] = options_.trial_token(trial.id);
  request.parameters = trial.parameters;
  request.working_dir = options_.working_dir;
  request.output_dir = AttemptDir(trial);
  request.endpoint = options_.endpoint;
  if (request.trainer.job_dir) {  // as Cloud ML Engine passes it
    request.extra_args.push_back("--job-dir=" +
                                 std::filesystem::absolute(request.output_dir).string());
  }
  const int64_t id = trial.id;
  // A relaunch (retry, restarted run) continues from its latest checkpoint;
  // one with none yet, from those of the trial it retries or continues.
  auto restore = LatestCheckpointPath(*api_, spec_.name, id, TrialDir(id));
  if (restore.ok() && restore->empty()) restore = InheritedCheckpoint(trial);
  if (!restore.ok()) {
    spdlog::warn("trial {}: cannot look up its checkpoints: {}", id,
                 std::string(restore.status().message()));
  } else if (!restore->empty()) {
    request.trainer.env["TUNER_RESTORE_FROM"] = *restore;
  }
  if (DevicesPerTrial() > 0) {
    // FillSlots saw them free; an adopted cluster keeps the devices it was
    // given, and holds as many of the pool's here.
    request.devices = devices_.Acquire(id, DevicesPerTrial()).value_or(std::vector<std::string>{});
  }
  auto on_measurement = [this](int64_t t, const Measurement& m) { Push({t, false, {}, m}); };
  auto on_exit = [this](int64_t t, const ClusterExit& e) { Push({t, true, e, {}}); };
  if (!trial.runner.empty() || trial.create_time < run_start_) {
    // Launched by a run that ended without finishing it: take its cluster
    // over, or end what is left of it and launch afresh.
    if (!trial.runner.empty() &&
        launcher_->Adopt(request, trial.runner, on_measurement, on_exit).ok()) {
      slots_[slot] = id;
      return Report("trial " + std::to_string(id) + " adopted (" + trial.runner + ")");
    }
    launcher_->Reap(request, trial.runner);
  }
  absl::Status launched = launcher_->Launch(request, on_measurement, on_exit);
  if (!launched.ok()) {
    devices_.Release(id);
    spdlog::warn("trial {}: cannot launch: {}", id, std::string(launched.message()));
    return FailAttempt(slot, id, "cannot launch: " + std::string(launched.message()));
  }
  slots_[slot] = id;
  if (const std::string handle = launcher_->Handle(id); !handle.empty()) {
    // The study's environment and the client's path; not the run's own
    // variables (endpoint, token), which a re-run outside the study must not use.
    std::map<std::string, std::string> env = spec_.trainer.env;
    if (auto it = options_.extra_env.find("PYTHONPATH"); it != options_.extra_env.end()) {
      env.emplace(it->first, it->second);
    }
    auto recorded = api_->SetTrialRunner(spec_.name, id, handle, LaunchCommand(request, env));
    if (!recorded.ok() && recorded.status().code() != absl::StatusCode::kFailedPrecondition) {
      return recorded.status();
    }
  }
  return Report("trial " + std::to_string(id) + " started" +
                (trial.attempt() > 1 ? " (attempt " + std::to_string(trial.attempt()) + ")" : ""));
}

absl::Status Orchestrator::FillSlots(bool* study_done) {
  // Slots whose trial a previous run left come first: a slot with nothing
  // to run ends the pass, and must not keep them waiting.
  std::vector<int> order(resume_slots_.begin(), resume_slots_.end());
  for (int slot = 0; slot < spec_.max_parallel_trials; ++slot) {
    if (!resume_slots_.contains(slot)) order.push_back(slot);
  }
  for (int slot : order) {
    if (interrupted_) break;
    if (slots_.contains(slot)) continue;
    // Not enough free devices: the slot waits (no trial is suggested) until a
    // running trial ends and frees its own.
    if (devices_.free() < DevicesPerTrial()) return absl::OkStatus();
    resume_slots_.erase(slot);
    // max_parallel_trials holds for every run of the study together.
    auto suggestion = api_->SuggestTrials(
        spec_.name, 1, options_.client_prefix + std::to_string(slot), spec_.max_parallel_trials);
    if (!suggestion.ok()) return suggestion.status();
    *study_done = suggestion->study_done;
    if (suggestion->trials.empty()) return absl::OkStatus();  // nothing to run now
    if (absl::Status s = LaunchTrial(slot, suggestion->trials.front()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Orchestrator::Finish(int64_t trial_id, const absl::StatusOr<Trial>& result) {
  if (!result.ok()) {
    // The trainer may have finished the trial itself meanwhile: that is fine.
    if (result.status().code() == absl::StatusCode::kFailedPrecondition) return absl::OkStatus();
    return result.status();
  }
  std::string event = "trial " + std::to_string(trial_id) + " " + ToString(result->state);
  std::string reason = result->reason;
  bool failed = result->state == TrialState::kFailed;
  if (result->state == TrialState::kActive && !result->attempts.empty()) {
    // A failed attempt the server retries: the slot launches the next one.
    const TrialAttempt& ended = result->attempts.back();
    event = "trial " + std::to_string(trial_id) + " attempt " + std::to_string(ended.number) +
            " FAILED, retrying (attempt " + std::to_string(result->attempt()) + " of " +
            std::to_string(spec_.trainer.max_retries + 1) + ")";
    reason = ended.reason;
    failed = true;
  } else if (!result->attempts.empty()) {
    event += " after " + std::to_string(result->attempt()) + " attempts";
  }
  if (result->final_measurement) event += " " + MetricsText(*result->final_measurement);
  if (!reason.empty()) {
    event += " (" + reason.substr(0, reason.find('\n')) + ")";
    // A failure's reason ends with the failing rank's log tail: show it.
    if (const size_t marker = reason.find(kLogTailMarker); failed && marker != std::string::npos) {
      std::istringstream tail(reason.substr(marker + std::strlen(kLogTailMarker)));
      for (std::string line; std::getline(tail, line);) event += "\n    | " + line;
    }
  }
  return Report(event);
}

absl::Status Orchestrator::HandleExit(int64_t trial_id, const ClusterExit& exit) {
  int slot = -1;
  for (auto it = slots_.begin(); it != slots_.end(); ++it) {
    if (it->second == trial_id) {
      slot = it->first;
      slots_.erase(it);
      break;
    }
  }
  stop_sent_.erase(trial_id);
  devices_.Release(trial_id);  // every process of the cluster has ended
  auto trial = api_->GetTrial(spec_.name, trial_id);
  if (!trial.ok()) return trial.status();
  // The files its ranks left under artifacts/ and checkpoints/ (the trial
  // directory is shared with Slurm's nodes, so this covers both backends).
  if (auto recorded =
          RecordTrialFiles(*api_, spec_.name, trial_id, TrialDir(trial_id), trial->attempt());
      !recorded.ok()) {
    spdlog::warn("trial {}: cannot record its files: {}", trial_id,
                 std::string(recorded.status().message()));
  }
  std::optional<ExitOutcome> outcome = OutcomeForExit(*trial, exit, spec_.trainer.timeout_s);
  if (!outcome) return Finish(trial_id, *trial);  // the trainer completed it
  if (outcome->kind == ExitOutcome::Kind::kCompleteWithLastReport) {
    auto done = api_->CompleteTrial(spec_.name, trial_id, TrialOutcome::Completed({}));
    if (done.ok() || done.status().code() != absl::StatusCode::kInvalidArgument) {
      return Finish(trial_id, done);
    }
    // The trainer's own fault (e.g. its last report lacks the objective): a
    // retry would end the same way.
    return Finish(trial_id,
                  api_->CompleteTrial(spec_.name, trial_id,
                                      TrialOutcome::Failed(std::string(done.status().message()))));
  }
  return FailAttempt(slot, trial_id, outcome->message);
}

absl::Status Orchestrator::FailAttempt(int slot, int64_t trial_id, const std::string& message) {
  auto result = api_->CompleteTrial(spec_.name, trial_id, TrialOutcome::ClusterFailed(message));
  if (absl::Status s = Finish(trial_id, result); !s.ok()) return s;
  // Retried: the slot launches the next attempt now (another slot's
  // SuggestTrials would not hand it out: it is this slot's client's).
  if (!result.ok() || result->state != TrialState::kActive || interrupted_ || slot < 0) {
    return absl::OkStatus();
  }
  return LaunchTrial(slot, *result);
}

absl::Status Orchestrator::HandleMeasurement(int64_t trial_id, const Measurement& m) {
  auto stop = api_->ReportMeasurement(spec_.name, trial_id, m);
  if (!stop.ok()) {
    spdlog::warn("trial {}: report of step {} refused: {}", trial_id, m.step,
                 std::string(stop.status().message()));
    return absl::OkStatus();
  }
  if (stop->stop && stop_sent_.insert(trial_id).second) {
    launcher_->Stop(trial_id, stop->reason.empty() ? "stop decision" : stop->reason);
  }
  return absl::OkStatus();
}

absl::Status Orchestrator::StopStoppingTrials() {
  if (slots_.empty()) return absl::OkStatus();
  auto stopping =
      api_->ListTrials(spec_.name, {.states = {TrialState::kStopping}, .with_measurements = false});
  if (!stopping.ok()) return stopping.status();
  for (const Trial& t : *stopping) {
    bool mine = false;
    for (const auto& [slot, id] : slots_) mine |= id == t.id;
    if (mine && stop_sent_.insert(t.id).second) {
      spdlog::info("trial {}: stopping its cluster ({})", t.id, t.reason);
      launcher_->Stop(t.id, t.reason);
    }
  }
  return absl::OkStatus();
}

absl::Status Orchestrator::Heartbeats() {
  for (const auto& [slot, id] : slots_) {
    auto stop = api_->Heartbeat(spec_.name, id);
    if (stop.ok()) continue;
    if (stop.status().code() != absl::StatusCode::kFailedPrecondition) return stop.status();
    // The server gave up on the trial (its lease expired): end its cluster.
    if (stop_sent_.insert(id).second) launcher_->Stop(id, std::string(stop.status().message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<TrialCounts> Orchestrator::Counts() {
  auto trials = api_->ListTrials(spec_.name, {.with_measurements = false});
  if (!trials.ok()) return trials.status();
  // A trial this run still holds a slot for counts as running until its
  // exit is handled and its event line printed, even when its trainer has
  // already completed it: the counts never run ahead of the event lines.
  TrialCounts counts;
  for (const Trial& t : *trials) {
    bool held = false;
    for (const auto& [slot, id] : slots_) held |= id == t.id;
    counts.Add(held ? TrialState::kActive : t.state, 1);
  }
  return counts;
}

absl::Status Orchestrator::Report(const std::string& event) {
  if (!options_.on_progress) return absl::OkStatus();
  auto counts = Counts();
  if (!counts.ok()) return counts.status();
  RunProgress p;
  p.counts = *counts;
  p.max_trials = spec_.max_trials;
  p.event = event;
  if (spec_.objectives.size() == 1) {
    auto best = api_->GetBestTrials(spec_.name);
    if (best.ok() && !best->empty() && best->front().final_measurement) {
      p.best_trial = best->front().id;
      p.best_value = best->front().final_measurement->metrics.at(spec_.objectives[0].metric);
    }
  }
  options_.on_progress(p);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Orchestrator::InheritedCheckpoint(const Trial& trial) const {
  int64_t parent = trial.parent_trial;
  // An interrupted run's trial, offered again as this one; when it was itself
  // a retry interrupted before a checkpoint of its own, the one it retried.
  for (int64_t source = trial.retry_of; source > 0;) {
    auto retried = api_->GetTrial(spec_.name, source);
    if (!retried.ok()) return retried.status();
    auto copied = CopyCheckpoint(trial, retried->id, "retried-checkpoint");
    if (!copied.ok() || !copied->empty()) return copied;
    // A PBT member interrupted before its first checkpoint: its parent's.
    if (retried->parent_trial > 0) parent = retried->parent_trial;
    source = retried->retry_of < source ? retried->retry_of : 0;
  }
  if (parent <= 0) return std::string();
  auto copied = CopyCheckpoint(trial, parent, "parent-checkpoint");
  if (copied.ok() && copied->empty()) {
    spdlog::warn(
        "trial {}: its parent, trial {}, recorded no checkpoint: it starts afresh with the "
        "explored parameters (PBT needs trainers that save checkpoints: docs/pbt.md)",
        trial.id, parent);
  }
  return copied;
}

absl::StatusOr<std::string> Orchestrator::CopyCheckpoint(const Trial& trial, int64_t source,
                                                         const std::string& folder) const {
  namespace fs = std::filesystem;
  // The source may train on and its retention delete old checkpoints: copy
  // the latest into this trial's own directory (looked up again should the
  // source delete it meanwhile).
  for (int tries = 0; tries < 5; ++tries) {
    auto latest = LatestCheckpointPath(*api_, spec_.name, source, TrialDir(source));
    if (!latest.ok() || latest->empty()) return latest;
    const fs::path dest = fs::path(AttemptDir(trial)) / folder /
                          ("trial-" + std::to_string(source)) / fs::path(*latest).filename();
    std::error_code ec;
    fs::remove_all(dest.parent_path(), ec);
    fs::create_directories(dest.parent_path(), ec);
    if (!ec) fs::copy(*latest, dest, fs::copy_options::recursive, ec);
    if (!ec) return fs::absolute(dest).string();
    spdlog::debug("trial {}: copying {}: {}", trial.id, *latest, ec.message());
  }
  return absl::UnavailableError("the checkpoint of trial " + std::to_string(source) +
                                " kept changing while it was copied");
}

std::string Orchestrator::AttemptDir(const Trial& trial) const {
  return TrialAttemptDir(TrialDir(trial.id), trial.attempt());
}

std::string Orchestrator::TrialDir(int64_t trial_id) const {
  return (std::filesystem::path(options_.output_root) / spec_.name /
          ("trial-" + std::to_string(trial_id)))
      .string();
}

absl::Status Orchestrator::Recover() {
  // Clusters a dead run left, whatever their trials' states now (a chief may
  // have completed its trial before the run died, leaving its workers).
  const std::string prefix_dir =
      (std::filesystem::path(options_.output_root) / spec_.name).string() + "/";
  for (int64_t id : launcher_->Leftovers(spec_.name, prefix_dir)) {
    LaunchRequest request;
    request.study = spec_.name;
    request.trial_id = id;
    auto trial = api_->GetTrial(spec_.name, id);
    // A joined run's trials are that run's own business (it may be alive).
    if (trial.ok() && trial->client_id.rfind(kJoinedPrefix, 0) == 0) continue;
    request.output_dir = trial.ok() ? AttemptDir(*trial) : TrialDir(id);
    spdlog::info("trial {}: ending the processes a previous run left", id);
    launcher_->Reap(request, "");
  }
  auto running = api_->ListTrials(
      spec_.name,
      {.states = {TrialState::kActive, TrialState::kStopping}, .with_measurements = false});
  if (!running.ok()) return running.status();
  const std::string& prefix = options_.client_prefix;
  for (const Trial& t : *running) {
    if (t.client_id.rfind(prefix, 0) != 0) continue;  // not a run's trial
    const int slot = std::atoi(t.client_id.c_str() + prefix.size());
    if (t.state == TrialState::kActive && slot < spec_.max_parallel_trials) {
      resume_slots_.insert(slot);  // FillSlots relaunches it first
      continue;
    }
    LaunchRequest request;
    request.study = spec_.name;
    request.trial_id = t.id;
    request.output_dir = AttemptDir(t);
    launcher_->Reap(request, t.runner);
    if (t.state == TrialState::kActive) {
      (void)api_->StopTrial(spec_.name, t.id, "abandoned: max_parallel_trials was lowered");
    }
    absl::Status s =
        Finish(t.id, api_->CompleteTrial(spec_.name, t.id, TrialOutcome::Completed({})));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<RunSummary> Orchestrator::Run() {
  RunSummary summary;
  run_start_ =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (DevicesPerTrial() > devices_.size()) {
    return absl::FailedPreconditionError(
        "trainer.resources.gpus_per_rank: a trial needs " + std::to_string(DevicesPerTrial()) +
        " devices (" + std::to_string(spec_.trainer.resources.gpus_per_rank) +
        " per rank) and the run has " + std::to_string(devices_.size()) +
        " (give them with --devices, e.g. --devices 0,1,2,3)");
  }
  if (options_.recover) {
    if (absl::Status s = Recover(); !s.ok()) return s;
  }
  bool study_done = false;
  auto last_poll = std::chrono::steady_clock::now();
  auto last_heartbeat = last_poll;
  while (true) {
    if (interrupted_) break;
    if (!study_done) {
      if (absl::Status s = FillSlots(&study_done); !s.ok()) return s;
    }
    if (study_done && slots_.empty()) break;
    if (!study_done && slots_.empty()) {
      // Nothing to run now: other clients hold the remaining budget.
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return interrupted_.load(); });
      continue;
    }
    std::deque<Event> events;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, options_.poll_interval,
                   [this] { return !events_.empty() || interrupted_.load(); });
      events.swap(events_);
    }
    for (const Event& e : events) {
      absl::Status s =
          e.is_exit ? HandleExit(e.trial_id, e.exit) : HandleMeasurement(e.trial_id, e.measurement);
      if (!s.ok()) return s;
    }
    if (std::chrono::steady_clock::now() - last_poll >= options_.poll_interval) {
      last_poll = std::chrono::steady_clock::now();
      if (absl::Status s = StopStoppingTrials(); !s.ok()) return s;
    }
    if (std::chrono::steady_clock::now() - last_heartbeat >= options_.heartbeat_interval) {
      last_heartbeat = std::chrono::steady_clock::now();
      if (absl::Status s = Heartbeats(); !s.ok()) return s;
      if (options_.on_heartbeat) {
        if (absl::Status s = options_.on_heartbeat(); !s.ok()) return s;
      }
    }
  }

  if (interrupted_) {
    summary.interrupted = true;
    launcher_->StopAll();  // every exit callback has fired when this returns
    // Interruptions cost no budget: the trials become STALE with the reason
    // and their parameters are offered again (the next run relaunches them).
    for (const auto& [slot, id] : slots_) {
      (void)api_->CompleteTrial(
          spec_.name, id,
          TrialOutcome::Interrupted("interrupted: the run was stopped; its parameters run again"));
    }
    std::deque<Event> events;
    {
      std::lock_guard<std::mutex> lock(mu_);
      events.swap(events_);
    }
    for (const Event& e : events) {
      if (!e.is_exit) continue;
      if (absl::Status s = HandleExit(e.trial_id, e.exit); !s.ok()) return s;
    }
  }

  auto counts = Counts();
  if (!counts.ok()) return counts.status();
  summary.counts = *counts;
  return summary;
}

}  // namespace tuner
