#include "tuner/service/study_policy.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "algorithms/designer_factory.h"
#include "algorithms/pbt.h"
#include "study/algorithm_options.h"
#include "study/spec_edit.h"

namespace tuner {

bool BudgetSpent(const StudySpec& spec, const TrialCounts& counts) {
  if (counts.done() >= spec.max_trials) return true;
  // 0: as many failures as max_trials (a trainer that always fails must not
  // be relaunched forever).
  const int64_t failures = spec.max_failed_trials > 0 ? spec.max_failed_trials : spec.max_trials;
  return counts.failed >= failures;
}

StudyPolicy::StudyPolicy(StudySpec spec, StudyPolicyOptions options)
    : spec_(std::move(spec)),
      options_(std::move(options)),
      // PBT ranks members by their latest reports.
      history_(/*with_measurements=*/spec_.algorithm.name == AlgorithmName::kPbt) {
  // Trials from before a parameter with a default was added get its default:
  // the one place old trials are mapped into the current space.
  bool defaults = false;
  for (const ParameterSpec& p : spec_.space.parameters) defaults = defaults || p.default_value;
  if (defaults) {
    history_.set_trial_map(
        [space = spec_.space](Trial* t) { FillDefaults(space, &t->parameters); });
  }
}

TrialFilter StudyPolicy::ReplayFilter(const StudySpec& spec) {
  const bool rule = spec.early_stopping.rule != StoppingRuleName::kNone ||
                    spec.algorithm.name == AlgorithmName::kPbt;
  TrialFilter filter{.with_measurements = rule};
  if (!rule) filter.states = {TrialState::kActive, TrialState::kStopping};
  return filter;
}

absl::StatusOr<std::unique_ptr<StudyPolicy>> StudyPolicy::Create(
    StudySpec spec, bool stopped, const std::vector<Trial>& trials, StudyPolicyOptions options,
    std::vector<PriorStudy> warm_start) {
  std::unique_ptr<StudyPolicy> p(new StudyPolicy(std::move(spec), std::move(options)));
  p->stopped_ = stopped;
  DesignerOptions designer_options = DesignerOptionsFor(p->spec_);
  designer_options.warm_start = std::move(warm_start);
  auto designer = MakeDesigner(designer_options, p->spec_.space, p->spec_.objectives);
  if (!designer.ok()) return designer.status();
  p->designer_ = std::move(*designer);
  auto rule = MakeStoppingRule(StoppingOptionsFor(p->spec_));
  if (!rule.ok()) return rule.status();
  p->rule_ = std::move(*rule);
  // Replay in the order things happened (trial start + elapsed time; a
  // trial's end at its end time), so order-sensitive rules such as ASHA
  // rebuild the state they had.
  struct Event {
    double time;
    const Trial* trial;
    const Measurement* measurement;  // nullptr: the trial finished
  };
  std::vector<Event> events;
  for (const Trial& t : trials) {
    if (!IsFinal(t.state) && !IsQueued(t)) {
      p->running_[t.id] = {t.state, t.reason, p->LeaseDeadline()};
    }
    if (!p->rule_) continue;
    for (const Measurement& m : t.measurements) {
      events.push_back({t.create_time + m.elapsed_secs, &t, &m});
    }
    if (IsFinal(t.state)) events.push_back({std::max(t.end_time, t.create_time), &t, nullptr});
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.time < b.time; });
  const std::string& metric = p->spec_.objectives.front().metric;
  for (const Event& ev : events) {
    if (ev.measurement == nullptr) {
      p->rule_->Finish(ev.trial->id, ev.trial->state);
    } else if (auto it = ev.measurement->metrics.find(metric);
               it != ev.measurement->metrics.end()) {
      p->rule_->Observe(ev.trial->id, ev.measurement->step, it->second);
    }
  }
  return p;
}

bool StudyPolicy::Done() const { return stopped_ || BudgetSpent(spec_, history_.counts()); }

