#include "tuner/server/server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "storage/sqlite_store.h"
#include "storage/writer_lock.h"
#include "tuner/server/auth.h"
#include "tuner/server/grpc_metrics.h"
#include "tuner/server/grpc_service.h"
#include "tuner/server/http_server.h"
#include "tuner/service/study_service.h"

namespace tuner {

struct Server::Impl {
  std::unique_ptr<WriterLock> lock;  // first in, last out: held while anything writes
  std::unique_ptr<Store> store;
  std::shared_ptr<ServerMetrics> metrics = std::make_shared<ServerMetrics>();  // GET /metrics
  std::unique_ptr<StudyService> service;
  std::unique_ptr<grpc::Service> grpc_service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<HttpServer> http;  // when ServerOptions::http_listen is set
  std::string address;
  std::once_flag shutdown_once;

  // Expires leases periodically until shutdown.
  std::mutex sweep_mu;
  std::condition_variable sweep_cv;
  bool stopping = false;  // guarded by sweep_mu
  std::thread sweeper;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate and a key file");
  }
  std::string token;
  if (!options.token_file.empty()) {
    auto read = ReadTokenFile(options.token_file);
    if (!read.ok()) return read.status();
    token = std::move(*read);
  }
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.tls_cert_file.empty()) {
    auto cert = ReadWholeFile(options.tls_cert_file);
    if (!cert.ok()) return cert.status();
    auto key = ReadWholeFile(options.tls_key_file);
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    ssl.pem_key_cert_pairs.push_back({.private_key = *key, .cert_chain = *cert});
    credentials = grpc::SslServerCredentials(ssl);
  }
  WarnIfExposed(options.listen, !token.empty(), "gRPC");

  auto impl = std::make_unique<Impl>();
  // One writer per db (storage/writer_lock.h): a second server or run on the
  // same file is refused, naming the first.
  auto lock = WriterLock::Acquire(options.db_path, options.owner);
  if (!lock.ok()) return lock.status();
  impl->lock = std::move(*lock);
  auto store =
      OpenSqliteStore(options.db_path, {.on_upgrade = [&](int from, int to) {
                        spdlog::info("{}", SchemaUpgradeMessage(options.db_path, from, to));
                      }});
  if (!store.ok()) return store.status();
  impl->store = std::move(*store);
  StudyServiceOptions service_options;
  service_options.lease_seconds = options.lease_seconds;
  impl->service = std::make_unique<StudyService>(impl->store.get(), service_options);
  impl->grpc_service = MakeGrpcStudyService(impl->service.get(), token);

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, credentials, &port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  // A port in use is an error, not shared (gRPC turns SO_REUSEPORT on by
  // default, and a second server would take half of the connections).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(impl->grpc_service.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> counting;
  counting.push_back(MakeGrpcMetricsFactory(impl->metrics.get()));
  builder.experimental().SetInterceptorCreators(std::move(counting));
  impl->server = builder.BuildAndStart();
  if (!impl->server || port == 0) {
    return absl::UnavailableError("cannot listen on " + options.listen +
                                  " (is the port in use by another server?)");
  }
  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  impl->address = host + ":" + std::to_string(port);
  impl->lock->SetAddress(impl->address);
  if (!options.http_listen.empty()) {
    auto http = HttpServer::Start(
        impl->service.get(),
        {.listen = options.http_listen,
         .api = {.dashboard_dir = options.dashboard_dir,
                 .trials_dir = options.trials_dir.empty()
                                   ? (std::filesystem::absolute(options.db_path).parent_path() /
                                      "tuner_trials")
                                         .string()
                                   : options.trials_dir,
                 .metrics = impl->metrics},
         .tls_cert_file = options.tls_cert_file,
         .tls_key_file = options.tls_key_file,
         .token = token});
    if (!http.ok()) {
      impl->server->Shutdown();
      return http.status();
    }
    impl->http = std::move(*http);
  }
  if (options.lease_seconds > 0) {
    Impl* p = impl.get();
    const auto period = std::chrono::duration<double>(std::min(1.0, options.lease_seconds / 4));
    p->sweeper = std::thread([p, period] {
      std::unique_lock<std::mutex> lock(p->sweep_mu);
      while (!p->sweep_cv.wait_for(lock, period, [p] { return p->stopping; })) {
        lock.unlock();
        auto expired = p->service->ExpireLeases();
        if (!expired.ok()) {
          spdlog::error("expiring leases: {}", std::string(expired.status().message()));
        } else if (*expired > 0) {
          spdlog::info("{} trial(s) became STALE (lease expired)", *expired);
        }
        lock.lock();
      }
    });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

const std::string& Server::address() const { return impl_->address; }

std::string Server::http_url() const { return impl_->http ? impl_->http->url() : ""; }

StudyService& Server::service() { return *impl_->service; }

void Server::Shutdown() {
  std::call_once(impl_->shutdown_once, [this] {
    {
      std::lock_guard<std::mutex> lock(impl_->sweep_mu);
      impl_->stopping = true;
    }
    impl_->sweep_cv.notify_all();
    if (impl_->sweeper.joinable()) impl_->sweeper.join();
    if (impl_->http) impl_->http->Shutdown();
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  });
}

void Server::Wait() { impl_->server->Wait(); }

}  // namespace tuner
