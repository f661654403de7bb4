// StudyService: the study server's logic, without gRPC, and the in-process
// StudyApi. It validates requests, keeps the per-study designers, and reads
// and writes the Store.
//
// Thread-safety: all methods may be called concurrently. Suggestions of one
// study are serialised by that study's mutex, so parallel clients never get
// the same trial. Errors are canonical absl codes (NotFound, AlreadyExists,
// InvalidArgument with a path-style message, FailedPrecondition for writes
// to finished trials); the gRPC edge maps them once.
#ifndef TUNER_TUNER_SERVICE_STUDY_SERVICE_H_
#define TUNER_TUNER_SERVICE_STUDY_SERVICE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algorithms/warm_start.h"
#include "storage/store.h"
#include "storage/writer_lock.h"
#include "study/study_spec.h"
#include "tuner/service/study_api.h"
#include "tuner/service/study_history.h"
#include "tuner/service/study_policy.h"
#include "tuner/service/study_spec_cache.h"

namespace tuner {

struct StudyServiceOptions {
  int64_t max_spec_bytes = 1 << 20;  // largest study JSON accepted
  int max_suggest_count = 1000;      // largest SuggestTrials count
  int max_metrics_per_measurement = 1000;
  int max_name_length = 256;  // metric names, client ids, reasons
  // A running trial's lease: a trial with no report or heartbeat for this
  // long becomes STALE (see ExpireLeases). 0 = no leases.
  double lease_seconds = 0;
  // A run's claim on its study (ClaimStudy) expires when not renewed for
  // this long; `tuner run` renews it with every heartbeat round (10 s).
  double run_lease_seconds = 30;
  int max_retries = 2;  // how often a STALE trial's parameters are offered again
  // The clock of leases (tests inject their own).
  std::function<std::chrono::steady_clock::time_point()> clock = std::chrono::steady_clock::now;
};

class StudyService : public StudyApi {
 public:
  // `store` must outlive the service.
  explicit StudyService(Store* store, StudyServiceOptions options = {});

  // StudyApi; the contracts are in tuner/service/study_api.h.
  absl::StatusOr<Study> CreateStudy(std::string_view spec_json, bool resume = false) override;
  absl::StatusOr<Study> GetStudy(const std::string& name) override;
  absl::StatusOr<std::vector<Study>> ListStudies() override;
  absl::Status ProbeWrite() override { return store_->ProbeWrite(); }
  absl::Status DeleteStudy(const std::string& name) override;
  absl::StatusOr<Study> StopStudy(const std::string& name, const std::string& reason) override;
  absl::StatusOr<Suggestion> SuggestTrials(const std::string& study, int count,
                                           const std::string& client_id,
                                           int max_running = 0) override;
  absl::StatusOr<Trial> CreateTrial(const std::string& study, const Assignment& parameters,
                                    const std::string& client_id) override;
  absl::StatusOr<Trial> GetTrial(const std::string& study, int64_t trial_id) override;
  absl::StatusOr<StopDecision> ReportMeasurement(const std::string& study, int64_t trial_id,
                                                 const Measurement& measurement,
                                                 const std::string& report_id = "") override;
  absl::StatusOr<Trial> CompleteTrial(const std::string& study, int64_t trial_id,
                                      const TrialOutcome& outcome) override;
  absl::StatusOr<Trial> StopTrial(const std::string& study, int64_t trial_id,
                                  const std::string& reason) override;
  absl::StatusOr<StopDecision> Heartbeat(const std::string& study, int64_t trial_id) override;
  absl::StatusOr<Trial> SetTrialRunner(const std::string& study, int64_t trial_id,
                                       const std::string& runner,
                                       const std::string& command = "") override;
  absl::StatusOr<std::vector<Trial>> ListTrials(const std::string& study,
                                                const TrialFilter& filter) override;
  absl::StatusOr<std::vector<ArtifactRecord>> LogArtifacts(
      const std::string& study, int64_t trial_id, std::vector<ArtifactRecord> artifacts) override;
  absl::StatusOr<std::vector<ArtifactRecord>> ListArtifacts(const std::string& study,
                                                            int64_t trial_id) override;
  absl::StatusOr<std::vector<Trial>> GetBestTrials(const std::string& study) override;
  absl::StatusOr<ClaimResult> ClaimStudy(const std::string& study, const RunClaim& claim) override;
  absl::Status ReleaseStudy(const std::string& study, const std::string& run_id) override;
  absl::StatusOr<std::vector<Trial>> RetryTrials(const std::string& study,
                                                 const std::vector<int64_t>& trial_ids) override;

  // Marks every running trial whose lease has expired STALE; returns how many.
  // The server calls it periodically; a no-op without leases.
  absl::StatusOr<int> ExpireLeases();
  double lease_seconds() const { return options_.lease_seconds; }

 private:
  struct StudyEntry {
    std::mutex mu;                        // serialises the study's suggestions and changes
    std::unique_ptr<StudyPolicy> policy;  // guarded by mu
  };

  absl::StatusOr<std::shared_ptr<StudyEntry>> Entry(const std::string& name);
  absl::StatusOr<Study> Resume(const StudySpec& spec);
  // The earlier studies `spec` warm-starts from; a deleted one is left out
  // with a warning.
  absl::StatusOr<std::vector<PriorStudy>> WarmStartOf(const StudySpec& spec);
  absl::Status CheckMeasurement(const Measurement& m, std::string_view path) const;
  absl::StatusOr<Trial> RunningTrial(const std::string& study, int64_t trial_id);
  // Requeued trials that no client has taken become STALE ("interrupted:
  // <why> before its retry ran"), so that nothing waits for a run that will
  // not come; needs e.mu held.
  absl::Status SetQueuedAside(const std::string& study, StudyEntry& e, const std::string& why);
  // The designer's saved work (StudyPolicy::RestoreDesignerState): a new
  // policy starts from the Store's, and the policy's is put when it changed
  // (needs e.mu held). A cache: failing to read or write it is a warning.
  void RestoreDesignerState(const std::string& study, StudyPolicy& policy);
  void SaveDesignerState(const std::string& study, StudyPolicy& policy);
  // Marks the study COMPLETED once its budget is spent; needs e.mu held.
  absl::Status MaybeCompleteStudy(const std::string& study, StudyEntry& e);

  Store* const store_;
  const StudyServiceOptions options_;
  std::mutex entries_mu_;
  std::map<std::string, std::shared_ptr<StudyEntry>> entries_;  // guarded by entries_mu_
  StudySpecCache specs_;
};

// A StudyService that owns its store (e.g. `tuner trials --db FILE`) and,
// when given, the db's writer lock (released after the store is closed).
std::unique_ptr<StudyService> MakeStudyService(std::unique_ptr<Store> store,
                                               StudyServiceOptions options = {},
                                               std::unique_ptr<WriterLock> lock = nullptr);

}  // namespace tuner

#endif  // TUNER_TUNER_SERVICE_STUDY_SERVICE_H_
