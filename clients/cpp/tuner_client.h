// C++ client of the study service, for trainers and tools.
//
//   auto client = tuner::TunerClient::FromEnvironment();  // TUNER_ENDPOINT...
//   for (int epoch = 1; ...; ++epoch) {
//     auto stop = (*client)->Report(epoch, {{"val_accuracy", acc}});
//     if (stop.ok() && *stop) break;
//   }
//   (*client)->Complete({{"val_accuracy", acc}});
//
// Study- and trial-less overloads use the study and trial the client was
// bound to (from the environment or BindTrial). Errors come back as
// absl::Status with the server's canonical code and message. Calls retry
// while the server cannot be reached, up to ConnectOptions::retry_s
// (default: $TUNER_RETRY_S, else 10 minutes). Not thread-safe: use one
// client per thread.
#ifndef TUNER_CLIENTS_CPP_TUNER_CLIENT_H_
#define TUNER_CLIENTS_CPP_TUNER_CLIENT_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "clients/cpp/connect_options.h"
#include "tuner/v1/tuner.pb.h"

namespace tuner {

using Metrics = std::map<std::string, double>;

class TunerClient {
 public:
  // Connects to host:port (plain text on loopback). Does not wait for the
  // server; the first call does.
  static absl::StatusOr<std::unique_ptr<TunerClient>> Connect(const std::string& endpoint);
  // With TLS and/or a token; NotFound when ca_file cannot be read.
  static absl::StatusOr<std::unique_ptr<TunerClient>> Connect(const std::string& endpoint,
                                                              const ConnectOptions& options);
  // From TUNER_ENDPOINT (required), TUNER_STUDY and TUNER_TRIAL_ID (optional),
  // TUNER_TOKEN and TUNER_TLS_CA (a CA file; optional).
  static absl::StatusOr<std::unique_ptr<TunerClient>> FromEnvironment();
  ~TunerClient();

  void BindTrial(const std::string& study, int64_t trial_id);
  // How long the next calls retry while the server cannot be reached (see
  // ConnectOptions::retry_s), e.g. around one call that may wait longer.
  void set_retry_seconds(double seconds);
  double retry_seconds() const;
  const std::string& study() const { return study_; }
  int64_t trial_id() const { return trial_id_; }

  // `resume`: see CreateStudyRequest.resume in tuner.proto.
  absl::StatusOr<v1::Study> CreateStudy(const std::string& spec_json, bool resume = false);
  absl::StatusOr<v1::Study> GetStudy(const std::string& name);
  absl::StatusOr<std::vector<v1::Study>> ListStudies();
  absl::Status DeleteStudy(const std::string& name);
  // See StopStudy in tuner.proto.
  absl::StatusOr<v1::Study> StopStudy(const std::string& name, const std::string& reason = "");

  struct Suggestion {
    std::vector<v1::Trial> trials;
    bool study_done = false;
  };
  // `max_running`: see SuggestTrialsRequest.max_running (0 = no cap).
  absl::StatusOr<Suggestion> SuggestTrials(const std::string& study, int count,
                                           const std::string& client_id, int max_running = 0);
  // See ClaimStudy and ReleaseStudy in tuner.proto.
  absl::StatusOr<v1::ClaimStudyResponse> ClaimStudy(const v1::ClaimStudyRequest& request);
  absl::Status ReleaseStudy(const std::string& study, const std::string& run_id);
  absl::StatusOr<v1::Trial> CreateTrial(const std::string& study,
                                        const std::map<std::string, v1::ParameterValue>& params,
                                        const std::string& client_id = "");
  absl::StatusOr<v1::Trial> GetTrial(const std::string& study, int64_t trial_id);

  // Streams one measurement of the bound trial; true when it should stop.
  // The stream stays open between calls. Each report carries a report id
  // (`report_id`, or "<client nonce>:<sequence>" when ""), and a retry after
  // a lost connection resends it unchanged: stored exactly once.
  absl::StatusOr<bool> Report(int64_t step, const Metrics& metrics);
  absl::StatusOr<bool> Report(const std::string& study, int64_t trial_id, int64_t step,
                              const Metrics& metrics, const std::string& report_id = "");

  // Ends the bound trial: with final metrics (empty = the last report), as
  // infeasible, or as failed.
  absl::StatusOr<v1::Trial> Complete(const Metrics& metrics = {});
  absl::StatusOr<v1::Trial> Complete(const std::string& study, int64_t trial_id,
                                     const Metrics& metrics);
  absl::StatusOr<v1::Trial> CompleteInfeasible(const std::string& study, int64_t trial_id,
                                               const std::string& reason);
  // `retriable`: the failure is the cluster's (CompleteTrialRequest.retriable).
  absl::StatusOr<v1::Trial> CompleteFailed(const std::string& study, int64_t trial_id,
                                           const std::string& message, bool retriable = false);
  // The launching run was interrupted: the trial becomes STALE (not counted
  // toward max_trials) and its parameters are offered again.
  absl::StatusOr<v1::Trial> CompleteInterrupted(const std::string& study, int64_t trial_id,
                                                const std::string& reason);
  absl::StatusOr<v1::Trial> StopTrial(const std::string& study, int64_t trial_id,
                                      const std::string& reason = "");
  // Renews the trial's lease; true when it should stop.
  absl::StatusOr<bool> Heartbeat(const std::string& study, int64_t trial_id);
  // The cluster's handle and, unless "", the command it was launched with.
  absl::StatusOr<v1::Trial> SetTrialRunner(const std::string& study, int64_t trial_id,
                                           const std::string& runner,
                                           const std::string& command = "");
  // Every trial of the study (all pages), optionally only in `states`.
  absl::StatusOr<std::vector<v1::Trial>> ListTrials(const std::string& study,
                                                    const std::vector<v1::TrialState>& states = {},
                                                    bool with_measurements = true);
  absl::StatusOr<v1::ListTrialsResponse> ListTrialsPage(const v1::ListTrialsRequest& request);
  // Records a trial's files (docs/artifacts.md); returns the checkpoint
  // records retention marked removed (the caller deletes those files).
  absl::StatusOr<std::vector<v1::Artifact>> LogArtifacts(
      const std::string& study, int64_t trial_id, const std::vector<v1::Artifact>& artifacts);
  absl::StatusOr<std::vector<v1::Artifact>> ListArtifacts(const std::string& study,
                                                          int64_t trial_id);
  absl::StatusOr<std::vector<v1::Trial>> GetBestTrials(const std::string& study);
  // See RetryTrials in tuner.proto.
  absl::StatusOr<std::vector<v1::Trial>> RetryTrials(const std::string& study,
                                                     const std::vector<int64_t>& trial_ids);

 private:
  struct Impl;
  explicit TunerClient(std::unique_ptr<Impl> impl);
  absl::Status CloseStream();
  // CloseStream, where a dropped stream is no error.
  absl::Status EndStream();

  std::unique_ptr<Impl> impl_;
  std::string study_;
  int64_t trial_id_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace tuner

#endif  // TUNER_CLIENTS_CPP_TUNER_CLIENT_H_
