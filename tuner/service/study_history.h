// StudyHistory: one study's trials kept in memory, so that a reader sees the
// whole study while reading from the Store only what changed since its last
// look. The one incremental trial cache: the service keeps one per study for
// the designers (without measurements), the HTTP API one per study viewed
// (with measurements, for the curves).
//
// Refresh reads (1) the trials that are open now (ACTIVE or STOPPING, an
// indexed query returning few rows), (2) the trials created since the last
// refresh (ids above the highest seen), and (3) one by one, the trials that
// were open at the last refresh and are in neither, i.e. that have become
// final since. A final trial (COMPLETED, STOPPED, FAILED, INFEASIBLE, STALE)
// never changes again, so it is read once. Queries are applied oldest first,
// so a trial that changed between them ends with its newest state; a trial
// still open in the cache is re-read at the next refresh.
//
// Cost per refresh: O(open + new + newly final) rows read, plus O(log n) per
// row to place it (new trials are appended: ids only grow); counts() is maintained on the way. Not
// thread-safe: the owner (StudyService, under the study's mutex) serialises calls.
#ifndef TUNER_TUNER_SERVICE_STUDY_HISTORY_H_
#define TUNER_TUNER_SERVICE_STUDY_HISTORY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "algorithms/trial.h"
#include "storage/store.h"

namespace tuner {

class StudyHistory {
 public:
  // Where Refresh reads trials from: a Store's or a StudyApi's ListTrials
  // for one study.
  using TrialSource = std::function<absl::StatusOr<std::vector<Trial>>(const TrialFilter&)>;

  // `with_measurements`: keep every trial's measurements too (the dashboard's
  // curves); the designers need none.
  explicit StudyHistory(bool with_measurements = false) : with_measurements_(with_measurements) {}

  // Applied to every trial as it enters the cache, before anyone sees it:
  // the designers' view maps trials recorded under an earlier spec version
  // into the current space (FillDefaults, study/spec_edit.h). Set before
  // the first Refresh.
  using TrialMap = std::function<void(Trial*)>;
  void set_trial_map(TrialMap map) { map_ = std::move(map); }

  // Brings the cache up to date with the trials `source` lists. On an error
  // the cache keeps what it had (a later Refresh catches up).
  absl::Status Refresh(const TrialSource& source);
  absl::Status Refresh(Store* store, const std::string& study);

  // Every trial of the study as of the last Refresh, by ascending id. A
  // cached trial is immutable: a change replaces the pointer, so a copy of
  // this vector is a consistent snapshot that later Refreshes leave alone.
  const std::vector<std::shared_ptr<const Trial>>& trials() const { return trials_; }
  // Their numbers by state (what Store::CountTrials says), kept up to date by
  // Refresh at no extra cost.
  const TrialCounts& counts() const { return counts_; }

 private:
  void Put(Trial trial);
  // The first cached trial with an id >= `id`.
  std::vector<std::shared_ptr<const Trial>>::iterator LowerBound(int64_t id);

  const bool with_measurements_;
  TrialMap map_;                                      // may be empty
  std::vector<std::shared_ptr<const Trial>> trials_;  // by ascending id
  TrialCounts counts_;
  std::set<int64_t> open_;  // ids whose cached state is not final
  int64_t max_id_ = 0;
};

}  // namespace tuner

#endif  // TUNER_TUNER_SERVICE_STUDY_HISTORY_H_
