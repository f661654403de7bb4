// `tuner export` and `tuner verify-export` (docs/artifacts.md): a trial's
// kept artifacts copied into a directory with a manifest.json that says what
// they are, how they were made, and their SHA-256.
//
// manifest.json: {"format": 1, "study", "trial", "attempt", "state",
// "tuner_version", "parameters": [{"name", "value", "role"}], "metrics"
// (final), "command" (the shell command that re-runs the trial, with its
// environment, as `tuner best` prints it), "environment" (trainer.env),
// "files": [{"path" (in the bundle), "source" (where it was), "kind",
// "step", "size", "sha256", "rank"}]}.
#ifndef TUNER_TUNER_CLI_EXPORT_BUNDLE_H_
#define TUNER_TUNER_CLI_EXPORT_BUNDLE_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/store.h"
#include "tuner/service/study_api.h"

namespace tuner {

// Copies the kept files of `trial` (as recorded in `artifacts`; they live
// under `trial_dir`) into `out_dir`, which must be missing or empty
// (FailedPrecondition otherwise), and writes its manifest.json; returns the
// manifest. A file that is missing, or whose bytes no longer match its
// record, is an error (DataLoss / NotFound) and `out_dir` is left empty.
// `schedule`: a PBT member's schedule (result_format.h ScheduleJson), written
// as the manifest's "schedule" when not empty.
absl::StatusOr<nlohmann::json> ExportTrial(const Study& study, const Trial& trial,
                                           const std::vector<ArtifactRecord>& artifacts,
                                           const std::string& trial_dir, const std::string& out_dir,
                                           const nlohmann::json& schedule = nullptr);

// Re-hashes the files of the bundle in `dir` against its manifest. Returns
// the problems found, one line each ("missing: <path>", "changed: <path>
// ...", "size: ..."); empty when the bundle is intact. An error when there
// is no readable manifest.
absl::StatusOr<std::vector<std::string>> VerifyExport(const std::string& dir);

}  // namespace tuner

#endif  // TUNER_TUNER_CLI_EXPORT_BUNDLE_H_
