#include "tuner/service/study_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "algorithms/best_trials.h"
#include "study/spec_edit.h"
#include "study/study_json.h"
#include "tuner/service/artifact_retention.h"
#include "tuner/service/warm_start_source.h"

namespace tuner {
namespace {

constexpr size_t kMaxReportIdLength = 128;  // see ReportMetricsRequest.report_id

// The trial, or FailedPrecondition when it has finished.
absl::StatusOr<Trial> Running(absl::StatusOr<Trial> trial) {
  if (!trial.ok()) return trial.status();
  const int64_t trial_id = trial->id;
  if (IsFinal(trial->state)) {
    return absl::FailedPreconditionError("trial " + std::to_string(trial_id) + " is " +
                                         ToString(trial->state) +
                                         "; finished trials are immutable");
  }
  return trial;
}

// Whether a finished trial already ended the way `outcome` asks, so that a
// retried CompleteTrial (whose answer was lost) is answered again.
bool EndedAs(const Trial& t, const TrialOutcome& outcome) {
  switch (outcome.kind) {
    case TrialOutcome::Kind::kCompleted:
      if (t.state != TrialState::kCompleted && t.state != TrialState::kStopped) return false;
      return outcome.final_measurement.metrics.empty() ||
             (t.final_measurement &&
              t.final_measurement->metrics == outcome.final_measurement.metrics);
    case TrialOutcome::Kind::kInfeasible:
      return t.state == TrialState::kInfeasible && t.reason == outcome.reason;
    case TrialOutcome::Kind::kFailed:
      return t.state == TrialState::kFailed && t.reason == outcome.reason;
    case TrialOutcome::Kind::kInterrupted:
      return t.state == TrialState::kStale && t.reason == outcome.reason;
  }
  return false;
}

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

absl::Status CheckName(std::string_view value, std::string_view path, int max_length) {
  if (value.empty()) return absl::InvalidArgumentError(std::string(path) + ": must not be empty");
  if (static_cast<int>(value.size()) > max_length) {
    return absl::InvalidArgumentError(std::string(path) + ": longer than " +
                                      std::to_string(max_length) + " characters");
  }
  return absl::OkStatus();
}

// A valid assignment with each discrete value as the spec declares it (an
// integer when the values are whole numbers), whichever number type came in.
Assignment AsDeclared(const SearchSpace& space, Assignment parameters) {
  for (auto& [name, value] : parameters) {
    const ParameterSpec* spec = space.Find(name);
    if (spec == nullptr || spec->type != ParameterType::kDiscrete) continue;
    for (const ParameterValue& allowed : spec->values) {
      if (SameValue(allowed, value)) value = allowed;
    }
  }
  return parameters;
}

}  // namespace

StudyService::StudyService(Store* store, StudyServiceOptions options)
    : store_(store), options_(options) {}

namespace {
class OwningStudyService : public StudyService {
 public:
  OwningStudyService(std::unique_ptr<Store> store, StudyServiceOptions options,
                     std::unique_ptr<WriterLock> lock)
      : StudyService(store.get(), std::move(options)),
        lock_(std::move(lock)),
        store_(std::move(store)) {}

 private:
  std::unique_ptr<WriterLock> lock_;  // destroyed after the store
  std::unique_ptr<Store> store_;
};
}  // namespace

std::unique_ptr<StudyService> MakeStudyService(std::unique_ptr<Store> store,
                                               StudyServiceOptions options,
                                               std::unique_ptr<WriterLock> lock) {
  return std::make_unique<OwningStudyService>(std::move(store), std::move(options),
                                              std::move(lock));
}

absl::StatusOr<std::shared_ptr<StudyService::StudyEntry>> StudyService::Entry(
    const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(entries_mu_);
    auto it = entries_.find(name);
    if (it != entries_.end()) return it->second;
  }
  auto study = GetStudy(name);
  if (!study.ok()) return study.status();
  // Running trials, and (with a rule) the whole history to replay into it.
  auto trials = store_->ListTrials(name, StudyPolicy::ReplayFilter(*study->spec));
  if (!trials.ok()) return trials.status();
  auto warm_start = WarmStartOf(*study->spec);
  if (!warm_start.ok()) return warm_start.status();
  auto policy = StudyPolicy::Create(*study->spec, study->state == StudyState::kCompleted, *trials,
                                    {.lease_seconds = options_.lease_seconds,
                                     .max_retries = options_.max_retries,
                                     .clock = options_.clock},
                                    std::move(*warm_start));
  if (!policy.ok()) return policy.status();
  RestoreDesignerState(name, **policy);
  auto entry = std::make_shared<StudyEntry>();
  entry->policy = std::move(*policy);

  std::lock_guard<std::mutex> lock(entries_mu_);
  auto [it, inserted] = entries_.emplace(name, entry);
  return it->second;  // another thread may have loaded it first: use that one
}

absl::StatusOr<std::vector<PriorStudy>> StudyService::WarmStartOf(const StudySpec& spec) {
  std::vector<std::string> skipped;
  auto priors = LoadWarmStart(*this, spec, /*require_all=*/false, &skipped);
  for (const std::string& line : skipped) {
    spdlog::warn(fmt::runtime("study {}: {}"), spec.name, line);
  }
  return priors;
}

