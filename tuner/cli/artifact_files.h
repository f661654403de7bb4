// The files behind artifact records (docs/artifacts.md): hashing, the
// runner's scan of a trial's output directory, resolving a record to its
// file, and recording what a finished cluster left.
//
// Scan rule (files the trainer wrote without a client), under an attempt's
// output directory (TUNER_OUTPUT_DIR):
//   artifacts/<kind>/...  kind = the first directory below artifacts/;
//   artifacts/<file>      kind = "artifact";
//   checkpoints/<step>/...  kind = "checkpoint", step = <step> (a
//                           non-negative integer; other names are skipped).
// Symbolic links and special files are skipped. Not thread-safe beyond the
// filesystem's own guarantees; errors name the file.
#ifndef TUNER_TUNER_CLI_ARTIFACT_FILES_H_
#define TUNER_TUNER_CLI_ARTIFACT_FILES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/store.h"
#include "tuner/service/study_api.h"

namespace tuner {

// Lowercase hex SHA-256 of the file's bytes.
absl::StatusOr<std::string> Sha256OfFile(const std::string& path);

// The files of `output_dir` under the scan rule, hashed, with paths relative
// to `output_dir`, attempt 0 and rank "" (the runner cannot tell which rank
// wrote them). Empty when neither directory exists.
absl::StatusOr<std::vector<ArtifactRecord>> ScanOutputDir(const std::string& output_dir);

// Where a record's file is: its absolute path, or its path under the output
// directory of its attempt (TrialAttemptDir of `trial_dir`).
std::string ArtifactFile(const std::string& trial_dir, const ArtifactRecord& record);
// What TUNER_RESTORE_FROM names for a checkpoint record (its `checkpoint`,
// or its file when that is "").
std::string CheckpointLocation(const std::string& trial_dir, const ArtifactRecord& record);

// After a trial's cluster ended: records the scanned files of its attempt
// `attempt` (those a client recorded already keep their record), applies
// retention, and deletes the files of every record marked removed that
// still exist (client-recorded ones too). Returns how many files it recorded.
absl::StatusOr<int> RecordTrialFiles(StudyApi& api, const std::string& study, int64_t trial_id,
                                     const std::string& trial_dir, int attempt);

// The absolute path of the trial's latest kept checkpoint that still exists
// on disk, or "" when it has none.
absl::StatusOr<std::string> LatestCheckpointPath(StudyApi& api, const std::string& study,
                                                 int64_t trial_id, const std::string& trial_dir);

}  // namespace tuner

#endif  // TUNER_TUNER_CLI_ARTIFACT_FILES_H_
