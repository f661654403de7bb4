// A study's trial directory (<output root>/<study>/) belongs to one study:
// the one of that name created at a given time. A marker file in it records
// which; when a new study of the same name (the old one deleted, e.g.
// through a client that does not know the directory) runs into the old
// directory, the old one is renamed aside instead of mixed with the new
// trials' files. A directory it creates is 0700 (the umask may take more).
#ifndef TUNER_TUNER_CLI_STUDY_DIR_H_
#define TUNER_TUNER_CLI_STUDY_DIR_H_

#include <string>

#include "absl/status/statusor.h"

namespace tuner {

// Makes `dir` the directory of the study created at `create_time`. Returns
// "" or, when an older study's directory was renamed aside, a line saying
// where to. A directory without a marker (written before markers existed) is
// taken as it is.
absl::StatusOr<std::string> ClaimStudyDir(const std::string& dir, double create_time);

}  // namespace tuner

#endif  // TUNER_TUNER_CLI_STUDY_DIR_H_