absl::StatusOr<Study> StudyService::CreateStudy(std::string_view spec_json, bool resume) {
  if (static_cast<int64_t>(spec_json.size()) > options_.max_spec_bytes) {
    return absl::InvalidArgumentError("study spec is larger than " +
                                      std::to_string(options_.max_spec_bytes) + " bytes");
  }
  auto spec = ParseStudyOrError(spec_json);
  if (!spec.ok()) return spec.status();
  if (resume) {
    // Running it again: Resume checks an edit (and builds its policy) itself;
    // an unchanged spec needs nothing more, not even the studies it
    // warm-started from, which may have been deleted since.
    auto stored = store_->GetStudy(spec->name);
    if (stored.ok()) return Resume(*spec);
    if (stored.status().code() != absl::StatusCode::kNotFound) return stored.status();
  }
  // Its policy (designer, stopping rule) must be buildable before it is
  // stored, and the studies it warm-starts from must exist.
  auto warm_start = LoadWarmStart(*this, *spec, /*require_all=*/true, nullptr);
  if (!warm_start.ok()) return warm_start.status();
  if (auto policy = StudyPolicy::Create(*spec, false, {}, {}, std::move(*warm_start));
      !policy.ok()) {
    return policy.status();
  }
  StudyRecord record{spec->name, ToCanonicalJson(*spec), StudyState::kActive, Now(), "[]"};
  absl::Status created = store_->CreateStudy(record);
  if (created.code() == absl::StatusCode::kAlreadyExists && resume) return Resume(*spec);
  if (!created.ok()) return created;
  return specs_.With(std::move(record));
}

absl::StatusOr<Study> StudyService::Resume(const StudySpec& spec) {
  auto record = store_->GetStudy(spec.name);
  if (!record.ok()) return record.status();
  auto stored = specs_.With(*record);
  if (!stored.ok()) return stored.status();
  const std::shared_ptr<const StudySpec> existing = stored->spec;
  const SpecEdit edit = DiffSpecs(*existing, spec);
  if (!edit.ok()) {
    std::string refused;
    for (const std::string& r : edit.refused) refused += (refused.empty() ? "" : "; ") + r;
    return absl::FailedPreconditionError(
        "study \"" + spec.name + "\" exists with a different spec that cannot be applied as an " +
        "edit (refused: " + refused +
        "); widen ranges, add values or add parameters with a default instead, or use a new "
        "study name to start afresh");
  }
  // Running it again: an accepted edit becomes the next spec version, and a
  // study stopped with StopStudy (COMPLETED with budget left) is reopened.
  auto entry = Entry(spec.name);
  if (!entry.ok()) return entry.status();
  const std::shared_ptr<StudyEntry> held = *entry;
  StudyEntry& e = *held;
  std::lock_guard<std::mutex> lock(e.mu);
  auto counts = store_->CountTrials(spec.name);
  if (!counts.ok()) return counts.status();
  const StudyState state =
      BudgetSpent(spec, *counts) ? StudyState::kCompleted : StudyState::kActive;
  if (!edit.changed() && record->state == state) return specs_.With(std::move(*record));
  // The policy of the new spec: its designer and stopping rule are built
  // from the whole history, mapped into the new space.
  std::unique_ptr<StudyPolicy> policy;
  if (edit.changed()) {
    auto trials = store_->ListTrials(spec.name, StudyPolicy::ReplayFilter(spec));
    if (!trials.ok()) return trials.status();
    auto warm_start = LoadWarmStart(*this, spec, /*require_all=*/true, nullptr);
    if (!warm_start.ok()) return warm_start.status();
    auto created = StudyPolicy::Create(spec, state == StudyState::kCompleted, *trials,
                                       {.lease_seconds = options_.lease_seconds,
                                        .max_retries = options_.max_retries,
                                        .clock = options_.clock},
                                       std::move(*warm_start));
    if (!created.ok()) return created.status();
    policy = std::move(*created);
    RestoreDesignerState(spec.name, *policy);
    record->spec_json = ToCanonicalJson(spec);
    auto versions = nlohmann::json::parse(record->spec_versions_json, nullptr, false);
    if (!versions.is_array()) versions = nlohmann::json::array();
    versions.push_back({{"version", static_cast<int64_t>(versions.size()) + 2},
                        {"time", Now()},
                        {"changes", edit.accepted}});
    record->spec_versions_json = versions.dump();
  }
  record->state = state;
  if (absl::Status s = store_->UpdateStudy(*record); !s.ok()) return s;
  if (policy) {
    e.policy = std::move(policy);
  } else {
    e.policy->set_stopped(state == StudyState::kCompleted);
  }
  return specs_.With(std::move(*record));
}

absl::StatusOr<Study> StudyService::GetStudy(const std::string& name) {
  if (auto s = CheckName(name, "name", options_.max_name_length); !s.ok()) return s;
  auto record = store_->GetStudy(name);
  if (!record.ok()) return record.status();
  return specs_.With(std::move(*record));
}

