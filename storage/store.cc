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

}  // namespace tuner
