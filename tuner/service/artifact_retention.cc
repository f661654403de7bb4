#include "tuner/service/artifact_retention.h"

#include <cstdint>
#include <functional>
#include <set>

namespace tuner {
namespace {

bool IsKeptCheckpoint(const ArtifactRecord& a) { return a.kind == "checkpoint" && !a.removed; }

}  // namespace

std::vector<size_t> CheckpointsPastRetention(const std::vector<ArtifactRecord>& artifacts,
                                             int keep) {
  std::vector<size_t> past;
  if (keep <= 0) return past;
  std::set<int64_t, std::greater<>> steps;
  for (const ArtifactRecord& a : artifacts) {
    if (IsKeptCheckpoint(a)) steps.insert(a.step);
  }
  if (static_cast<int>(steps.size()) <= keep) return past;
  const int64_t oldest_kept = *std::next(steps.begin(), keep - 1);
  for (size_t i = 0; i < artifacts.size(); ++i) {
    if (IsKeptCheckpoint(artifacts[i]) && artifacts[i].step < oldest_kept) past.push_back(i);
  }
  return past;
}

std::optional<ArtifactRecord> LatestCheckpoint(const std::vector<ArtifactRecord>& artifacts) {
  std::optional<ArtifactRecord> latest;
  for (const ArtifactRecord& a : artifacts) {
    if (!IsKeptCheckpoint(a)) continue;
    if (!latest || a.step > latest->step ||
        (a.step == latest->step && a.attempt > latest->attempt)) {
      latest = a;
    }
  }
  return latest;
}

}  // namespace tuner
