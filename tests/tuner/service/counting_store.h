// A Store for service tests that counts some of its calls.
#ifndef TUNER_TESTS_TUNER_SERVICE_COUNTING_STORE_H_
#define TUNER_TESTS_TUNER_SERVICE_COUNTING_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "storage/store.h"

namespace tuner::testing {

// Forwards to a real store and counts the trial rows ListTrials returns and
// the designer states put.
class CountingStore : public Store {
 public:
  explicit CountingStore(std::unique_ptr<Store> inner) : inner_(std::move(inner)) {}
  int64_t rows_read = 0;
  int designer_state_puts = 0;

  absl::Status CreateStudy(const StudyRecord& study) override { return inner_->CreateStudy(study); }
  absl::StatusOr<StudyRecord> GetStudy(const std::string& name) override {
    return inner_->GetStudy(name);
  }
  absl::StatusOr<std::vector<StudyRecord>> ListStudies() override { return inner_->ListStudies(); }
  absl::Status DeleteStudy(const std::string& name) override { return inner_->DeleteStudy(name); }
  absl::Status UpdateStudy(const StudyRecord& study) override { return inner_->UpdateStudy(study); }
  absl::StatusOr<std::vector<Trial>> AddTrials(const std::string& study,
                                               std::vector<Trial> trials) override {
    return inner_->AddTrials(study, std::move(trials));
  }
  absl::StatusOr<Trial> GetTrial(const std::string& study, int64_t trial_id) override {
    return inner_->GetTrial(study, trial_id);
  }
  absl::StatusOr<std::vector<Trial>> ListTrials(const std::string& study,
                                                const TrialFilter& filter) override {
    auto trials = inner_->ListTrials(study, filter);
    if (trials.ok()) rows_read += static_cast<int64_t>(trials->size());
    return trials;
  }
  absl::StatusOr<TrialCounts> CountTrials(const std::string& study) override {
    return inner_->CountTrials(study);
  }
  absl::Status AddMeasurements(const std::string& study, int64_t trial_id,
                               const std::vector<Measurement>& measurements) override {
    return inner_->AddMeasurements(study, trial_id, measurements);
  }
  absl::StatusOr<std::vector<RunRecord>> ListRuns(const std::string& study) override {
    return inner_->ListRuns(study);
  }
  absl::Status PutRun(const std::string& study, const RunRecord& run) override {
    return inner_->PutRun(study, run);
  }
  absl::Status DeleteRun(const std::string& study, const std::string& run_id) override {
    return inner_->DeleteRun(study, run_id);
  }
  absl::StatusOr<std::string> GetDesignerState(const std::string& study) override {
    return inner_->GetDesignerState(study);
  }
  absl::Status PutDesignerState(const std::string& study, const std::string& state) override {
    ++designer_state_puts;
    return inner_->PutDesignerState(study, state);
  }
  absl::StatusOr<bool> AddReport(const std::string& study, int64_t trial_id,
                                 const Measurement& measurement,
                                 const std::string& report_id) override {
    return inner_->AddReport(study, trial_id, measurement, report_id);
  }
  absl::Status UpdateTrial(const std::string& study, const Trial& trial) override {
    return inner_->UpdateTrial(study, trial);
  }
  absl::Status SetTrialRunner(const std::string& study, int64_t trial_id, const std::string& runner,
                              const std::string& command = "") override {
    return inner_->SetTrialRunner(study, trial_id, runner, command);
  }
  absl::Status RestartTrial(const std::string& study, int64_t trial_id, const TrialAttempt& ended,
                            const std::string& client_id) override {
    return inner_->RestartTrial(study, trial_id, ended, client_id);
  }
  absl::Status AssignTrial(const std::string& study, int64_t trial_id,
                           const std::string& client_id) override {
    return inner_->AssignTrial(study, trial_id, client_id);
  }
  absl::Status PutArtifacts(const std::string& study, int64_t trial_id,
                            const std::vector<ArtifactRecord>& artifacts) override {
    return inner_->PutArtifacts(study, trial_id, artifacts);
  }
  absl::StatusOr<std::vector<ArtifactRecord>> ListArtifacts(const std::string& study,
                                                            int64_t trial_id) override {
    return inner_->ListArtifacts(study, trial_id);
  }

 private:
  std::unique_ptr<Store> inner_;
};

}  // namespace tuner::testing

#endif  // TUNER_TESTS_TUNER_SERVICE_COUNTING_STORE_H_