absl::StatusOr<std::vector<Study>> StudyService::ListStudies() {
  auto records = store_->ListStudies();
  if (!records.ok()) return records.status();
  std::vector<Study> out;
  out.reserve(records->size());
  for (StudyRecord& r : *records) {
    auto study = specs_.With(std::move(r));
    if (!study.ok()) return study.status();
    out.push_back(std::move(*study));
  }
  return out;
}

absl::Status StudyService::DeleteStudy(const std::string& name) {
  if (auto s = CheckName(name, "name", options_.max_name_length); !s.ok()) return s;
  if (absl::Status s = store_->DeleteStudy(name); !s.ok()) return s;
  specs_.Erase(name);
  std::lock_guard<std::mutex> lock(entries_mu_);
  entries_.erase(name);
  return absl::OkStatus();
}

absl::StatusOr<Study> StudyService::StopStudy(const std::string& name, const std::string& reason) {
  if (auto s = CheckName(name, "name", options_.max_name_length); !s.ok()) return s;
  if (reason.size() > 64 * 1024) return absl::InvalidArgumentError("reason: too long");
  auto entry = Entry(name);
  if (!entry.ok()) return entry.status();
  StudyEntry& e = **entry;
  std::lock_guard<std::mutex> lock(e.mu);
  const std::string why = reason.empty() ? "study stopped" : reason;
  for (int64_t id : e.policy->RunningNotStopping()) {
    auto trial = store_->GetTrial(name, id);
    if (!trial.ok()) return trial.status();
    trial->state = TrialState::kStopping;
    trial->reason = why;
    if (absl::Status s = store_->UpdateTrial(name, *trial); !s.ok()) return s;
    e.policy->MarkStopping(id, why);
  }
  if (absl::Status s = SetQueuedAside(name, e, why); !s.ok()) return s;
  auto record = store_->GetStudy(name);
  if (!record.ok()) return record.status();
  if (record->state != StudyState::kCompleted) {
    record->state = StudyState::kCompleted;
    if (absl::Status s = store_->UpdateStudy(*record); !s.ok()) return s;
  }
  e.policy->set_stopped(true);
  return specs_.With(std::move(*record));
}

absl::StatusOr<StudyService::Suggestion> StudyService::SuggestTrials(const std::string& study,
                                                                     int count,
                                                                     const std::string& client_id,
                                                                     int max_running) {
  if (auto s = CheckName(study, "study", options_.max_name_length); !s.ok()) return s;
  if (auto s = CheckName(client_id, "client_id", options_.max_name_length); !s.ok()) return s;
  if (count < 1 || count > options_.max_suggest_count) {
    return absl::InvalidArgumentError("count: must be between 1 and " +
                                      std::to_string(options_.max_suggest_count));
  }
  auto entry = Entry(study);
  if (!entry.ok()) return entry.status();
  StudyEntry& e = **entry;
  std::lock_guard<std::mutex> lock(e.mu);

  Suggestion out;
  auto mine = store_->ListTrials(study, {.states = {TrialState::kActive},
                                         .client_id = client_id,
                                         .limit = count,
                                         .with_measurements = false});
  if (!mine.ok()) return mine.status();
  if (!mine->empty()) {
    out.trials = std::move(*mine);
    return out;
  }

  StudyPolicy& policy = *e.policy;
  if (absl::Status s = policy.history().Refresh(store_, study); !s.ok()) return s;
  // Trials requeued by hand (RetryTrials) first: they hold budget already.
  // Requeued trials count as running (ACTIVE) while they wait; the cap is on
  // those a client holds.
  const std::vector<int64_t> queued = policy.Queued();
  const int64_t held = policy.history().counts().running() - static_cast<int64_t>(queued.size());
  for (int64_t id : queued) {
    if (static_cast<int>(out.trials.size()) >= count || policy.Done()) break;
    if (max_running > 0 && held + static_cast<int64_t>(out.trials.size()) >= max_running) {
      return out;  // as many running as the caller allows
    }
    if (absl::Status s = store_->AssignTrial(study, id, client_id); !s.ok()) return s;
    auto trial = store_->GetTrial(study, id);
    if (!trial.ok()) return trial.status();
    policy.Started(id);
    out.trials.push_back(std::move(*trial));
  }
  if (!out.trials.empty()) return out;
  if (policy.Done()) {
    out.study_done = true;
    return out;
  }
  const TrialCounts& counts = policy.history().counts();
  const int64_t running = counts.running();
  int64_t room = policy.spec().max_trials - counts.done() - running;
  if (room <= 0) return out;  // every remaining trial is running somewhere
  if (max_running > 0) room = std::min<int64_t>(room, max_running - running);
  if (room <= 0) return out;  // as many running as the caller allows: ask again later

  std::vector<StudyPolicy::Proposal> assignments =
      policy.NextAssignments(static_cast<int>(std::min<int64_t>(count, room)));
  if (assignments.empty()) {
    out.study_done = running == 0;  // the designer has exhausted the space
    return out;
  }
  std::vector<Trial> trials;
  for (StudyPolicy::Proposal& a : assignments) {
    if (absl::Status s = policy.spec().space.Validate(a.parameters); !s.ok()) {
      return absl::InternalError("designer " + ToString(policy.spec().algorithm.name) +
                                 " suggested an invalid assignment: " + std::string(s.message()));
    }
    Trial t;
    t.parameters = std::move(a.parameters);
    t.origin = std::move(a.origin);
    t.parent_trial = a.lineage.parent_trial;
    t.parent_step = a.lineage.parent_step;
    t.retry_of = a.retry_of;
    t.client_id = client_id;
    t.create_time = Now();
    trials.push_back(std::move(t));
  }
  auto stored = store_->AddTrials(study, std::move(trials));
  if (!stored.ok()) return stored.status();
  for (const Trial& t : *stored) policy.Started(t.id);
  out.trials = std::move(*stored);
  SaveDesignerState(study, policy);
  return out;
}

