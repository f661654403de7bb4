#include "clients/cpp/tuner_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tuner/v1/tuner.grpc.pb.h"

namespace tuner {
namespace {

// grpc::Status -> absl::Status, the client's one translation.
absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// Worth retrying: the server cannot be reached, or its disk is full.
bool Retryable(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable ||
         (s.code() == absl::StatusCode::kResourceExhausted &&
          absl::StrContains(s.message(), "no space left"));
}

absl::StatusOr<double> RetrySeconds(double configured) {
  if (configured >= 0) return configured;
  const char* env = std::getenv("TUNER_RETRY_S");
  if (env == nullptr || *env == '\0') return 600.0;
  char* end = nullptr;
  const double seconds = std::strtod(env, &end);
  if (*end != '\0' || !(seconds >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("TUNER_RETRY_S: expected a number of seconds >= 0, got \"", env, "\""));
  }
  return seconds;
}

std::string RandomNonce() {
  std::random_device device;
  return absl::StrCat(absl::Hex(device(), absl::kZeroPad8), absl::Hex(device(), absl::kZeroPad8));
}

}  // namespace

struct TunerClient::Impl {
  std::string endpoint;
  std::string authorization;  // "Bearer <token>", "" = none
  double retry_s = 600;
  std::function<bool(const absl::Status&)> on_wait;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::StudyService::Stub> stub;
  // The open ReportMetrics stream, if any.
  std::unique_ptr<grpc::ClientContext> stream_context;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ReportMetricsRequest, v1::ReportMetricsResponse>>
      stream;
  // Report ids: "<nonce>:<sequence>", unique per client and so per trial.
  std::string report_nonce = RandomNonce();
  int64_t report_sequence = 0;
  bool report_ids = true;

  // Runs attempt(retry) until it gives an answer other than "unreachable",
  // or retry_s has passed (then the error names the server and the wait).
  template <typename Attempt>
  auto Retrying(Attempt attempt) -> decltype(attempt(false)) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    const auto deadline = start + std::chrono::duration<double>(retry_s);
    std::chrono::duration<double> delay(0.05);
    std::minstd_rand jitter(std::random_device{}());
    bool waiting = false;
    for (bool retry = false;; retry = true) {
      auto result = attempt(retry);
      const absl::Status status = StatusOf(result);
      if (!Retryable(status)) {
        if (waiting && on_wait) (void)on_wait(absl::OkStatus());
        return result;
      }
      if (Clock::now() + delay > deadline) {
        if (!waiting) return result;
        const double waited = std::chrono::duration<double>(Clock::now() - start).count();
        return absl::Status(status.code(),
                            absl::StrCat("server ", endpoint, " unreachable for ",
                                         static_cast<int>(waited), " s: ", status.message()));
      }
      if (on_wait && !on_wait(status)) return result;
      waiting = true;
      std::this_thread::sleep_for(delay * std::uniform_real_distribution<double>(0.5, 1)(jitter));
      delay = std::min<std::chrono::duration<double>>(delay * 2, std::chrono::seconds(1));
    }
  }

  template <typename Req, typename Resp, typename Method>
  absl::StatusOr<Resp> CallOnce(Method method, const Req& req) {
    grpc::ClientContext ctx;
    if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    ctx.set_wait_for_ready(false);
    Resp resp;
    grpc::Status s = (stub.get()->*method)(&ctx, req, &resp);
    if (!s.ok()) return FromGrpc(s);
    return resp;
  }

  // A unary call, retried while the server cannot be reached. Every call
  // the service has is safe to repeat (docs/reliability.md), except those
  // the callers below adjust for their retries.
  template <typename Req, typename Resp, typename Method>
  absl::StatusOr<Resp> Call(Method method, const Req& req) {
    return Retrying([&](bool) { return CallOnce<Req, Resp>(method, req); });
  }
};

TunerClient::TunerClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TunerClient::~TunerClient() { (void)CloseStream(); }

absl::StatusOr<std::unique_ptr<TunerClient>> TunerClient::Connect(const std::string& endpoint) {
  return Connect(endpoint, ConnectOptions{});
}

