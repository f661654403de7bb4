#include "algorithms/trial.h"

namespace tuner {

const char* ToString(TrialState state) {
  switch (state) {
    case TrialState::kActive:
      return "ACTIVE";
    case TrialState::kStopping:
      return "STOPPING";
    case TrialState::kCompleted:
      return "COMPLETED";
    case TrialState::kStopped:
      return "STOPPED";
    case TrialState::kFailed:
      return "FAILED";
    case TrialState::kInfeasible:
      return "INFEASIBLE";
    case TrialState::kStale:
      return "STALE";
  }
  return "?";
}

bool IsFinal(TrialState state) {
  return state != TrialState::kActive && state != TrialState::kStopping;
}

}  // namespace tuner
