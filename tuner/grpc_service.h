// The gRPC edge of the study service: decodes requests, calls StudyService,
// encodes replies and maps absl::Status to grpc::Status (the only place that
// does). Uses gRPC's callback API.
#ifndef TUNER_TUNER_GRPC_SERVICE_H_
#define TUNER_TUNER_GRPC_SERVICE_H_

#include <memory>

namespace grpc {
class Service;
}

namespace tuner {

class StudyService;

// `service` must outlive the returned gRPC service.
std::unique_ptr<grpc::Service> MakeGrpcStudyService(StudyService* service);

}  // namespace tuner

#endif  // TUNER_TUNER_GRPC_SERVICE_H_