absl::StatusOr<std::unique_ptr<TunerClient>> TunerClient::Connect(const std::string& endpoint,
                                                                  const ConnectOptions& options) {
  if (endpoint.empty()) return absl::InvalidArgumentError("endpoint: must not be empty");
  auto impl = std::make_unique<Impl>();
  impl->endpoint = endpoint;
  if (!options.token.empty()) impl->authorization = "Bearer " + options.token;
  auto retry_s = RetrySeconds(options.retry_s);
  if (!retry_s.ok()) return retry_s.status();
  impl->retry_s = *retry_s;
  impl->on_wait = options.on_wait;
  impl->report_ids = options.report_ids;
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options.ca_file.empty()) {
    std::ifstream in(options.ca_file, std::ios::binary);
    if (!in) return absl::NotFoundError("TLS CA file " + options.ca_file + ": cannot be read");
    std::ostringstream pem;
    pem << in.rdbuf();
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pem.str();
    credentials = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  // Reconnect soon after a restarted server is back (gRPC's default backoff
  // waits up to two minutes between tries).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  impl->channel = grpc::CreateCustomChannel(endpoint, credentials, args);
  impl->stub = v1::StudyService::NewStub(impl->channel);
  return std::unique_ptr<TunerClient>(new TunerClient(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<TunerClient>> TunerClient::FromEnvironment() {
  const char* endpoint = std::getenv("TUNER_ENDPOINT");
  if (endpoint == nullptr || *endpoint == '\0') {
    return absl::FailedPreconditionError("TUNER_ENDPOINT is not set");
  }
  ConnectOptions options;
  if (const char* token = std::getenv("TUNER_TOKEN")) options.token = token;
  if (const char* ca = std::getenv("TUNER_TLS_CA")) options.ca_file = ca;
  auto client = Connect(endpoint, options);
  if (!client.ok()) return client.status();
  const char* study = std::getenv("TUNER_STUDY");
  const char* trial = std::getenv("TUNER_TRIAL_ID");
  if (study != nullptr && trial != nullptr) {
    char* end = nullptr;
    const long long id = std::strtoll(trial, &end, 10);
    if (*end != '\0') return absl::InvalidArgumentError("TUNER_TRIAL_ID: not an integer");
    (*client)->BindTrial(study, id);
  }
  return client;
}

void TunerClient::set_retry_seconds(double seconds) { impl_->retry_s = seconds; }
double TunerClient::retry_seconds() const { return impl_->retry_s; }

void TunerClient::BindTrial(const std::string& study, int64_t trial_id) {
  study_ = study;
  trial_id_ = trial_id;
  start_ = std::chrono::steady_clock::now();
}

absl::StatusOr<v1::Study> TunerClient::CreateStudy(const std::string& spec_json, bool resume) {
  v1::CreateStudyRequest req;
  req.set_spec_json(spec_json);
  return impl_->Retrying([&](bool retry) {
    // A retry may follow a lost answer to a create that happened: resuming
    // returns that study (the same spec), where a create would say it exists.
    req.set_resume(resume || retry);
    return impl_->CallOnce<v1::CreateStudyRequest, v1::Study>(&v1::StudyService::Stub::CreateStudy,
                                                              req);
  });
}

absl::StatusOr<v1::Study> TunerClient::GetStudy(const std::string& name) {
  v1::GetStudyRequest req;
  req.set_name(name);
  return impl_->Call<v1::GetStudyRequest, v1::Study>(&v1::StudyService::Stub::GetStudy, req);
}

absl::StatusOr<std::vector<v1::Study>> TunerClient::ListStudies() {
  auto resp = impl_->Call<v1::ListStudiesRequest, v1::ListStudiesResponse>(
      &v1::StudyService::Stub::ListStudies, v1::ListStudiesRequest());
  if (!resp.ok()) return resp.status();
  return std::vector<v1::Study>(resp->studies().begin(), resp->studies().end());
}

absl::Status TunerClient::DeleteStudy(const std::string& name) {
  v1::DeleteStudyRequest req;
  req.set_name(name);
  return impl_->Retrying([&](bool retry) {
    absl::Status s = impl_
                         ->CallOnce<v1::DeleteStudyRequest, v1::DeleteStudyResponse>(
                             &v1::StudyService::Stub::DeleteStudy, req)
                         .status();
    // Gone on a retry: the first try deleted it and its answer was lost.
    return retry && absl::IsNotFound(s) ? absl::OkStatus() : s;
  });
}

absl::StatusOr<TunerClient::Suggestion> TunerClient::SuggestTrials(const std::string& study,
                                                                   int count,
                                                                   const std::string& client_id,
                                                                   int max_running) {
  v1::SuggestTrialsRequest req;
  req.set_study(study);
  req.set_count(count);
  req.set_client_id(client_id);
  req.set_max_running(max_running);
  auto resp = impl_->Call<v1::SuggestTrialsRequest, v1::SuggestTrialsResponse>(
      &v1::StudyService::Stub::SuggestTrials, req);
  if (!resp.ok()) return resp.status();
  return Suggestion{{resp->trials().begin(), resp->trials().end()}, resp->study_done()};
}

absl::StatusOr<v1::Trial> TunerClient::CreateTrial(
    const std::string& study, const std::map<std::string, v1::ParameterValue>& params,
    const std::string& client_id) {
  v1::CreateTrialRequest req;
  req.set_study(study);
  req.set_client_id(client_id);
  for (const auto& [k, v] : params) (*req.mutable_parameters())[k] = v;
  return impl_->Call<v1::CreateTrialRequest, v1::Trial>(&v1::StudyService::Stub::CreateTrial, req);
}

absl::StatusOr<v1::Trial> TunerClient::GetTrial(const std::string& study, int64_t trial_id) {
  v1::GetTrialRequest req;
  req.set_study(study);
  req.set_trial_id(trial_id);
  return impl_->Call<v1::GetTrialRequest, v1::Trial>(&v1::StudyService::Stub::GetTrial, req);
}

absl::StatusOr<bool> TunerClient::Report(int64_t step, const Metrics& metrics) {
  if (study_.empty()) return absl::FailedPreconditionError("no trial bound (see BindTrial)");
  return Report(study_, trial_id_, step, metrics);
}

absl::StatusOr<bool> TunerClient::Report(const std::string& study, int64_t trial_id, int64_t step,
                                         const Metrics& metrics, const std::string& report_id) {
  v1::ReportMetricsRequest req;
  req.set_study(study);
  req.set_trial_id(trial_id);
  if (!report_id.empty()) {
    req.set_report_id(report_id);
  } else if (impl_->report_ids) {
    req.set_report_id(absl::StrCat(impl_->report_nonce, ":", ++impl_->report_sequence));
  }
  v1::Measurement* m = req.mutable_measurement();
  m->set_step(step);
  m->set_elapsed_secs(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  for (const auto& [k, v] : metrics) (*m->mutable_metrics())[k] = v;
  // The same request (and report id) on each try: the server stores it once.
  return impl_->Retrying([&](bool) -> absl::StatusOr<bool> {
    if (!impl_->stream) {
      impl_->stream_context = std::make_unique<grpc::ClientContext>();
      impl_->stream_context->set_wait_for_ready(false);
      if (!impl_->authorization.empty()) {
        impl_->stream_context->AddMetadata("authorization", impl_->authorization);
      }
      impl_->stream = impl_->stub->ReportMetrics(impl_->stream_context.get());
    }
    v1::ReportMetricsResponse resp;
    if (!impl_->stream->Write(req) || !impl_->stream->Read(&resp)) {
      absl::Status s = CloseStream();  // the server ended the stream: say why
      return s.ok() ? absl::UnavailableError("report stream closed") : s;
    }
    return resp.decision() == v1::STOP;
  });
}

absl::Status TunerClient::CloseStream() {
  if (!impl_->stream) return absl::OkStatus();
  impl_->stream->WritesDone();
  grpc::Status s = impl_->stream->Finish();
  impl_->stream.reset();
  impl_->stream_context.reset();
  return FromGrpc(s);
}

absl::Status TunerClient::EndStream() {
  // A stream the server dropped (a restart) says so here; the next report
  // opens a new one, so that is no reason to fail the call that ends it.
  absl::Status s = CloseStream();
  return Retryable(s) ? absl::OkStatus() : s;
}

absl::StatusOr<v1::Trial> TunerClient::Complete(const Metrics& metrics) {
  if (study_.empty()) return absl::FailedPreconditionError("no trial bound (see BindTrial)");
  return Complete(study_, trial_id_, metrics);
}

absl::StatusOr<v1::Trial> TunerClient::Complete(const std::string& study, int64_t trial_id,
                                                const Metrics& metrics) {
  if (absl::Status s = EndStream(); !s.ok()) return s;
  v1::CompleteTrialRequest req;
  req.set_study(study);
  req.set_trial_id(trial_id);
  v1::Measurement* m = req.mutable_final_measurement();
  m->set_elapsed_secs(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  for (const auto& [k, v] : metrics) (*m->mutable_metrics())[k] = v;
  return impl_->Call<v1::CompleteTrialRequest, v1::Trial>(&v1::StudyService::Stub::CompleteTrial,
                                                          req);
}

absl::StatusOr<v1::Trial> TunerClient::CompleteInfeasible(const std::string& study,
                                                          int64_t trial_id,
                                                          const std::string& reason) {
  if (absl::Status s = EndStream(); !s.ok()) return s;
  v1::CompleteTrialRequest req;
  req.set_study(study);
  req.set_trial_id(trial_id);
  req.set_infeasible_reason(reason);
  return impl_->Call<v1::CompleteTrialRequest, v1::Trial>(&v1::StudyService::Stub::CompleteTrial,
                                                          req);
}

absl::StatusOr<v1::Trial> TunerClient::CompleteFailed(const std::string& study, int64_t trial_id,
                                                      const std::string& message, bool retriable) {
  if (absl::Status s = EndStream(); !s.ok()) return s;
  v1::CompleteTrialRequest req;
  req.set_study(study);
  req.set_trial_id(trial_id);
  req.set_failure_message(message);
  req.set_retriable(retriable);
  return impl_->Call<v1::CompleteTrialRequest, v1::Trial>(&v1::StudyService::Stub::CompleteTrial,
                                                          req);
}

absl::StatusOr<v1::Trial> TunerClient::CompleteInterrupted(const std::string& study,
                                                           int64_t trial_id,
                                                           const std::string& reason) {
  if (absl::Status s = EndStream(); !s.ok()) return s;
  v1::CompleteTrialRequest req;
  req.set_study(study);
  req.set_trial_id(trial_id);
  req.set_interrupted_reason(reason);
  return impl_->Call<v1::CompleteTrialRequest, v1::Trial>(&v1::StudyService::Stub::CompleteTrial,
                                                          req);
}

absl::StatusOr<v1::Study> TunerClient::StopStudy(const std::string& name,
                                                 const std::string& reason) {
  v1::StopStudyRequest req;
  req.set_name(name);
  req.set_reason(reason);
  return impl_->Call<v1::StopStudyRequest, v1::Study>(&v1::StudyService::Stub::StopStudy, req);
}

absl::StatusOr<v1::Trial> TunerClient::StopTrial(const std::string& study, int64_t trial_id,
                                                 const std::string& reason) {
  v1::StopTrialRequest req;
  req.set_study(study);
  req.set_trial_id(trial_id);
  req.set_reason(reason);
  return impl_->Call<v1::StopTrialRequest, v1::Trial>(&v1::StudyService::Stub::StopTrial, req);
}

absl::StatusOr<bool> TunerClient::Heartbeat(const std::string& study, int64_t trial_id) {
  v1::HeartbeatRequest req;
  req.set_study(study);
  req.set_trial_id(trial_id);
  auto resp = impl_->Call<v1::HeartbeatRequest, v1::HeartbeatResponse>(
      &v1::StudyService::Stub::Heartbeat, req);
  if (!resp.ok()) return resp.status();
  return resp->decision() == v1::STOP;
}

absl::StatusOr<v1::Trial> TunerClient::SetTrialRunner(const std::string& study, int64_t trial_id,
                                                      const std::string& runner,
                                                      const std::string& command) {
  v1::SetTrialRunnerRequest req;
  req.set_study(study);
  req.set_trial_id(trial_id);
  req.set_runner(runner);
  req.set_command(command);
  return impl_->Call<v1::SetTrialRunnerRequest, v1::Trial>(&v1::StudyService::Stub::SetTrialRunner,
                                                           req);
}

absl::StatusOr<std::vector<v1::Artifact>> TunerClient::LogArtifacts(
    const std::string& study, int64_t trial_id, const std::vector<v1::Artifact>& artifacts) {
  v1::LogArtifactsRequest req;
  req.set_study(study);
  req.set_trial_id(trial_id);
  for (const v1::Artifact& a : artifacts) *req.add_artifacts() = a;
  auto resp = impl_->Call<v1::LogArtifactsRequest, v1::LogArtifactsResponse>(
      &v1::StudyService::Stub::LogArtifacts, req);
  if (!resp.ok()) return resp.status();
  return std::vector<v1::Artifact>(resp->removed().begin(), resp->removed().end());
}

absl::StatusOr<std::vector<v1::Artifact>> TunerClient::ListArtifacts(const std::string& study,
                                                                     int64_t trial_id) {
  v1::ListArtifactsRequest req;
  req.set_study(study);
  req.set_trial_id(trial_id);
  auto resp = impl_->Call<v1::ListArtifactsRequest, v1::ListArtifactsResponse>(
      &v1::StudyService::Stub::ListArtifacts, req);
  if (!resp.ok()) return resp.status();
  return std::vector<v1::Artifact>(resp->artifacts().begin(), resp->artifacts().end());
}

absl::StatusOr<v1::ListTrialsResponse> TunerClient::ListTrialsPage(
    const v1::ListTrialsRequest& request) {
  return impl_->Call<v1::ListTrialsRequest, v1::ListTrialsResponse>(
      &v1::StudyService::Stub::ListTrials, request);
}

absl::StatusOr<std::vector<v1::Trial>> TunerClient::ListTrials(
    const std::string& study, const std::vector<v1::TrialState>& states, bool with_measurements) {
  v1::ListTrialsRequest req;
  req.set_study(study);
  req.set_omit_measurements(!with_measurements);
  for (v1::TrialState s : states) req.add_states(s);
  req.set_page_size(500);
  std::vector<v1::Trial> out;
  while (true) {
    auto page = ListTrialsPage(req);
    if (!page.ok()) return page.status();
    out.insert(out.end(), page->trials().begin(), page->trials().end());
    if (page->next_page_token().empty()) return out;
    req.set_page_token(page->next_page_token());
  }
}

absl::StatusOr<std::vector<v1::Trial>> TunerClient::GetBestTrials(const std::string& study) {
  v1::GetBestTrialsRequest req;
  req.set_study(study);
  auto resp = impl_->Call<v1::GetBestTrialsRequest, v1::GetBestTrialsResponse>(
      &v1::StudyService::Stub::GetBestTrials, req);
  if (!resp.ok()) return resp.status();
  return std::vector<v1::Trial>(resp->trials().begin(), resp->trials().end());
}

absl::StatusOr<std::vector<v1::Trial>> TunerClient::RetryTrials(
    const std::string& study, const std::vector<int64_t>& trial_ids) {
  v1::RetryTrialsRequest req;
  req.set_study(study);
  for (int64_t id : trial_ids) req.add_trial_ids(id);
  auto resp = impl_->Call<v1::RetryTrialsRequest, v1::RetryTrialsResponse>(
      &v1::StudyService::Stub::RetryTrials, req);
  if (!resp.ok()) return resp.status();
  return std::vector<v1::Trial>(resp->trials().begin(), resp->trials().end());
}

absl::StatusOr<v1::ClaimStudyResponse> TunerClient::ClaimStudy(
    const v1::ClaimStudyRequest& request) {
  return impl_->Call<v1::ClaimStudyRequest, v1::ClaimStudyResponse>(
      &v1::StudyService::Stub::ClaimStudy, request);
}

absl::Status TunerClient::ReleaseStudy(const std::string& study, const std::string& run_id) {
  v1::ReleaseStudyRequest req;
  req.set_study(study);
  req.set_run_id(run_id);
  return impl_
      ->Call<v1::ReleaseStudyRequest, v1::ReleaseStudyResponse>(
          &v1::StudyService::Stub::ReleaseStudy, req)
      .status();
}

}  // namespace tuner
