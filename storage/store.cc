#include "storage/store.h"

namespace tuner {

const char* ToString(StudyState state) {
  switch (state) {
    case StudyState::kActive:
      return "ACTIVE";
    case StudyState::kCompleted:
      return "COMPLETED";
  }
  return "?";
}

void TrialCounts::Add(TrialState state, int64_t n) {
  total += n;
  switch (state) {
    case TrialState::kActive:
      active += n;
      break;
    case TrialState::kStopping:
      stopping += n;
      break;
    case TrialState::kCompleted:
      completed += n;
      break;
    case TrialState::kStopped:
      stopped += n;
      break;
    case TrialState::kFailed:
      failed += n;
      break;
    case TrialState::kInfeasible:
      infeasible += n;
      break;
    case TrialState::kStale:
      stale += n;
      break;
  }
}

}  // namespace tuner