std::vector<StudyPolicy::Proposal> StudyPolicy::NextAssignments(int want) {
  std::vector<Proposal> assignments;
  for (const Trial* stale : RetriesDue()) {
    assignments.push_back({stale->parameters, "retry", {}, stale->id});
  }
  if (static_cast<int>(assignments.size()) > want) assignments.resize(want);
  if (static_cast<int>(assignments.size()) < want) {
    // Designers see STALE trials as pending: their parameters are retried.
    std::vector<const Trial*> finished, active;
    for (const auto& t : history_.trials()) {
      (IsFinal(t->state) && t->state != TrialState::kStale ? finished : active).push_back(t.get());
    }
    designer_->Update(finished, active);
    std::vector<Assignment> suggested =
        designer_->Suggest(want - static_cast<int>(assignments.size()));
    const std::vector<std::string>& origins = designer_->origins();
    const std::vector<Designer::Lineage>& lineage = designer_->lineage();
    for (size_t i = 0; i < suggested.size(); ++i) {
      assignments.push_back({std::move(suggested[i]), i < origins.size() ? origins[i] : "",
                             i < lineage.size() ? lineage[i] : Designer::Lineage{}});
    }
  }
  return assignments;
}

void StudyPolicy::RestoreDesignerState(std::string_view state) {
  designer_->RestoreState(state);
  saved_state_version_ = designer_->state_version();
}

std::optional<std::string> StudyPolicy::DesignerStateToSave() {
  if (designer_->state_version() == saved_state_version_) return std::nullopt;
  saved_state_version_ = designer_->state_version();
  return designer_->SavedState();
}

std::chrono::steady_clock::time_point StudyPolicy::LeaseDeadline() const {
  return options_.clock() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(options_.lease_seconds));
}

void StudyPolicy::Started(int64_t trial_id) {
  running_[trial_id] = {TrialState::kActive, "", LeaseDeadline()};
}

bool StudyPolicy::IsQueued(const Trial& t) {
  return t.state == TrialState::kActive && t.client_id.empty() && !t.attempts.empty();
}

std::vector<int64_t> StudyPolicy::Queued() const {
  std::vector<int64_t> out;
  for (const auto& t : history_.trials()) {
    if (IsQueued(*t)) out.push_back(t->id);
  }
  return out;
}

bool StudyPolicy::ShouldRetry(const Trial& trial, const TrialOutcome& outcome) const {
  if (outcome.kind != TrialOutcome::Kind::kFailed || !outcome.retriable) return false;
  if (trial.state != TrialState::kActive || stopped_) return false;
  // Automatic retries since the last requeue by hand (which grants a fresh set).
  int used = 0;
  for (const TrialAttempt& a : trial.attempts) {
    used = a.reason.rfind(kRequeuedByHand, 0) == 0 ? 0 : used + 1;
  }
  return used < spec_.trainer.max_retries;
}

TrialAttempt StudyPolicy::EndedAttempt(const Trial& trial, const std::string& outcome,
                                       const std::string& reason, double now) {
  TrialAttempt a;
  a.number = trial.attempt();
  a.start_time = trial.attempts.empty() ? trial.create_time : trial.attempts.back().end_time;
  a.end_time = trial.end_time > 0 ? trial.end_time : now;
  a.outcome = outcome;
  a.reason = reason;
  a.reports = static_cast<int64_t>(trial.measurements.size());
  if (!trial.measurements.empty()) a.last_step = trial.measurements.back().step;
  return a;
}

std::optional<std::string> StudyPolicy::WhyNotRequeue(const Trial& t) {
  if (t.state == TrialState::kFailed) return std::nullopt;
  if ((t.state == TrialState::kStopped || t.state == TrialState::kStale) &&
      t.reason.rfind("interrupted", 0) == 0) {
    return std::nullopt;
  }
  return "trial " + std::to_string(t.id) + " is " + ToString(t.state) +
         (t.reason.empty() ? "" : " (" + t.reason.substr(0, t.reason.find('\n')) + ")") +
         "; only FAILED or interrupted trials can be retried";
}

