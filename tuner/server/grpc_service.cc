#include "tuner/server/grpc_service.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "tuner/server/auth.h"
#include "tuner/server/proto_convert.h"
#include "tuner/server/token_scope.h"
#include "tuner/service/study_service.h"
#include "tuner/v1/tuner.grpc.pb.h"

namespace tuner {
namespace {

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  const std::string message(s.message());
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      return {grpc::StatusCode::NOT_FOUND, message};
    case absl::StatusCode::kAlreadyExists:
      return {grpc::StatusCode::ALREADY_EXISTS, message};
    case absl::StatusCode::kInvalidArgument:
      return {grpc::StatusCode::INVALID_ARGUMENT, message};
    case absl::StatusCode::kFailedPrecondition:
      return {grpc::StatusCode::FAILED_PRECONDITION, message};
    case absl::StatusCode::kResourceExhausted:
      return {grpc::StatusCode::RESOURCE_EXHAUSTED, message};
    case absl::StatusCode::kPermissionDenied:
      return {grpc::StatusCode::PERMISSION_DENIED, message};
    case absl::StatusCode::kUnauthenticated:
      return {grpc::StatusCode::UNAUTHENTICATED, message};
    case absl::StatusCode::kUnavailable:
      return {grpc::StatusCode::UNAVAILABLE, message};
    case absl::StatusCode::kDataLoss:  // a damaged db: the message says how to recover
      spdlog::error("{}", message);
      return {grpc::StatusCode::DATA_LOSS, message};
    default:
      // Internals stay in the server log; the caller gets a plain message.
      spdlog::error("internal error: {}", message);
      return {grpc::StatusCode::INTERNAL, "internal error (see the server log)"};
  }
}

// Runs `fn` (returning absl::Status) and finishes the unary call with it.
template <typename Fn>
grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx, Fn&& fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpc(fn()));
  return reactor;
}

// One ReportMetrics stream: read a measurement, answer with a decision,
// read the next. Errors end the stream with their status.
// One ReportMetrics stream. A report waits for its durable commit, which
// would block one of gRPC's few callback threads (about one per core) for an
// fsync and so cap the reports in flight, and with them the group commit's
// batches, at that number. The work runs on `workers` instead; the reactor
// cannot be destroyed meanwhile (OnDone needs our StartWrite or Finish).
class ReportReactor
    : public grpc::ServerBidiReactor<v1::ReportMetricsRequest, v1::ReportMetricsResponse> {
 public:
  ReportReactor(StudyService* service, boost::asio::thread_pool* workers, Grant grant)
      : service_(service), workers_(workers), grant_(std::move(grant)) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    boost::asio::post(*workers_, [this] { Handle(); });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  void Handle() {
    if (absl::Status allowed =
            Authorize(grant_, Action::kReportTrial, request_.study(), request_.trial_id());
        !allowed.ok()) {
      Finish(ToGrpc(allowed));
      return;
    }
    auto decision =
        service_->ReportMeasurement(request_.study(), request_.trial_id(),
                                    FromProto(request_.measurement()), request_.report_id());
    if (!decision.ok()) {
      Finish(ToGrpc(decision.status()));
      return;
    }
    response_.Clear();
    response_.set_trial_id(request_.trial_id());
    response_.set_step(request_.measurement().step());
    response_.set_decision(decision->stop ? v1::STOP : v1::CONTINUE);
    response_.set_reason(decision->reason);
    StartWrite(&response_);
  }

  StudyService* const service_;
  boost::asio::thread_pool* const workers_;
  const Grant grant_;  // what the stream's token may do
  v1::ReportMetricsRequest request_;
  v1::ReportMetricsResponse response_;
};

