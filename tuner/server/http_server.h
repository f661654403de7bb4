// The dashboard's HTTP server: HttpApi (tuner/http_api.h) on a TCP port,
// with Boost.Beast on a small pool of threads. HTTP/1.1 with keep-alive;
// GET and HEAD only; request headers up to 16 KiB, bodies up to 64 KiB.
// /api/studies/{s}/events is a server-sent event stream: chunked, one
// connection each, ended when the client sends anything or goes away.
// Start() returns once the port is bound.
//
// Thread-safety: Shutdown() may be called from any thread, once or more; the
// destructor calls it. `service` must outlive the server.
#ifndef TUNER_TUNER_SERVER_HTTP_SERVER_H_
#define TUNER_TUNER_SERVER_HTTP_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tuner/server/http_api.h"

namespace tuner {

class StudyApi;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:0";  // host:port; port 0 = any free port
  int threads = 2;                     // handler threads (requests block on the store)
  HttpApiOptions api;                  // dashboard directory, refresh interval
  // At most this many /api/studies/{s}/events streams open at once (each
  // holds a connection); more get 503 with Retry-After.
  int max_event_streams = 64;
  // HTTPS with these PEM files (both or neither); "" = plain HTTP.
  std::string tls_cert_file = "";
  std::string tls_key_file = "";
  // Non-empty: every request (API, /metrics and static files; not /healthz
  // nor /readyz)
  // needs `Authorization: Bearer <token>` or the tuner_token cookie, else
  // 401. Visiting any page with ?token=<token> sets the cookie and redirects
  // to the page without it. Empty: only requests whose Host names this server are answered,
  // others get 421 (DNS-rebinding defence, tuner/server/host_check.h).
  // docs/security.md.
  std::string token = "";
};

class HttpServer {
 public:
  // InvalidArgument for a malformed address or bad TLS files; Unavailable
  // when it cannot be bound. Warns loudly when listening beyond loopback
  // without a token.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(StudyApi* service,
                                                           const HttpServerOptions& options);
  ~HttpServer();

  // The bound address, host:port, e.g. "127.0.0.1:8080".
  const std::string& address() const;
  // The dashboard's URL, e.g. "http://127.0.0.1:8080/" ("https://" with TLS).
  std::string url() const;
  void Shutdown();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "127.0.0.1:8080" -> host "127.0.0.1", port 8080; "[::1]:0" -> "::1", 0.
// InvalidArgument when there is no port or it is not in [0, 65535].
absl::Status SplitHostPort(const std::string& address, std::string* host, int* port);

}  // namespace tuner

#endif  // TUNER_TUNER_SERVER_HTTP_SERVER_H_
