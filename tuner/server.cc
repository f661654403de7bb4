#include "tuner/server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>

#include <mutex>

#include "storage/sqlite_store.h"
#include "tuner/grpc_service.h"
#include "tuner/http_server.h"
#include "tuner/study_service.h"

namespace tuner {

struct Server::Impl {
  std::unique_ptr<Store> store;
  std::unique_ptr<StudyService> service;
  std::unique_ptr<grpc::Service> grpc_service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<HttpServer> http;  // when ServerOptions::http_listen is set
  std::string address;
  std::once_flag shutdown_once;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  auto store = OpenSqliteStore(options.db_path);
  if (!store.ok()) return store.status();
  impl->store = std::move(*store);
  impl->service = std::make_unique<StudyService>(impl->store.get());
  impl->grpc_service = MakeGrpcStudyService(impl->service.get());

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.RegisterService(impl->grpc_service.get());
  impl->server = builder.BuildAndStart();
  if (!impl->server || port == 0) {
    return absl::UnavailableError("cannot listen on " + options.listen);
  }
  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  impl->address = host + ":" + std::to_string(port);
  if (!options.http_listen.empty()) {
    auto http = HttpServer::Start(impl->service.get(),
                                  {.listen = options.http_listen,
                                   .api = {.dashboard_dir = options.dashboard_dir}});
    if (!http.ok()) {
      impl->server->Shutdown();
      return http.status();
    }
    impl->http = std::move(*http);
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

const std::string& Server::address() const { return impl_->address; }

std::string Server::http_url() const { return impl_->http ? impl_->http->url() : ""; }

StudyService& Server::service() { return *impl_->service; }

void Server::Shutdown() {
  std::call_once(impl_->shutdown_once, [this] {
    if (impl_->http) impl_->http->Shutdown();
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  });
}

void Server::Wait() { impl_->server->Wait(); }

}  // namespace tuner