void StudyService::RestoreDesignerState(const std::string& study, StudyPolicy& policy) {
  absl::StatusOr<std::string> state = store_->GetDesignerState(study);
  if (!state.ok()) {
    spdlog::warn(fmt::runtime("study {}: designer state not read (its work is redone): {}"), study,
                 std::string(state.status().message()));
  } else if (!state->empty()) {
    policy.RestoreDesignerState(*state);
  }
}

void StudyService::SaveDesignerState(const std::string& study, StudyPolicy& policy) {
  const std::optional<std::string> state = policy.DesignerStateToSave();
  if (!state) return;
  if (absl::Status s = store_->PutDesignerState(study, *state); !s.ok()) {
    spdlog::warn(fmt::runtime("study {}: designer state not saved: {}"), study,
                 std::string(s.message()));
  }
}

absl::StatusOr<Trial> StudyService::CreateTrial(const std::string& study,
                                                const Assignment& parameters,
                                                const std::string& client_id) {
  if (auto s = CheckName(study, "study", options_.max_name_length); !s.ok()) return s;
  if (static_cast<int>(client_id.size()) > options_.max_name_length) {
    return absl::InvalidArgumentError("client_id: too long");
  }
  auto entry = Entry(study);
  if (!entry.ok()) return entry.status();
  StudyEntry& e = **entry;
  std::lock_guard<std::mutex> lock(e.mu);
  if (absl::Status s = e.policy->spec().space.Validate(parameters); !s.ok()) return s;
  Trial t;
  t.parameters = AsDeclared(e.policy->spec().space, parameters);
  t.origin = "user";
  t.client_id = client_id;
  t.create_time = Now();
  auto stored = store_->AddTrials(study, {std::move(t)});
  if (!stored.ok()) return stored.status();
  e.policy->Started(stored->front().id);
  return stored->front();
}

absl::StatusOr<Trial> StudyService::GetTrial(const std::string& study, int64_t trial_id) {
  if (auto s = CheckName(study, "study", options_.max_name_length); !s.ok()) return s;
  return store_->GetTrial(study, trial_id);
}

