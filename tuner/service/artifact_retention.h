// Checkpoint retention (trainer.keep_checkpoints, docs/artifacts.md): which
// checkpoint records of a trial are past the last `keep` steps. Pure.
#ifndef TUNER_TUNER_SERVICE_ARTIFACT_RETENTION_H_
#define TUNER_TUNER_SERVICE_ARTIFACT_RETENTION_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "storage/store.h"

namespace tuner {

// Indices into `artifacts` of the kept (not removed) "checkpoint" records
// whose step is not among the `keep` highest kept checkpoint steps (of every
// attempt together). `keep` 0 keeps everything.
std::vector<size_t> CheckpointsPastRetention(const std::vector<ArtifactRecord>& artifacts,
                                             int keep);

// The kept checkpoint with the highest step (the latest attempt's on a tie),
// or nullopt when the trial has none.
std::optional<ArtifactRecord> LatestCheckpoint(const std::vector<ArtifactRecord>& artifacts);

}  // namespace tuner

#endif  // TUNER_TUNER_SERVICE_ARTIFACT_RETENTION_H_
