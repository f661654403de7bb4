#include "tuner/service/study_spec_cache.h"

#include "study/study_json.h"

namespace tuner {

absl::StatusOr<Study> StudySpecCache::With(StudyRecord record) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& [json, spec] = specs_[record.name];
  if (!spec || json != record.spec_json) {
    auto parsed = ParseStudyOrError(record.spec_json);
    if (!parsed.ok()) {
      specs_.erase(record.name);
      return absl::InternalError("stored spec of study \"" + record.name +
                                 "\" does not parse: " + std::string(parsed.status().message()));
    }
    json = record.spec_json;
    spec = std::make_shared<const StudySpec>(std::move(*parsed));
  }
  Study out;
  static_cast<StudyRecord&>(out) = std::move(record);
  out.spec = spec;
  return out;
}

void StudySpecCache::Erase(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  specs_.erase(name);
}

}  // namespace tuner
