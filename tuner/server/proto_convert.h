// Conversions between the wire messages (tuner/v1/tuner.proto) and the
// domain types. Pure functions; the only place that knows both.
#ifndef TUNER_TUNER_SERVER_PROTO_CONVERT_H_
#define TUNER_TUNER_SERVER_PROTO_CONVERT_H_

#include <string>

#include "absl/status/statusor.h"
#include "algorithms/trial.h"
#include "storage/store.h"
#include "tuner/v1/tuner.pb.h"

namespace tuner {

v1::Study ToProto(const StudyRecord& study);
v1::Trial ToProto(const std::string& study, const Trial& trial);
v1::Measurement ToProto(const Measurement& m);
v1::ParameterValue ToProto(const ParameterValue& value);
v1::TrialState ToProto(TrialState state);
v1::StudyRun ToProto(const RunRecord& run);
v1::Artifact ToProto(const ArtifactRecord& artifact);
ArtifactRecord FromProto(const v1::Artifact& artifact);

Measurement FromProto(const v1::Measurement& m);
RunRecord FromProto(const v1::StudyRun& run);
StudyRecord FromProto(const v1::Study& study);
// InvalidArgument for a parameter without a value or an unknown state.
absl::StatusOr<Trial> FromProto(const v1::Trial& trial);
// InvalidArgument when the oneof is unset.
absl::StatusOr<ParameterValue> FromProto(const v1::ParameterValue& value);
absl::StatusOr<Assignment> FromProto(
    const google::protobuf::Map<std::string, v1::ParameterValue>& parameters);
// InvalidArgument for TRIAL_STATE_UNSPECIFIED or an unknown number.
absl::StatusOr<TrialState> FromProto(v1::TrialState state);

}  // namespace tuner

#endif  // TUNER_TUNER_SERVER_PROTO_CONVERT_H_