// Ends a stream at once with `status` (a refused ReportMetrics call).
class RefusedStream
    : public grpc::ServerBidiReactor<v1::ReportMetricsRequest, v1::ReportMetricsResponse> {
 public:
  explicit RefusedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

class GrpcStudyService final : public v1::StudyService::CallbackService {
 public:
  GrpcStudyService(StudyService* service, std::string token)
      : s_(service), token_(std::move(token)) {}
  // Every queued report is handled (and its stream answered) before the
  // workers go.
  ~GrpcStudyService() override { report_workers_.join(); }

  grpc::ServerUnaryReactor* CreateStudy(grpc::CallbackServerContext* ctx,
                                        const v1::CreateStudyRequest* req,
                                        v1::Study* resp) override {
    return Unary(ctx, Action::kManageStudies, "", [&]() -> absl::Status {
      if (req->spec_json().empty()) return absl::InvalidArgumentError("spec_json: required");
      auto study = s_->CreateStudy(req->spec_json(), req->resume());
      if (!study.ok()) return study.status();
      *resp = ToProto(*study);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* GetStudy(grpc::CallbackServerContext* ctx,
                                     const v1::GetStudyRequest* req, v1::Study* resp) override {
    return Unary(ctx, Action::kReadStudy, req->name(), [&]() -> absl::Status {
      auto study = s_->GetStudy(req->name());
      if (!study.ok()) return study.status();
      *resp = ToProto(*study);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* ListStudies(grpc::CallbackServerContext* ctx,
                                        const v1::ListStudiesRequest*,
                                        v1::ListStudiesResponse* resp) override {
    return Unary(ctx, Action::kManageStudies, "", [&]() -> absl::Status {
      auto studies = s_->ListStudies();
      if (!studies.ok()) return studies.status();
      for (const StudyRecord& s : *studies) *resp->add_studies() = ToProto(s);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* DeleteStudy(grpc::CallbackServerContext* ctx,
                                        const v1::DeleteStudyRequest* req,
                                        v1::DeleteStudyResponse*) override {
    return Unary(ctx, Action::kManageStudies, "", [&] { return s_->DeleteStudy(req->name()); });
  }

  grpc::ServerUnaryReactor* SuggestTrials(grpc::CallbackServerContext* ctx,
                                          const v1::SuggestTrialsRequest* req,
                                          v1::SuggestTrialsResponse* resp) override {
    return Unary(ctx, Action::kRunTrials, req->study(), [&]() -> absl::Status {
      auto suggestion =
          s_->SuggestTrials(req->study(), req->count(), req->client_id(), req->max_running());
      if (!suggestion.ok()) return suggestion.status();
      for (const Trial& t : suggestion->trials) *resp->add_trials() = ToProto(req->study(), t);
      resp->set_study_done(suggestion->study_done);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* CreateTrial(grpc::CallbackServerContext* ctx,
                                        const v1::CreateTrialRequest* req,
                                        v1::Trial* resp) override {
    return Unary(ctx, Action::kRunTrials, req->study(), [&]() -> absl::Status {
      auto parameters = FromProto(req->parameters());
      if (!parameters.ok()) return parameters.status();
      auto trial = s_->CreateTrial(req->study(), *parameters, req->client_id());
      if (!trial.ok()) return trial.status();
      *resp = ToProto(req->study(), *trial);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* GetTrial(grpc::CallbackServerContext* ctx,
                                     const v1::GetTrialRequest* req, v1::Trial* resp) override {
    return Unary(ctx, Action::kReadTrial, req->study(), req->trial_id(), [&]() -> absl::Status {
      auto trial = s_->GetTrial(req->study(), req->trial_id());
      if (!trial.ok()) return trial.status();
      *resp = ToProto(req->study(), *trial);
      return absl::OkStatus();
    });
  }

  grpc::ServerBidiReactor<v1::ReportMetricsRequest, v1::ReportMetricsResponse>* ReportMetrics(
      grpc::CallbackServerContext* ctx) override {
    auto grant = Authenticated(ctx);
    if (!grant.ok()) return new RefusedStream(ToGrpc(grant.status()));
    return new ReportReactor(s_, &report_workers_, *grant);
  }

  grpc::ServerUnaryReactor* CompleteTrial(grpc::CallbackServerContext* ctx,
                                          const v1::CompleteTrialRequest* req,
                                          v1::Trial* resp) override {
    return Unary(ctx, Action::kReportTrial, req->study(), req->trial_id(), [&]() -> absl::Status {
      TrialOutcome outcome;
      switch (req->outcome_case()) {
        case v1::CompleteTrialRequest::kInfeasibleReason:
          outcome.kind = TrialOutcome::Kind::kInfeasible;
          outcome.reason = req->infeasible_reason();
          break;
        case v1::CompleteTrialRequest::kFailureMessage:
          outcome.kind = TrialOutcome::Kind::kFailed;
          outcome.reason = req->failure_message();
          outcome.retriable = req->retriable();
          break;
        case v1::CompleteTrialRequest::kInterruptedReason:
          outcome.kind = TrialOutcome::Kind::kInterrupted;
          outcome.reason = req->interrupted_reason();
          break;
        default:
          outcome.final_measurement = FromProto(req->final_measurement());
      }
      auto trial = s_->CompleteTrial(req->study(), req->trial_id(), outcome);
      if (!trial.ok()) return trial.status();
      *resp = ToProto(req->study(), *trial);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* StopStudy(grpc::CallbackServerContext* ctx,
                                      const v1::StopStudyRequest* req, v1::Study* resp) override {
    return Unary(ctx, Action::kManageStudies, "", [&]() -> absl::Status {
      auto study = s_->StopStudy(req->name(), req->reason());
      if (!study.ok()) return study.status();
      *resp = ToProto(*study);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* StopTrial(grpc::CallbackServerContext* ctx,
                                      const v1::StopTrialRequest* req, v1::Trial* resp) override {
    return Unary(ctx, Action::kRunTrials, req->study(), req->trial_id(), [&]() -> absl::Status {
      auto trial = s_->StopTrial(req->study(), req->trial_id(), req->reason());
      if (!trial.ok()) return trial.status();
      *resp = ToProto(req->study(), *trial);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* ctx,
                                      const v1::HeartbeatRequest* req,
                                      v1::HeartbeatResponse* resp) override {
    return Unary(ctx, Action::kReportTrial, req->study(), req->trial_id(), [&]() -> absl::Status {
      auto decision = s_->Heartbeat(req->study(), req->trial_id());
      if (!decision.ok()) return decision.status();
      resp->set_decision(decision->stop ? v1::STOP : v1::CONTINUE);
      resp->set_reason(decision->reason);
      resp->set_lease_seconds(s_->lease_seconds());
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* SetTrialRunner(grpc::CallbackServerContext* ctx,
                                           const v1::SetTrialRunnerRequest* req,
                                           v1::Trial* resp) override {
    return Unary(ctx, Action::kRunTrials, req->study(), req->trial_id(), [&]() -> absl::Status {
      auto trial = s_->SetTrialRunner(req->study(), req->trial_id(), req->runner(), req->command());
      if (!trial.ok()) return trial.status();
      *resp = ToProto(req->study(), *trial);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* LogArtifacts(grpc::CallbackServerContext* ctx,
                                         const v1::LogArtifactsRequest* req,
                                         v1::LogArtifactsResponse* resp) override {
    return Unary(ctx, Action::kReportTrial, req->study(), req->trial_id(), [&]() -> absl::Status {
      std::vector<ArtifactRecord> artifacts;
      for (const v1::Artifact& a : req->artifacts()) artifacts.push_back(FromProto(a));
      auto removed = s_->LogArtifacts(req->study(), req->trial_id(), std::move(artifacts));
      if (!removed.ok()) return removed.status();
      for (const ArtifactRecord& a : *removed) *resp->add_removed() = ToProto(a);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* ListArtifacts(grpc::CallbackServerContext* ctx,
                                          const v1::ListArtifactsRequest* req,
                                          v1::ListArtifactsResponse* resp) override {
    return Unary(ctx, Action::kReadTrial, req->study(), req->trial_id(), [&]() -> absl::Status {
      auto artifacts = s_->ListArtifacts(req->study(), req->trial_id());
      if (!artifacts.ok()) return artifacts.status();
      for (const ArtifactRecord& a : *artifacts) *resp->add_artifacts() = ToProto(a);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* ListTrials(grpc::CallbackServerContext* ctx,
                                       const v1::ListTrialsRequest* req,
                                       v1::ListTrialsResponse* resp) override {
    return Unary(ctx, Action::kReadTrials, req->study(), [&]() -> absl::Status {
      TrialFilter filter;
      for (int state : req->states()) {
        auto s = FromProto(static_cast<v1::TrialState>(state));
        if (!s.ok()) return s.status();
        filter.states.push_back(*s);
      }
      if (req->page_size() < 0) return absl::InvalidArgumentError("page_size: must be >= 0");
      if (!req->page_token().empty()) {
        char* end = nullptr;
        filter.after_id = std::strtoll(req->page_token().c_str(), &end, 10);
        if (*end != '\0' || filter.after_id < 0) {
          return absl::InvalidArgumentError("page_token: not a token from ListTrials");
        }
      }
      filter.limit = req->page_size();
      filter.with_measurements = !req->omit_measurements();
      auto trials = s_->ListTrials(req->study(), filter);
      if (!trials.ok()) return trials.status();
      for (const Trial& t : *trials) *resp->add_trials() = ToProto(req->study(), t);
      if (filter.limit > 0 && static_cast<int64_t>(trials->size()) == filter.limit) {
        resp->set_next_page_token(std::to_string(trials->back().id));
      }
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* GetBestTrials(grpc::CallbackServerContext* ctx,
                                          const v1::GetBestTrialsRequest* req,
                                          v1::GetBestTrialsResponse* resp) override {
    return Unary(ctx, Action::kReadTrials, req->study(), [&]() -> absl::Status {
      auto best = s_->GetBestTrials(req->study());
      if (!best.ok()) return best.status();
      for (const Trial& t : *best) *resp->add_trials() = ToProto(req->study(), t);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* RetryTrials(grpc::CallbackServerContext* ctx,
                                        const v1::RetryTrialsRequest* req,
                                        v1::RetryTrialsResponse* resp) override {
    return Unary(ctx, Action::kRunTrials, req->study(), [&]() -> absl::Status {
      auto trials = s_->RetryTrials(
          req->study(), std::vector<int64_t>(req->trial_ids().begin(), req->trial_ids().end()));
      if (!trials.ok()) return trials.status();
      for (const Trial& t : *trials) *resp->add_trials() = ToProto(req->study(), t);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* ClaimStudy(grpc::CallbackServerContext* ctx,
                                       const v1::ClaimStudyRequest* req,
                                       v1::ClaimStudyResponse* resp) override {
    return Unary(ctx, Action::kRunTrials, req->study(), [&]() -> absl::Status {
      auto result = s_->ClaimStudy(req->study(), {.run_id = req->run_id(),
                                                  .host = req->host(),
                                                  .pid = req->pid(),
                                                  .join = req->join(),
                                                  .take_over = req->take_over()});
      if (!result.ok()) return result.status();
      resp->set_granted(result->granted);
      resp->set_owner(result->owner);
      if (!result->granted) *resp->mutable_held_by() = ToProto(result->held_by);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* ReleaseStudy(grpc::CallbackServerContext* ctx,
                                         const v1::ReleaseStudyRequest* req,
                                         v1::ReleaseStudyResponse*) override {
    return Unary(ctx, Action::kRunTrials, req->study(),
                 [&] { return s_->ReleaseStudy(req->study(), req->run_id()); });
  }

 private:
  // Every unary handler calls Unary(ctx, action, study, trial, fn): this
  // member hides the free function above and refuses, first, calls without
  // a valid token (UNAUTHENTICATED) and calls the token's role may not make
  // on that study or trial (PERMISSION_DENIED; tuner/server/token_scope.h).
  template <typename Fn>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx, Action action,
                                  const std::string& study, int64_t trial_id, Fn&& fn) {
    absl::StatusOr<Grant> grant = Authenticated(ctx);
    absl::Status allowed = grant.ok() ? Authorize(*grant, action, study, trial_id) : grant.status();
    if (!allowed.ok()) {
      grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
      reactor->Finish(ToGrpc(allowed));
      return reactor;
    }
    return tuner::Unary(ctx, std::forward<Fn>(fn));
  }
  template <typename Fn>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx, Action action,
                                  const std::string& study, Fn&& fn) {
    return Unary(ctx, action, study, 0, std::forward<Fn>(fn));
  }

  // Admin without a token configured; else the grant of the
  // `authorization: Bearer <token>` sent, or UNAUTHENTICATED.
  absl::StatusOr<Grant> Authenticated(grpc::CallbackServerContext* ctx) const {
    if (token_.empty()) return Grant{};
    const auto& metadata = ctx->client_metadata();
    for (auto [it, end] = metadata.equal_range("authorization"); it != end; ++it) {
      const std::string_view header(it->second.data(), it->second.size());
      if (std::optional<Grant> grant = Authenticate(token_, BearerToken(header))) return *grant;
    }
    return absl::UnauthenticatedError(
        "missing or wrong token (send `authorization: Bearer <token>`)");
  }

  StudyService* const s_;
  const std::string token_;  // "" = no authentication
  // Where reports wait for their commit (see ReportReactor). Enough threads
  // for the group commit to gather large batches; they sleep while waiting.
  boost::asio::thread_pool report_workers_{64};
};

}  // namespace

std::unique_ptr<grpc::Service> MakeGrpcStudyService(StudyService* service,
                                                    const std::string& token) {
  return std::make_unique<GrpcStudyService>(service, token);
}

}  // namespace tuner
