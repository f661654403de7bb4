#include "tuner/server/remote_study_api.h"

#include <map>
#include <utility>

#include "clients/cpp/tuner_client.h"
#include "tuner/server/proto_convert.h"
#include "tuner/service/study_spec_cache.h"

namespace tuner {
namespace {

absl::StatusOr<Trial> Domain(absl::StatusOr<v1::Trial> trial) {
  if (!trial.ok()) return trial.status();
  return FromProto(*trial);
}

absl::StatusOr<std::vector<Trial>> Domain(absl::StatusOr<std::vector<v1::Trial>> trials) {
  if (!trials.ok()) return trials.status();
  std::vector<Trial> out;
  out.reserve(trials->size());
  for (const v1::Trial& t : *trials) {
    auto trial = FromProto(t);
    if (!trial.ok()) return trial.status();
    out.push_back(std::move(*trial));
  }
  return out;
}

class RemoteStudyApi : public StudyApi {
 public:
  explicit RemoteStudyApi(std::unique_ptr<TunerClient> client) : client_(std::move(client)) {}

  absl::StatusOr<Study> CreateStudy(std::string_view spec_json, bool resume) override {
    return StudyOf(client_->CreateStudy(std::string(spec_json), resume));
  }
  absl::StatusOr<Study> GetStudy(const std::string& name) override {
    return StudyOf(client_->GetStudy(name));
  }
  absl::StatusOr<std::vector<Study>> ListStudies() override {
    auto studies = client_->ListStudies();
    if (!studies.ok()) return studies.status();
    std::vector<Study> out;
    for (const v1::Study& s : *studies) {
      auto study = StudyOf(s);
      if (!study.ok()) return study.status();
      out.push_back(std::move(*study));
    }
    return out;
  }
  absl::Status DeleteStudy(const std::string& name) override { return client_->DeleteStudy(name); }
  absl::StatusOr<Study> StopStudy(const std::string& name, const std::string& reason) override {
    return StudyOf(client_->StopStudy(name, reason));
  }

