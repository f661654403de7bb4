// The gRPC edge of the study service: decodes requests, calls StudyService,
// encodes replies and maps absl::Status to grpc::Status (the only place that
// does). Uses gRPC's callback API.
#ifndef TUNER_TUNER_SERVER_GRPC_SERVICE_H_
#define TUNER_TUNER_SERVER_GRPC_SERVICE_H_

#include <memory>
#include <string>

namespace grpc {
class Service;
}

namespace tuner {

class StudyService;

// `service` must outlive the returned gRPC service. With a non-empty
// `token`, every call without `authorization: Bearer <token>` metadata is
// refused with UNAUTHENTICATED.
std::unique_ptr<grpc::Service> MakeGrpcStudyService(StudyService* service,
                                                    const std::string& token = "");

}  // namespace tuner

#endif  // TUNER_TUNER_SERVER_GRPC_SERVICE_H_
