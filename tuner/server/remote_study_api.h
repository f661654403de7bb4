// The StudyApi of a study server reached over gRPC (`--server ADDR`): the C++
// client underneath, wire types converted to domain types here, so callers
// see the same types and codes as with the in-process StudyService.
// Not thread-safe: one per thread.
#ifndef TUNER_TUNER_SERVER_REMOTE_STUDY_API_H_
#define TUNER_TUNER_SERVER_REMOTE_STUDY_API_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "clients/cpp/connect_options.h"
#include "tuner/service/study_api.h"

namespace tuner {

// Does not wait for the server; the first call does. NotFound when the TLS
// CA file cannot be read.
absl::StatusOr<std::unique_ptr<StudyApi>> ConnectStudyApi(const std::string& endpoint,
                                                          const ConnectOptions& options = {});

}  // namespace tuner

#endif  // TUNER_TUNER_SERVER_REMOTE_STUDY_API_H_