  absl::StatusOr<Suggestion> SuggestTrials(const std::string& study, int count,
                                           const std::string& client_id,
                                           int max_running = 0) override {
    auto s = client_->SuggestTrials(study, count, client_id, max_running);
    if (!s.ok()) return s.status();
    auto trials = Domain(std::move(s->trials));
    if (!trials.ok()) return trials.status();
    return Suggestion{std::move(*trials), s->study_done};
  }
  absl::StatusOr<Trial> CreateTrial(const std::string& study, const Assignment& parameters,
                                    const std::string& client_id) override {
    std::map<std::string, v1::ParameterValue> wire;
    for (const auto& [name, value] : parameters) wire[name] = ToProto(value);
    return Domain(client_->CreateTrial(study, wire, client_id));
  }
  absl::StatusOr<Trial> GetTrial(const std::string& study, int64_t trial_id) override {
    return Domain(client_->GetTrial(study, trial_id));
  }
  absl::StatusOr<StopDecision> ReportMeasurement(const std::string& study, int64_t trial_id,
                                                 const Measurement& m,
                                                 const std::string& report_id = "") override {
    auto stop = client_->Report(study, trial_id, m.step, m.metrics, report_id);
    if (!stop.ok()) return stop.status();
    return StopDecision{*stop, ""};
  }
  absl::StatusOr<Trial> CompleteTrial(const std::string& study, int64_t trial_id,
                                      const TrialOutcome& outcome) override {
    switch (outcome.kind) {
      case TrialOutcome::Kind::kInfeasible:
        return Domain(client_->CompleteInfeasible(study, trial_id, outcome.reason));
      case TrialOutcome::Kind::kFailed:
        return Domain(client_->CompleteFailed(study, trial_id, outcome.reason, outcome.retriable));
      case TrialOutcome::Kind::kInterrupted:
        return Domain(client_->CompleteInterrupted(study, trial_id, outcome.reason));
      case TrialOutcome::Kind::kCompleted:
        break;
    }
    return Domain(client_->Complete(study, trial_id, outcome.final_measurement.metrics));
  }
  absl::StatusOr<Trial> StopTrial(const std::string& study, int64_t trial_id,
                                  const std::string& reason) override {
    return Domain(client_->StopTrial(study, trial_id, reason));
  }
  absl::StatusOr<StopDecision> Heartbeat(const std::string& study, int64_t trial_id) override {
    auto stop = client_->Heartbeat(study, trial_id);
    if (!stop.ok()) return stop.status();
    return StopDecision{*stop, ""};
  }
  absl::StatusOr<Trial> SetTrialRunner(const std::string& study, int64_t trial_id,
                                       const std::string& runner,
                                       const std::string& command) override {
    return Domain(client_->SetTrialRunner(study, trial_id, runner, command));
  }
  absl::StatusOr<std::vector<ArtifactRecord>> LogArtifacts(
      const std::string& study, int64_t trial_id, std::vector<ArtifactRecord> artifacts) override {
    std::vector<v1::Artifact> wire;
    for (const ArtifactRecord& a : artifacts) wire.push_back(ToProto(a));
    return Records(client_->LogArtifacts(study, trial_id, wire));
  }
  absl::StatusOr<std::vector<ArtifactRecord>> ListArtifacts(const std::string& study,
                                                            int64_t trial_id) override {
    return Records(client_->ListArtifacts(study, trial_id));
  }
  static absl::StatusOr<std::vector<ArtifactRecord>> Records(
      const absl::StatusOr<std::vector<v1::Artifact>>& wire) {
    if (!wire.ok()) return wire.status();
    std::vector<ArtifactRecord> out;
    for (const v1::Artifact& a : *wire) out.push_back(FromProto(a));
    return out;
  }
  absl::StatusOr<std::vector<Trial>> ListTrials(const std::string& study,
                                                const TrialFilter& filter) override {
    std::vector<v1::TrialState> states;
    for (TrialState s : filter.states) states.push_back(ToProto(s));
    auto trials = Domain(client_->ListTrials(study, states, filter.with_measurements));
    if (!trials.ok()) return trials;
    // The wire has no client, id or limit filter: apply them here.
    std::vector<Trial> out;
    for (Trial& t : *trials) {
      if (t.id <= filter.after_id) continue;
      if (!filter.client_id.empty() && t.client_id != filter.client_id) continue;
      if (filter.limit > 0 && static_cast<int64_t>(out.size()) >= filter.limit) break;
      out.push_back(std::move(t));
    }
    return out;
  }
  absl::StatusOr<std::vector<Trial>> GetBestTrials(const std::string& study) override {
    return Domain(client_->GetBestTrials(study));
  }
  absl::StatusOr<ClaimResult> ClaimStudy(const std::string& study, const RunClaim& claim) override {
    v1::ClaimStudyRequest req;
    req.set_study(study);
    req.set_run_id(claim.run_id);
    req.set_host(claim.host);
    req.set_pid(claim.pid);
    req.set_join(claim.join);
    req.set_take_over(claim.take_over);
    auto resp = client_->ClaimStudy(req);
    if (!resp.ok()) return resp.status();
    return ClaimResult{resp->granted(), resp->owner(), FromProto(resp->held_by())};
  }
  absl::Status ReleaseStudy(const std::string& study, const std::string& run_id) override {
    return client_->ReleaseStudy(study, run_id);
  }
  absl::StatusOr<std::vector<Trial>> RetryTrials(const std::string& study,
                                                 const std::vector<int64_t>& trial_ids) override {
    return Domain(client_->RetryTrials(study, trial_ids));
  }

 private:
  absl::StatusOr<Study> StudyOf(absl::StatusOr<v1::Study> wire) {
    if (!wire.ok()) return wire.status();
    return specs_.With(FromProto(*wire));
  }

  std::unique_ptr<TunerClient> client_;
  StudySpecCache specs_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<StudyApi>> ConnectStudyApi(const std::string& endpoint,
                                                          const ConnectOptions& options) {
  auto client = TunerClient::Connect(endpoint, options);
  if (!client.ok()) return client.status();
  return std::unique_ptr<StudyApi>(new RemoteStudyApi(std::move(*client)));
}

}  // namespace tuner
