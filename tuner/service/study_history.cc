#include "tuner/service/study_history.h"

#include <algorithm>
#include <utility>

namespace tuner {

std::vector<std::shared_ptr<const Trial>>::iterator StudyHistory::LowerBound(int64_t id) {
  return std::lower_bound(
      trials_.begin(), trials_.end(), id,
      [](const std::shared_ptr<const Trial>& t, int64_t id) { return t->id < id; });
}

void StudyHistory::Put(Trial trial) {
  if (map_) map_(&trial);
  const int64_t id = trial.id;
  counts_.Add(trial.state, +1);
  if (IsFinal(trial.state)) {
    open_.erase(id);
  } else {
    open_.insert(id);
  }
  auto shared = std::make_shared<const Trial>(std::move(trial));
  if (id > max_id_) {
    max_id_ = id;
    trials_.push_back(std::move(shared));
    return;
  }
  auto it = LowerBound(id);
  if (it != trials_.end() && (*it)->id == id) {
    counts_.Add((*it)->state, -1);
    *it = std::move(shared);
  } else {
    trials_.insert(it, std::move(shared));
  }
}

absl::Status StudyHistory::Refresh(Store* store, const std::string& study) {
  return Refresh([store, &study](const TrialFilter& f) { return store->ListTrials(study, f); });
}

absl::Status StudyHistory::Refresh(const TrialSource& source) {
  // (1) Open now. Trials above max_id_ are left to (2), which is newer.
  auto open_now = source({.states = {TrialState::kActive, TrialState::kStopping},
                          .with_measurements = with_measurements_});
  if (!open_now.ok()) return open_now.status();
  // (2) Created since the last refresh.
  auto created = source({.after_id = max_id_, .with_measurements = with_measurements_});
  if (!created.ok()) return created.status();

  std::set<int64_t> seen;
  const int64_t known = max_id_;
  std::vector<Trial> updates;
  for (Trial& t : *open_now) {
    if (t.id > known) continue;
    seen.insert(t.id);
    updates.push_back(std::move(t));
  }
  for (Trial& t : *created) {
    seen.insert(t.id);
    updates.push_back(std::move(t));
  }
  // (3) Open at the last refresh and in neither query: final since then. (A
  // trial that is no longer there at all is dropped from the cache.)
  std::vector<int64_t> gone;
  for (int64_t id : open_) {
    if (seen.count(id) != 0) continue;
    auto one = source({.after_id = id - 1, .limit = 1, .with_measurements = with_measurements_});
    if (!one.ok()) return one.status();
    if (!one->empty() && one->front().id == id) {
      updates.push_back(std::move(one->front()));
    } else {
      gone.push_back(id);
    }
  }
  for (Trial& t : updates) Put(std::move(t));
  for (int64_t id : gone) {
    open_.erase(id);
    auto it = LowerBound(id);  // there: every id in open_ is cached
    counts_.Add((*it)->state, -1);
    trials_.erase(it);
  }
  return absl::OkStatus();
}

}  // namespace tuner