absl::Status StudyService::CheckMeasurement(const Measurement& m, std::string_view path) const {
  const std::string p(path);
  if (m.step < 0) return absl::InvalidArgumentError(p + ".step: must be >= 0");
  if (!std::isfinite(m.elapsed_secs) || m.elapsed_secs < 0) {
    return absl::InvalidArgumentError(p + ".elapsed_secs: must be a finite number >= 0");
  }
  if (static_cast<int>(m.metrics.size()) > options_.max_metrics_per_measurement) {
    return absl::InvalidArgumentError(p + ".metrics: more than " +
                                      std::to_string(options_.max_metrics_per_measurement) +
                                      " metrics");
  }
  for (const auto& [name, value] : m.metrics) {
    if (auto s = CheckName(name, p + ".metrics name", options_.max_name_length); !s.ok()) {
      return s;
    }
    if (!std::isfinite(value)) {
      return absl::InvalidArgumentError(p + ".metrics." + name + ": must be a finite number, got " +
                                        FormatValue(value));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<StopDecision> StudyService::ReportMeasurement(const std::string& study,
                                                             int64_t trial_id,
                                                             const Measurement& measurement,
                                                             const std::string& report_id) {
  if (auto s = CheckName(study, "study", options_.max_name_length); !s.ok()) return s;
  if (absl::Status s = CheckMeasurement(measurement, "measurement"); !s.ok()) return s;
  if (measurement.metrics.empty()) {
    return absl::InvalidArgumentError("measurement.metrics: must not be empty");
  }
  if (report_id.size() > kMaxReportIdLength) {
    return absl::InvalidArgumentError("report_id: longer than " +
                                      std::to_string(kMaxReportIdLength) + " bytes");
  }
  auto entry = Entry(study);
  if (!entry.ok()) return entry.status();
  StudyEntry& e = **entry;
  StopDecision decision;
  {
    std::lock_guard<std::mutex> lock(e.mu);
    std::optional<StopDecision> renewed = e.policy->Renew(trial_id);
    if (!renewed) {
      // Not running: say NotFound or FailedPrecondition as the store knows it.
      auto trial = store_->GetTrial(study, trial_id);
      if (!trial.ok()) return trial.status();
      const std::string state = "trial " + std::to_string(trial_id) + " is " +
                                ToString(trial->state) +
                                (trial->reason.empty() ? "" : " (" + trial->reason + ")");
      // A retry of a report stored before the trial ended: acknowledged again.
      if (!report_id.empty()) {
        auto stored = store_->AddReport(study, trial_id, measurement, report_id);
        if (stored.ok() && !*stored) return StopDecision{true, state};
      }
      return absl::FailedPreconditionError(state + "; finished trials are immutable");
    }
    decision = *renewed;
  }
  // Outside the study's mutex, so that concurrent reports share a commit.
  if (report_id.empty()) {
    if (absl::Status s = store_->AddMeasurements(study, trial_id, {measurement}); !s.ok()) {
      return s;
    }
  } else {
    auto stored = store_->AddReport(study, trial_id, measurement, report_id);
    if (!stored.ok()) return stored.status();
    if (!*stored) {  // a retry: answer with the decision now, observe nothing twice
      std::lock_guard<std::mutex> lock(e.mu);
      return e.policy->Renew(trial_id).value_or(decision);
    }
  }
  if (decision.stop || !e.policy->has_rule()) return decision;
  std::lock_guard<std::mutex> lock(e.mu);
  if (std::optional<StopDecision> now = e.policy->Renew(trial_id); now && now->stop) {
    return *now;  // asked to stop meanwhile
  }
  std::optional<std::string> reason = e.policy->Observe(trial_id, measurement);
  if (!reason) return decision;
  // The rule says stop: the trial becomes STOPPING, as with StopTrial.
  auto trial = store_->GetTrial(study, trial_id);
  if (!trial.ok()) return trial.status();
  trial->state = TrialState::kStopping;
  trial->reason = *reason;
  if (absl::Status s = store_->UpdateTrial(study, *trial); !s.ok()) return s;
  e.policy->MarkStopping(trial_id, *reason);
  return StopDecision{true, *reason};
}

absl::StatusOr<Trial> StudyService::RunningTrial(const std::string& study, int64_t trial_id) {
  return Running(store_->GetTrial(study, trial_id));
}

absl::StatusOr<Trial> StudyService::CompleteTrial(const std::string& study, int64_t trial_id,
                                                  const TrialOutcome& outcome) {
  if (auto s = CheckName(study, "study", options_.max_name_length); !s.ok()) return s;
  if (outcome.kind == TrialOutcome::Kind::kCompleted) {
    if (auto s = CheckMeasurement(outcome.final_measurement, "final_measurement"); !s.ok()) {
      return s;
    }
  } else if (auto s =
                 CheckName(outcome.reason,
                           outcome.kind == TrialOutcome::Kind::kInfeasible ? "infeasible_reason"
                                                                           : "failure_message",
                           64 * 1024);
             !s.ok()) {
    return s;
  }
  auto entry = Entry(study);
  if (!entry.ok()) return entry.status();
  StudyEntry& e = **entry;
  std::lock_guard<std::mutex> lock(e.mu);
  auto trial = store_->GetTrial(study, trial_id);
  if (!trial.ok()) return trial.status();
  if (IsFinal(trial->state) && EndedAs(*trial, outcome)) return trial;  // a retried call
  trial = Running(std::move(trial));
  if (!trial.ok()) return trial.status();
  Trial& t = *trial;
  switch (outcome.kind) {
    case TrialOutcome::Kind::kCompleted: {
      Measurement final_m = outcome.final_measurement;
      if (final_m.metrics.empty() && t.measurements.empty() && t.state == TrialState::kStopping) {
        t.state = TrialState::kStopped;  // stopped before its first report
        break;
      }
      if (final_m.metrics.empty()) {
        if (t.measurements.empty()) {
          return absl::FailedPreconditionError("final_measurement: empty, and trial " +
                                               std::to_string(trial_id) +
                                               " has reported no measurement to use instead");
        }
        // The last report that has every objective (ranks may report other
        // metrics after it, e.g. a worker's throughput), else the last one.
        auto has_objectives = [&](const Measurement& m) {
          return std::all_of(e.policy->spec().objectives.begin(), e.policy->spec().objectives.end(),
                             [&](const Objective& o) { return m.metrics.contains(o.metric); });
        };
        auto last = std::find_if(t.measurements.rbegin(), t.measurements.rend(), has_objectives);
        final_m = last != t.measurements.rend() ? *last : t.measurements.back();
      }
      if (t.state != TrialState::kStopping) {
        for (const Objective& o : e.policy->spec().objectives) {
          if (!final_m.metrics.contains(o.metric)) {
            return absl::InvalidArgumentError(
                "final_measurement.metrics: missing the objective \"" + o.metric + "\"");
          }
        }
      }
      if (final_m.step == 0 && !t.measurements.empty()) final_m.step = t.measurements.back().step;
      t.final_measurement = std::move(final_m);
      t.state = t.state == TrialState::kStopping ? TrialState::kStopped : TrialState::kCompleted;
      break;
    }
    case TrialOutcome::Kind::kInfeasible:
      t.state = TrialState::kInfeasible;
      t.reason = outcome.reason;
      break;
    case TrialOutcome::Kind::kFailed:
      if (e.policy->ShouldRetry(t, outcome)) {
        // Its next attempt, for the same client (whose run launches it again).
        const TrialAttempt ended = StudyPolicy::EndedAttempt(t, "FAILED", outcome.reason, Now());
        if (absl::Status s = store_->RestartTrial(study, trial_id, ended, t.client_id); !s.ok()) {
          return s;
        }
        e.policy->Started(trial_id);
        return store_->GetTrial(study, trial_id);
      }
      t.state = TrialState::kFailed;
      t.reason = outcome.reason;
      break;
    case TrialOutcome::Kind::kInterrupted:
      t.state = TrialState::kStale;
      t.reason = outcome.reason;
      break;
  }
  t.end_time = Now();
  if (absl::Status s = store_->UpdateTrial(study, t); !s.ok()) return s;
  e.policy->Finished(trial_id, t.state);
  if (absl::Status s = MaybeCompleteStudy(study, e); !s.ok()) return s;
  return t;
}

absl::Status StudyService::SetQueuedAside(const std::string& study, StudyEntry& e,
                                          const std::string& why) {
  if (absl::Status s = e.policy->history().Refresh(store_, study); !s.ok()) return s;
  for (int64_t id : e.policy->Queued()) {
    auto trial = store_->GetTrial(study, id);
    if (!trial.ok()) return trial.status();
    trial->state = TrialState::kStale;
    trial->reason = "interrupted: " + why + " before its retry ran";
    trial->end_time = Now();
    if (absl::Status s = store_->UpdateTrial(study, *trial); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status StudyService::MaybeCompleteStudy(const std::string& study, StudyEntry& e) {
  if (absl::Status s = e.policy->history().Refresh(store_, study); !s.ok()) return s;
  if (!BudgetSpent(e.policy->spec(), e.policy->history().counts())) return absl::OkStatus();
  // No run takes a requeued trial any more: set it aside (a new budget runs it).
  if (absl::Status s = SetQueuedAside(study, e, "the budget was spent"); !s.ok()) return s;
  auto record = store_->GetStudy(study);
  if (!record.ok()) return record.status();
  if (record->state == StudyState::kCompleted) return absl::OkStatus();
  record->state = StudyState::kCompleted;
  return store_->UpdateStudy(*record);
}

absl::StatusOr<StudyService::ClaimResult> StudyService::ClaimStudy(const std::string& study,
                                                                   const RunClaim& claim) {
  if (auto s = CheckName(study, "study", options_.max_name_length); !s.ok()) return s;
  if (auto s = CheckName(claim.run_id, "run_id", options_.max_name_length); !s.ok()) return s;
  if (claim.host.size() > static_cast<size_t>(options_.max_name_length)) {
    return absl::InvalidArgumentError("host: too long");
  }
  auto entry = Entry(study);
  if (!entry.ok()) return entry.status();
  StudyEntry& e = **entry;
  std::lock_guard<std::mutex> lock(e.mu);
  auto runs = store_->ListRuns(study);
  if (!runs.ok()) return runs.status();
  const double now = Now();
  std::optional<RunRecord> mine, owner;
  for (const RunRecord& run : *runs) {
    if (run.run_id == claim.run_id) {
      mine = run;
    } else if (now - run.heartbeat_time > options_.run_lease_seconds ||
               run.run_id == claim.take_over) {
      // Gone: its claim lapsed, or the caller saw its process is dead.
      if (absl::Status s = store_->DeleteRun(study, run.run_id); !s.ok()) return s;
    } else if (!run.joined) {
      owner = run;
    }
  }
  ClaimResult result;
  RunRecord record = mine.value_or(RunRecord{.run_id = claim.run_id,
                                             .host = claim.host,
                                             .pid = claim.pid,
                                             .joined = owner.has_value(),
                                             .start_time = now});
  if (!mine || !mine->joined) {
    // A new claim, or an owner's renewal: refused while another run owns it
    // (the caller's claim lapsed and another run took the study over).
    if (owner && !record.joined) record.joined = true;
    if (owner && !claim.join) {
      result.held_by = *owner;
      if (mine) (void)store_->DeleteRun(study, claim.run_id);
      return result;
    }
  }
  record.heartbeat_time = now;
  if (absl::Status s = store_->PutRun(study, record); !s.ok()) return s;
  result.granted = true;
  result.owner = !record.joined;
  return result;
}

absl::Status StudyService::ReleaseStudy(const std::string& study, const std::string& run_id) {
  if (auto s = CheckName(study, "study", options_.max_name_length); !s.ok()) return s;
  auto entry = Entry(study);
  if (!entry.ok()) return entry.status();
  std::lock_guard<std::mutex> lock((*entry)->mu);
  return store_->DeleteRun(study, run_id);
}

absl::StatusOr<Trial> StudyService::StopTrial(const std::string& study, int64_t trial_id,
                                              const std::string& reason) {
  if (auto s = CheckName(study, "study", options_.max_name_length); !s.ok()) return s;
  if (reason.size() > 64 * 1024) return absl::InvalidArgumentError("reason: too long");
  auto entry = Entry(study);
  if (!entry.ok()) return entry.status();
  StudyEntry& e = **entry;
  std::lock_guard<std::mutex> lock(e.mu);
  auto trial = store_->GetTrial(study, trial_id);
  if (!trial.ok()) return trial.status();
  // Asked already (STOPPING), or stopped since: a retried call gets the trial.
  if (trial->state == TrialState::kStopping || trial->state == TrialState::kStopped) return trial;
  trial = Running(std::move(trial));
  if (!trial.ok()) return trial.status();
  trial->state = TrialState::kStopping;
  trial->reason = reason.empty() ? "stopped by StopTrial" : reason;
  if (absl::Status s = store_->UpdateTrial(study, *trial); !s.ok()) return s;
  e.policy->MarkStopping(trial_id, trial->reason);
  return trial;
}

absl::StatusOr<StopDecision> StudyService::Heartbeat(const std::string& study, int64_t trial_id) {
  if (auto s = CheckName(study, "study", options_.max_name_length); !s.ok()) return s;
  auto entry = Entry(study);
  if (!entry.ok()) return entry.status();
  StudyEntry& e = **entry;
  std::lock_guard<std::mutex> lock(e.mu);
  std::optional<StopDecision> decision = e.policy->Renew(trial_id);
  if (!decision) {
    auto trial = RunningTrial(study, trial_id);  // NotFound or FailedPrecondition
    if (!trial.ok()) return trial.status();
    return absl::FailedPreconditionError("trial " + std::to_string(trial_id) + " is not running");
  }
  return *decision;
}

absl::StatusOr<int> StudyService::ExpireLeases() {
  if (options_.lease_seconds <= 0) return 0;
  auto studies = store_->ListStudies();
  if (!studies.ok()) return studies.status();
  int expired = 0;
  for (const StudyRecord& study : *studies) {
    if (study.state != StudyState::kActive) continue;
    auto entry = Entry(study.name);
    if (!entry.ok()) continue;  // deleted meanwhile
    StudyEntry& e = **entry;
    std::lock_guard<std::mutex> lock(e.mu);
    for (int64_t id : e.policy->ExpiredLeases()) {
      auto trial = store_->GetTrial(study.name, id);
      if (!trial.ok()) return trial.status();
      trial->state = TrialState::kStale;
      trial->reason =
          "lease expired: no report or heartbeat for " + FormatValue(options_.lease_seconds) + " s";
      trial->end_time = Now();
      if (absl::Status s = store_->UpdateTrial(study.name, *trial); !s.ok()) return s;
      e.policy->Finished(id, TrialState::kStale);
      ++expired;
    }
  }
  return expired;
}

absl::StatusOr<Trial> StudyService::SetTrialRunner(const std::string& study, int64_t trial_id,
                                                   const std::string& runner,
                                                   const std::string& command) {
  if (auto s = CheckName(study, "study", options_.max_name_length); !s.ok()) return s;
  if (runner.size() > 4096) return absl::InvalidArgumentError("runner: longer than 4096 bytes");
  if (command.size() > 64 * 1024) return absl::InvalidArgumentError("command: longer than 64 KiB");
  if (absl::Status s = store_->SetTrialRunner(study, trial_id, runner, command); !s.ok()) return s;
  return store_->GetTrial(study, trial_id);
}

absl::StatusOr<std::vector<Trial>> StudyService::ListTrials(const std::string& study,
                                                            const TrialFilter& filter) {
  if (auto s = CheckName(study, "study", options_.max_name_length); !s.ok()) return s;
  return store_->ListTrials(study, filter);
}

absl::StatusOr<std::vector<ArtifactRecord>> StudyService::LogArtifacts(
    const std::string& study, int64_t trial_id, std::vector<ArtifactRecord> artifacts) {
  if (auto s = CheckName(study, "study", options_.max_name_length); !s.ok()) return s;
  constexpr size_t kMaxArtifactsPerCall = 10000;
  if (artifacts.size() > kMaxArtifactsPerCall) {
    return absl::InvalidArgumentError(
        absl::StrCat("artifacts: more than ", kMaxArtifactsPerCall, " in one call"));
  }
  for (size_t i = 0; i < artifacts.size(); ++i) {
    const ArtifactRecord& a = artifacts[i];
    const std::string at = absl::StrCat("artifacts[", i, "]");
    if (a.path.empty() || a.path.size() > 4096) {
      return absl::InvalidArgumentError(at + ".path: must be 1 to 4096 bytes");
    }
    for (absl::string_view part : absl::StrSplit(a.path, '/')) {
      if (part == "..") return absl::InvalidArgumentError(at + ".path: must not contain \"..\"");
    }
    if (a.kind.empty() || a.kind.size() > 256) {
      return absl::InvalidArgumentError(at + ".kind: must be 1 to 256 bytes");
    }
    if (a.rank.size() > 256 || a.checkpoint.size() > 4096) {
      return absl::InvalidArgumentError(at + ": rank or checkpoint too long");
    }
    if (a.sha256.size() != 64 ||
        a.sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return absl::InvalidArgumentError(at + ".sha256: expected 64 lowercase hex digits");
    }
    if (a.size < 0 || a.step < 0 || a.attempt < 0) {
      return absl::InvalidArgumentError(at + ": size, step and attempt must be >= 0");
    }
  }
  auto study_record = GetStudy(study);
  if (!study_record.ok()) return study_record.status();
  auto entry = Entry(study);
  if (!entry.ok()) return entry.status();
  StudyEntry& e = **entry;
  std::lock_guard<std::mutex> lock(e.mu);
  auto trial = store_->GetTrial(study, trial_id);
  if (!trial.ok()) return trial.status();
  for (ArtifactRecord& a : artifacts) {
    if (a.attempt == 0) a.attempt = trial->attempt();
  }
  if (absl::Status s = store_->PutArtifacts(study, trial_id, artifacts); !s.ok()) return s;
  auto all = store_->ListArtifacts(study, trial_id);
  if (!all.ok()) return all.status();
  std::vector<ArtifactRecord> removed;
  for (size_t i : CheckpointsPastRetention(*all, study_record->spec->trainer.keep_checkpoints)) {
    removed.push_back((*all)[i]);
    removed.back().removed = true;
  }
  if (!removed.empty()) {
    if (absl::Status s = store_->PutArtifacts(study, trial_id, removed); !s.ok()) return s;
  }
  return removed;
}

absl::StatusOr<std::vector<ArtifactRecord>> StudyService::ListArtifacts(const std::string& study,
                                                                        int64_t trial_id) {
  if (auto s = CheckName(study, "study", options_.max_name_length); !s.ok()) return s;
  return store_->ListArtifacts(study, trial_id);
}

absl::StatusOr<std::vector<Trial>> StudyService::RetryTrials(
    const std::string& study, const std::vector<int64_t>& trial_ids) {
  if (auto s = CheckName(study, "study", options_.max_name_length); !s.ok()) return s;
  auto entry = Entry(study);
  if (!entry.ok()) return entry.status();
  StudyEntry& e = **entry;
  std::lock_guard<std::mutex> lock(e.mu);
  std::vector<Trial> chosen;
  if (trial_ids.empty()) {
    auto failed = store_->ListTrials(study, {.states = {TrialState::kFailed}});
    if (!failed.ok()) return failed.status();
    chosen = std::move(*failed);
  }
  for (int64_t id : std::set<int64_t>(trial_ids.begin(), trial_ids.end())) {
    auto trial = store_->GetTrial(study, id);
    if (!trial.ok()) return trial.status();
    if (std::optional<std::string> why = StudyPolicy::WhyNotRequeue(*trial)) {
      return absl::FailedPreconditionError(*why);
    }
    chosen.push_back(std::move(*trial));
  }
  // Nothing would run them: refuse rather than leave them waiting.
  if (absl::Status s = e.policy->history().Refresh(store_, study); !s.ok()) return s;
  if (const int64_t done = e.policy->history().counts().done();
      !chosen.empty() && done >= e.policy->spec().max_trials) {
    return absl::FailedPreconditionError(
        "study \"" + study + "\" has done its max_trials (" + std::to_string(done) +
        "); raise max_trials in the study file and run it again to retry trials");
  }
  std::vector<Trial> out;
  for (const Trial& t : chosen) {
    const TrialAttempt ended = StudyPolicy::EndedAttempt(
        t, ToString(t.state), StudyPolicy::kRequeuedByHand + t.reason, Now());
    if (absl::Status s = store_->RestartTrial(study, t.id, ended, ""); !s.ok()) return s;
    auto requeued = store_->GetTrial(study, t.id);
    if (!requeued.ok()) return requeued.status();
    out.push_back(std::move(*requeued));
  }
  // A study finished (or stopped) with budget left runs again.
  if (absl::Status s = e.policy->history().Refresh(store_, study); !s.ok()) return s;
  auto record = store_->GetStudy(study);
  if (!record.ok()) return record.status();
  if (!out.empty() && record->state == StudyState::kCompleted &&
      !BudgetSpent(e.policy->spec(), e.policy->history().counts())) {
    record->state = StudyState::kActive;
    if (absl::Status s = store_->UpdateStudy(*record); !s.ok()) return s;
    e.policy->set_stopped(false);
  }
  return out;
}

absl::StatusOr<std::vector<Trial>> StudyService::GetBestTrials(const std::string& study) {
  if (auto s = CheckName(study, "study", options_.max_name_length); !s.ok()) return s;
  auto record = GetStudy(study);
  if (!record.ok()) return record.status();
  auto trials =
      store_->ListTrials(study, {.states = {TrialState::kCompleted}, .with_measurements = false});
  if (!trials.ok()) return trials.status();
  // Chosen from the trials without measurements; the few chosen are read
  // whole (their reports too: `steps`, curves).
  std::vector<Trial> best;
  for (const Trial* t : BestTrials(*trials, record->spec->objectives)) {
    auto whole = store_->GetTrial(study, t->id);
    if (!whole.ok()) return whole.status();
    best.push_back(std::move(*whole));
  }
  return best;
}

}  // namespace tuner