std::optional<StopDecision> StudyPolicy::Renew(int64_t trial_id) {
  auto it = running_.find(trial_id);
  if (it == running_.end()) return std::nullopt;
  it->second.lease_deadline = LeaseDeadline();
  if (it->second.state == TrialState::kStopping) return StopDecision{true, it->second.reason};
  return StopDecision{};
}

std::optional<std::string> StudyPolicy::Observe(int64_t trial_id, const Measurement& m) {
  if (!rule_) return std::nullopt;
  auto value = m.metrics.find(spec_.objectives.front().metric);
  if (value == m.metrics.end()) return std::nullopt;
  auto it = running_.find(trial_id);
  if (it == running_.end() || it->second.state == TrialState::kStopping) return std::nullopt;
  StoppingDecision decision = rule_->Observe(trial_id, m.step, value->second);
  if (!decision.stop) return std::nullopt;
  if (spec_.algorithm.name == AlgorithmName::kPbt) {
    // No replacement once the budget is spent: the member trains on.
    if (history_.counts().total >= spec_.max_trials) return std::nullopt;
    return kPbtExploitReason + decision.reason;
  }
  return "early stopping (" + ToString(spec_.early_stopping.rule) + "): " + decision.reason;
}

void StudyPolicy::MarkStopping(int64_t trial_id, const std::string& reason) {
  RunningTrial& r = running_[trial_id];
  r.state = TrialState::kStopping;
  r.reason = reason;
}

void StudyPolicy::Finished(int64_t trial_id, TrialState state) {
  running_.erase(trial_id);
  if (rule_) rule_->Finish(trial_id, state);
}

std::vector<int64_t> StudyPolicy::Running() const {
  std::vector<int64_t> out;
  for (const auto& [id, r] : running_) out.push_back(id);
  return out;
}

std::vector<int64_t> StudyPolicy::RunningNotStopping() const {
  std::vector<int64_t> out;
  for (const auto& [id, r] : running_) {
    if (r.state != TrialState::kStopping) out.push_back(id);
  }
  return out;
}

std::vector<int64_t> StudyPolicy::ExpiredLeases() const {
  std::vector<int64_t> out;
  if (options_.lease_seconds <= 0) return out;
  const auto now = options_.clock();
  for (const auto& [id, r] : running_) {
    if (r.lease_deadline <= now) out.push_back(id);
  }
  return out;
}

std::vector<const Trial*> StudyPolicy::RetriesDue() const {
  const std::vector<std::shared_ptr<const Trial>>& history = history_.trials();
  // STALE trials by parameters, in id order: a scan of states, nothing
  // decoded or encoded for the rest of the history.
  std::map<Assignment, std::vector<const Trial*>> stale_by_parameters;
  for (const auto& t : history) {
    if (t->state == TrialState::kStale) stale_by_parameters[t->parameters].push_back(t.get());
  }
  if (stale_by_parameters.empty()) return {};
  // Due when at most max_retries trials with these parameters went stale and
  // none with them came after the latest stale one (one pass over the trials
  // after the earliest such candidate).
  std::map<Assignment, const Trial*> candidates;
  int64_t first = std::numeric_limits<int64_t>::max();
  for (const auto& [parameters, stale] : stale_by_parameters) {
    if (static_cast<int>(stale.size()) > options_.max_retries) continue;
    candidates.emplace(parameters, stale.back());
    first = std::min(first, stale.back()->id);
  }
  auto it = std::upper_bound(
      history.begin(), history.end(), first,
      [](int64_t id, const std::shared_ptr<const Trial>& t) { return id < t->id; });
  for (; it != history.end() && !candidates.empty(); ++it) {
    auto c = candidates.find((*it)->parameters);
    if (c != candidates.end() && c->second->id < (*it)->id) candidates.erase(c);
  }
  std::vector<const Trial*> due;
  for (const auto& [parameters, latest] : candidates) due.push_back(latest);
  std::sort(due.begin(), due.end(), [](const Trial* a, const Trial* b) { return a->id < b->id; });
  return due;
}

}  // namespace tuner
