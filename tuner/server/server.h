// The study server: a Store on an SQLite file, the StudyService on it, and
// the gRPC endpoint (its RPCs counted for GET /metrics, tuner/server/grpc_metrics.h).
// Start() returns once the port is bound.
//
// Thread-safety: Shutdown() may be called from any thread, once or more.
#ifndef TUNER_TUNER_SERVER_SERVER_H_
#define TUNER_TUNER_SERVER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace tuner {

class StudyService;

struct ServerOptions {
  std::string db_path = "tuner.db";  // SQLite file, created when missing
  // Who writes the db, for the refusal a second writer gets (the server holds
  // an exclusive lock on "<db>.lock", storage/writer_lock.h).
  std::string owner = "tuner serve";
  std::string listen = "127.0.0.1:0";  // port 0 = any free port
  int max_message_bytes = 4 << 20;     // larger requests: RESOURCE_EXHAUSTED
  // Running trials with no report or heartbeat for this long become STALE and
  // their parameters are offered again (StudyServiceOptions). 0 = no leases.
  double lease_seconds = 600;
  // Also serve the HTTP dashboard and its JSON API (tuner/http_server.h) on
  // this host:port; "" = no HTTP.
  std::string http_listen = "";
  std::string dashboard_dir = "";  // "" = the default (tuner/http_api.h)
  // The trial directories, for the dashboard's logs; "" = tuner_trials beside the db.
  std::string trials_dir = "";
  // TLS for gRPC and HTTP: PEM certificate (chain) and private key files,
  // both or neither. docs/security.md.
  std::string tls_cert_file = "";
  std::string tls_key_file = "";
  // Bearer-token authentication on every RPC and HTTP request: the token is
  // the file's first line. "" = no authentication.
  std::string token_file = "";
};

class Server {
 public:
  // FailedPrecondition when another process writes the db (it is named) or
  // the db cannot be opened; Unavailable when the address cannot be bound
  // (a port in use is not shared); InvalidArgument/NotFound for bad TLS
  // or token files. Warns loudly when listening beyond loopback without a
  // token.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options);
  ~Server();  // shuts down

  // The bound address, host:port, e.g. "127.0.0.1:40123".
  const std::string& address() const;
  // The dashboard's URL, e.g. "http://127.0.0.1:8080/"; "" without HTTP.
  std::string http_url() const;
  StudyService& service();
  void Shutdown();
  // Blocks until Shutdown() is called (from another thread or a signal).
  void Wait();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tuner

#endif  // TUNER_TUNER_SERVER_SERVER_H_
