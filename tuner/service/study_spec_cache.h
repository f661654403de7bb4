// The parsed spec of each study, parsed once per stored spec_json: readers
// share one immutable StudySpec instead of re-running the validator per
// request. Thread-safe.
#ifndef TUNER_TUNER_SERVICE_STUDY_SPEC_CACHE_H_
#define TUNER_TUNER_SERVICE_STUDY_SPEC_CACHE_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "storage/store.h"
#include "study/study_spec.h"
#include "tuner/service/study_api.h"

namespace tuner {

class StudySpecCache {
 public:
  // `record` with its parsed spec. Internal when the stored spec does not
  // parse (the store was written by something else than the service).
  absl::StatusOr<Study> With(StudyRecord record);
  // Forgets the study (deleted).
  void Erase(const std::string& name);

 private:
  std::mutex mu_;
  // name -> the spec_json parsed, and its parsed form.
  std::map<std::string, std::pair<std::string, std::shared_ptr<const StudySpec>>>
      specs_;  // guarded by mu_
};

}  // namespace tuner

#endif  // TUNER_TUNER_SERVICE_STUDY_SPEC_CACHE_H_
