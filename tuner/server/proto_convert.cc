#include "tuner/server/proto_convert.h"

namespace tuner {

v1::Study ToProto(const StudyRecord& study) {
  v1::Study out;
  out.set_name(study.name);
  out.set_spec_json(study.spec_json);
  out.set_state(study.state == StudyState::kActive ? v1::STUDY_ACTIVE : v1::STUDY_COMPLETED);
  out.set_create_time(study.create_time);
  out.set_spec_versions_json(study.spec_versions_json);
  return out;
}

v1::ParameterValue ToProto(const ParameterValue& value) {
  v1::ParameterValue out;
  if (const double* d = std::get_if<double>(&value)) out.set_double_value(*d);
  if (const int64_t* i = std::get_if<int64_t>(&value)) out.set_int_value(*i);
  if (const std::string* s = std::get_if<std::string>(&value)) out.set_string_value(*s);
  return out;
}

v1::Measurement ToProto(const Measurement& m) {
  v1::Measurement out;
  out.set_step(m.step);
  out.set_elapsed_secs(m.elapsed_secs);
  for (const auto& [k, v] : m.metrics) (*out.mutable_metrics())[k] = v;
  return out;
}

v1::TrialState ToProto(TrialState state) {
  switch (state) {
    case TrialState::kActive:
      return v1::ACTIVE;
    case TrialState::kStopping:
      return v1::STOPPING;
    case TrialState::kCompleted:
      return v1::COMPLETED;
    case TrialState::kStopped:
      return v1::STOPPED;
    case TrialState::kFailed:
      return v1::FAILED;
    case TrialState::kInfeasible:
      return v1::INFEASIBLE;
    case TrialState::kStale:
      return v1::STALE;
  }
  return v1::TRIAL_STATE_UNSPECIFIED;
}

v1::Trial ToProto(const std::string& study, const Trial& trial) {
  v1::Trial out;
  out.set_study(study);
  out.set_id(trial.id);
  out.set_state(ToProto(trial.state));
  for (const auto& [k, v] : trial.parameters) (*out.mutable_parameters())[k] = ToProto(v);
  for (const Measurement& m : trial.measurements) *out.add_measurements() = ToProto(m);
  if (trial.final_measurement) *out.mutable_final_measurement() = ToProto(*trial.final_measurement);
  out.set_client_id(trial.client_id);
  out.set_reason(trial.reason);
  out.set_create_time(trial.create_time);
  out.set_end_time(trial.end_time);
  out.set_runner(trial.runner);
  out.set_command(trial.command);
  out.set_origin(trial.origin);
  out.set_parent_trial(trial.parent_trial);
  out.set_parent_step(trial.parent_step);
  out.set_retry_of(trial.retry_of);
  for (const TrialAttempt& a : trial.attempts) {
    v1::TrialAttempt* w = out.add_attempts();
    w->set_number(a.number);
    w->set_start_time(a.start_time);
    w->set_end_time(a.end_time);
    w->set_outcome(a.outcome);
    w->set_reason(a.reason);
    w->set_reports(a.reports);
    w->set_last_step(a.last_step);
  }
  return out;
}

Measurement FromProto(const v1::Measurement& m) {
  Measurement out;
  out.step = m.step();
  out.elapsed_secs = m.elapsed_secs();
  for (const auto& [k, v] : m.metrics()) out.metrics[k] = v;
  return out;
}

absl::StatusOr<ParameterValue> FromProto(const v1::ParameterValue& value) {
  switch (value.kind_case()) {
    case v1::ParameterValue::kDoubleValue:
      return ParameterValue(value.double_value());
    case v1::ParameterValue::kIntValue:
      return ParameterValue(static_cast<int64_t>(value.int_value()));
    case v1::ParameterValue::kStringValue:
      return ParameterValue(value.string_value());
    default:
      return absl::InvalidArgumentError("no value set");
  }
}

absl::StatusOr<Assignment> FromProto(
    const google::protobuf::Map<std::string, v1::ParameterValue>& parameters) {
  Assignment out;
  for (const auto& [name, value] : parameters) {
    auto v = FromProto(value);
    if (!v.ok()) return absl::InvalidArgumentError("parameters." + name + ": no value set");
    out[name] = std::move(*v);
  }
  return out;
}

absl::StatusOr<TrialState> FromProto(v1::TrialState state) {
  switch (state) {
    case v1::ACTIVE:
      return TrialState::kActive;
    case v1::STOPPING:
      return TrialState::kStopping;
    case v1::COMPLETED:
      return TrialState::kCompleted;
    case v1::STOPPED:
      return TrialState::kStopped;
    case v1::FAILED:
      return TrialState::kFailed;
    case v1::INFEASIBLE:
      return TrialState::kInfeasible;
    case v1::STALE:
      return TrialState::kStale;
    default:
      return absl::InvalidArgumentError("states: unknown trial state " + std::to_string(state));
  }
}

StudyRecord FromProto(const v1::Study& study) {
  return {study.name(), study.spec_json(),
          study.state() == v1::STUDY_COMPLETED ? StudyState::kCompleted : StudyState::kActive,
          study.create_time(),
          study.spec_versions_json().empty() ? "[]" : study.spec_versions_json()};
}

absl::StatusOr<Trial> FromProto(const v1::Trial& trial) {
  Trial out;
  out.id = trial.id();
  auto state = FromProto(trial.state());
  if (!state.ok()) return state.status();
  out.state = *state;
  auto parameters = FromProto(trial.parameters());
  if (!parameters.ok()) return parameters.status();
  out.parameters = std::move(*parameters);
  for (const v1::Measurement& m : trial.measurements()) out.measurements.push_back(FromProto(m));
  if (trial.has_final_measurement()) out.final_measurement = FromProto(trial.final_measurement());
  out.client_id = trial.client_id();
  out.reason = trial.reason();
  out.runner = trial.runner();
  out.command = trial.command();
  out.origin = trial.origin();
  out.parent_trial = trial.parent_trial();
  out.parent_step = trial.parent_step();
  out.retry_of = trial.retry_of();
  out.create_time = trial.create_time();
  out.end_time = trial.end_time();
  for (const v1::TrialAttempt& w : trial.attempts()) {
    out.attempts.push_back({.number = w.number(),
                            .start_time = w.start_time(),
                            .end_time = w.end_time(),
                            .outcome = w.outcome(),
                            .reason = w.reason(),
                            .reports = w.reports(),
                            .last_step = w.last_step()});
  }
  return out;
}

v1::StudyRun ToProto(const RunRecord& run) {
  v1::StudyRun out;
  out.set_run_id(run.run_id);
  out.set_host(run.host);
  out.set_pid(run.pid);
  out.set_joined(run.joined);
  out.set_start_time(run.start_time);
  out.set_heartbeat_time(run.heartbeat_time);
  return out;
}

RunRecord FromProto(const v1::StudyRun& run) {
  return {.run_id = run.run_id(),
          .host = run.host(),
          .pid = run.pid(),
          .joined = run.joined(),
          .start_time = run.start_time(),
          .heartbeat_time = run.heartbeat_time()};
}

v1::Artifact ToProto(const ArtifactRecord& a) {
  v1::Artifact out;
  out.set_path(a.path);
  out.set_kind(a.kind);
  out.set_step(a.step);
  out.set_size(a.size);
  out.set_sha256(a.sha256);
  out.set_rank(a.rank);
  out.set_attempt(a.attempt);
  out.set_checkpoint(a.checkpoint);
  out.set_removed(a.removed);
  out.set_create_time(a.create_time);
  return out;
}

ArtifactRecord FromProto(const v1::Artifact& a) {
  return {.path = a.path(),
          .kind = a.kind(),
          .step = a.step(),
          .size = a.size(),
          .sha256 = a.sha256(),
          .rank = a.rank(),
          .attempt = a.attempt(),
          .checkpoint = a.checkpoint(),
          .removed = a.removed(),
          .create_time = a.create_time()};
}

}  // namespace tuner
