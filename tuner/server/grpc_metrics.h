// Counts every RPC of the gRPC server into ServerMetrics (method, code,
// duration, messages received) with a server interceptor, so the service
// itself stays unaware of it.
#ifndef TUNER_TUNER_SERVER_GRPC_METRICS_H_
#define TUNER_TUNER_SERVER_GRPC_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "tuner/server/server_metrics.h"

namespace tuner {

// For grpc::ServerBuilder::experimental().SetInterceptorCreators. `metrics`
// must outlive the gRPC server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeGrpcMetricsFactory(
    ServerMetrics* metrics);

}  // namespace tuner

#endif  // TUNER_TUNER_SERVER_GRPC_METRICS_H_
