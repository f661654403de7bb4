// The only file that includes Boost.Beast (its headers are heavy).
#include "tuner/server/http_server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "tuner/server/auth.h"
#include "tuner/server/host_check.h"
#include "tuner/server/token_scope.h"

namespace tuner {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

absl::Status SplitHostPort(const std::string& address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    return absl::InvalidArgumentError("\"" + address + "\": expected host:port");
  }
  std::string h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) return absl::InvalidArgumentError("\"" + address + "\": expected host:port");
  const std::string p = address.substr(colon + 1);
  int value = 0;
  for (char c : p) {
    if (c < '0' || c > '9' || value > 65535) {
      return absl::InvalidArgumentError("\"" + address + "\": the port must be a number");
    }
    value = value * 10 + (c - '0');
  }
  if (value > 65535) return absl::InvalidArgumentError("\"" + address + "\": port > 65535");
  *host = h;
  *port = value;
  return absl::OkStatus();
}

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(60);

// Scripts, styles, data and frames only from this server; no inline script,
// no eval, no plugins, not framed. Inline style attributes are allowed: the
// charting library styles its tooltips with them.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// What every connection shares.
struct Shared {
  HttpApi* api;
  std::string token;  // "" = no authentication
  bool tls = false;
  std::string bound_host;  // as given in HttpServerOptions::listen
  int bound_port = 0;
  int max_event_streams = 64;
  std::atomic<int> event_streams{0};  // open /events streams
};

// How often an /events stream looks at its study's version, and how long it
// stays silent before a keepalive comment.
constexpr auto kEventPoll = std::chrono::milliseconds(500);
constexpr auto kEventKeepalive = std::chrono::seconds(15);

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

// The label of a request in ServerMetrics: "api", "metrics", "healthz",
// "readyz" or "static" (a bounded set, whatever the path).
std::string_view RouteClass(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz" || path == "/healthz/") return "healthz";
  if (path == "/readyz" || path == "/readyz/") return "readyz";
  if (path == "/metrics" || path == "/metrics/") return "metrics";
  if (path.starts_with("/api/") || path == "/api") return "api";
  return "static";
}

// A token's answer to a request it may not make: 403.
HttpResponse Forbidden(const absl::Status& denied) {
  HttpResponse r;
  r.status = 403;
  r.body = nlohmann::json{{"error", {{"code", "PERMISSION_DENIED"}, {"message", denied.message()}}}}
               .dump();
  r.headers = {{"Cache-Control", "no-store"}};
  return r;
}

// The token check (HttpServerOptions::token) and the token's role
// (tuner/server/token_scope.h). Returns nullopt to go on to the API, else
// the response to send instead: 401, 403, or a redirect that sets the cookie
// for /?token=....
std::optional<HttpResponse> CheckAccess(const Shared& shared,
                                        const http::request<http::string_body>& req) {
  if (shared.token.empty()) return std::nullopt;
  const std::string_view target(req.target().data(), req.target().size());
  // Liveness and readiness probes: no token (they tell only "up or not").
  if (const std::string_view route = RouteClass(target); route == "healthz" || route == "readyz") {
    return std::nullopt;
  }
  auto allowed = [&](const Grant& grant) -> std::optional<HttpResponse> {
    const HttpScope scope = ScopeOfHttpTarget(target);
    absl::Status ok = Authorize(grant, scope.action, scope.study, scope.trial_id);
    if (ok.ok()) return std::nullopt;
    return Forbidden(ok);
  };
  if (auto it = req.find(http::field::authorization); it != req.end()) {
    if (auto grant = Authenticate(shared.token, BearerToken(View(it->value())))) {
      return allowed(*grant);
    }
  }
  if (auto it = req.find(http::field::cookie); it != req.end()) {
    if (auto grant = Authenticate(shared.token, CookieValue(View(it->value()), kTokenCookie))) {
      return allowed(*grant);
    }
  }
  // ?token=...: set the cookie and redirect to the same target without it.
  const size_t q = target.find('?');
  if (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    std::string kept;
    std::string matched;  // the valid token given
    while (!rest.empty()) {
      const size_t amp = rest.find('&');
      const std::string_view part = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? "" : rest.substr(amp + 1);
      if (part.starts_with("token=")) {
        if (Authenticate(shared.token, part.substr(6))) matched = part.substr(6);
      } else if (!part.empty()) {
        kept += (kept.empty() ? "" : "&") + std::string(part);
      }
    }
    if (!matched.empty()) {
      HttpResponse r;
      r.status = 302;
      r.content_type = "";
      const std::string location =
          std::string(target.substr(0, q)) + (kept.empty() ? "" : "?" + kept);
      r.headers = {{"Location", location},
                   {"Cache-Control", "no-store"},
                   {"Set-Cookie", std::string(kTokenCookie) + "=" + matched +
                                      "; Path=/; HttpOnly; SameSite=Strict" +
                                      (shared.tls ? "; Secure" : "")}};
      return r;
    }
  }
  HttpResponse r;
  r.status = 401;
  r.body = R"({"error":{"code":"UNAUTHENTICATED","message":"missing or wrong token: send )"
           R"(Authorization: Bearer <token>, or open the dashboard once with ?token=<token>"}})";
  r.headers = {{"WWW-Authenticate", "Bearer"}, {"Cache-Control", "no-store"}};
  return r;
}

// Without a token, a request whose Host does not name this server
// (tuner/server/host_check.h) gets 421 instead of an answer.
std::optional<HttpResponse> CheckHost(const Shared& shared,
                                      const http::request<http::string_body>& req) {
  if (!shared.token.empty()) return std::nullopt;
  const auto it = req.find(http::field::host);
  const std::string_view host = it == req.end() ? std::string_view() : View(it->value());
  if (HostAllowed(host, shared.bound_host, shared.bound_port, shared.tls ? 443 : 80)) {
    return std::nullopt;
  }
  const std::string port = std::to_string(shared.bound_port);
  HttpResponse r;
  r.status = 421;
  r.body =
      nlohmann::json{
          {"error",
           {{"code", "MISDIRECTED_REQUEST"},
            {"message", "Host \"" + std::string(host) + "\" is not this server: without a token " +
                            "it answers only Host " + shared.bound_host + ":" + port +
                            " or localhost:" + port + " (DNS-rebinding defence; use one of " +
                            "those, or --token-file: docs/security.md)"}}}}
          .dump();
  r.headers = {{"Cache-Control", "no-store"}};
  return r;
}

// One connection: (TLS handshake,) read a request, answer it, repeat while
// keep-alive. Stream: beast::tcp_stream or TlsStream.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(Stream stream, Shared* shared)
      : stream_(std::move(stream)),
        api_(shared->api),
        shared_(shared),
        timer_(stream_.get_executor()) {}
  ~Session() {
    if (streaming_) shared_->event_streams.fetch_sub(1);
  }

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        beast::get_lowest_layer(self->stream_).expires_after(kIdleTimeout);
        self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) {
            spdlog::debug("https: handshake: {}", ec.message());
            return;
          }
          self->Read();
        });
      } else {
        self->Read();
      }
    });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(64 * 1024);
    beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return Close();
    if (ec) {
      if (ec != beast::error::timeout && ec != asio::error::operation_aborted &&
          ec != asio::error::connection_reset) {
        spdlog::debug("http: read: {}", ec.message());
      }
      return;
    }
    const auto& req = parser_->get();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    if (auto it = req.find(http::field::if_none_match); it != req.end()) {
      request.if_none_match = std::string(it->value());
    }
    const auto started = std::chrono::steady_clock::now();
    HttpResponse answer;
    try {
      if (auto misdirected = CheckHost(*shared_, req)) {
        answer = std::move(*misdirected);
      } else if (auto refused = CheckAccess(*shared_, req)) {
        answer = std::move(*refused);
      } else {
        answer = api_->Handle(request);
      }
    } catch (const std::exception& e) {
      answer.status = 500;
      answer.body = std::string(R"({"error":{"code":"INTERNAL","message":"internal error"}})");
      spdlog::error("http: {} {}: {}", request.method, request.target, e.what());
    }
    const bool event_stream = answer.status == 200 && answer.content_type == kEventStreamType &&
                              req.method() == http::verb::get;
    if (event_stream && shared_->event_streams.fetch_add(1) >= shared_->max_event_streams) {
      shared_->event_streams.fetch_sub(1);
      answer = HttpResponse{};
      answer.status = 503;
      answer.body = nlohmann::json{{"error",
                                    {{"code", "UNAVAILABLE"},
                                     {"message", "too many open event streams (" +
                                                     std::to_string(shared_->max_event_streams) +
                                                     "): poll /api/studies/{s} instead"}}}}
                        .dump();
      answer.headers = {{"Retry-After", "5"}, {"Cache-Control", "no-store"}};
    }
    spdlog::debug("http: {} {} -> {}", request.method, request.target, answer.status);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    api_->metrics().RecordHttp(RouteClass(request.target), answer.status, took.count());
    if (answer.status == 200 && answer.content_type == kEventStreamType && event_stream) {
      return StartEvents(req.version(), std::move(answer));
    }

    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(answer.status), req.version());
    res->set(http::field::server, "tuner");
    if (!answer.content_type.empty()) res->set(http::field::content_type, answer.content_type);
    res->set("X-Content-Type-Options", "nosniff");
    res->set("Content-Security-Policy", kContentSecurityPolicy);
    for (const auto& [name, value] : answer.headers) res->set(name, value);
    res->keep_alive(req.keep_alive());
    if (req.method() == http::verb::head) {
      res->content_length(answer.body.size());
    } else if (answer.status != 304) {
      res->body() = std::move(answer.body);
      res->prepare_payload();
    }
    response_ = res;
    http::async_write(
        stream_, *res,
        beast::bind_front_handler(&Session::OnWrite, this->shared_from_this(), res->keep_alive()));
  }

  void OnWrite(bool keep_alive, beast::error_code ec, std::size_t) {
    response_.reset();
    if (ec) return;
    if (!keep_alive) return Close();
    Read();
  }

  // ------------------------------------------------ /events: a study's versions

  // Sends the header and the first event, then one event per version change
  // (looked at every kEventPoll), a keepalive comment after kEventKeepalive of
  // silence, until the client goes away (any byte or EOF from it, or a failed
  // write) or the study can no longer be read (a last `event: gone`).
  void StartEvents(unsigned version, HttpResponse answer) {
    streaming_ = true;
    event_study_ = answer.event_study;
    last_version_ = api_->StudyVersion(event_study_).value_or("");
    auto res = std::make_shared<http::response<http::empty_body>>(http::status::ok, version);
    res->set(http::field::server, "tuner");
    res->set(http::field::content_type, kEventStreamType);
    res->set("X-Content-Type-Options", "nosniff");
    res->set("Content-Security-Policy", kContentSecurityPolicy);
    for (const auto& [name, value] : answer.headers) res->set(name, value);
    res->keep_alive(false);
    res->chunked(true);
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    response_ = res;
    beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
    http::async_write_header(
        stream_, *sr, [self = this->shared_from_this(), sr](beast::error_code ec, std::size_t) {
          if (ec) return;
          self->WatchClient();
          self->SendEvent(VersionEvent(self->last_version_));
        });
  }

  // Any read completion (data, EOF, reset) ends the stream.
  void WatchClient() {
    stream_.async_read_some(asio::buffer(probe_),
                            [self = this->shared_from_this()](beast::error_code, std::size_t) {
                              self->client_gone_ = true;
                              self->timer_.cancel();
                            });
  }

  void SendEvent(std::string text, bool last = false) {
    auto body = std::make_shared<std::string>(std::move(text));
    last_send_ = std::chrono::steady_clock::now();
    beast::get_lowest_layer(stream_).expires_after(2 * kEventKeepalive);
    asio::async_write(
        stream_, http::make_chunk(asio::buffer(*body)),
        [self = this->shared_from_this(), body, last](beast::error_code ec, std::size_t) {
          if (ec || self->client_gone_) return;
          if (last) {
            asio::async_write(self->stream_, http::make_chunk_last(),
                              [self](beast::error_code, std::size_t) { self->Close(); });
            return;
          }
          self->timer_.expires_after(kEventPoll);
          self->timer_.async_wait([self](beast::error_code ec) { self->OnEventTimer(ec); });
        });
  }

  void OnEventTimer(beast::error_code ec) {
    if (ec || client_gone_) return;
    std::optional<std::string> v = api_->StudyVersion(event_study_);
    if (!v) {
      return SendEvent(
          "event: gone\ndata: " + nlohmann::json{{"study", event_study_}}.dump() + "\n\n",
          /*last=*/true);
    }
    if (*v != last_version_) {
      last_version_ = *v;
      return SendEvent(VersionEvent(*v));
    }
    if (std::chrono::steady_clock::now() - last_send_ >= kEventKeepalive) {
      return SendEvent(": keepalive\n\n");
    }
    timer_.expires_after(kEventPoll);
    timer_.async_wait(
        [self = this->shared_from_this()](beast::error_code ec) { self->OnEventTimer(ec); });
  }

  void Close() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  HttpApi* api_;
  Shared* shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<void> response_;  // alive until written
  // An /events stream:
  asio::steady_timer timer_;
  bool streaming_ = false;
  bool client_gone_ = false;
  std::string event_study_;
  std::string last_version_;
  std::chrono::steady_clock::time_point last_send_;
  char probe_[64];
};

}  // namespace

struct HttpServer::Impl {
  std::unique_ptr<HttpApi> api;
  Shared shared;
  std::optional<asio::ssl::context> ssl;  // with TLS
  asio::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::string address;
  std::once_flag shutdown_once;

  void Accept() {
    acceptor->async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
      if (!ec && ssl) {
        std::make_shared<Session<TlsStream>>(TlsStream(std::move(s), *ssl), &shared)->Run();
      } else if (!ec) {
        std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(s)), &shared)
            ->Run();
      }
      Accept();
    });
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(StudyApi* service,
                                                              const HttpServerOptions& options) {
  std::string host;
  int port = 0;
  if (absl::Status s = SplitHostPort(options.listen, &host, &port); !s.ok()) return s;
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate and a key file");
  }
  auto impl = std::make_unique<Impl>();
  impl->api = std::make_unique<HttpApi>(service, options.api);
  impl->shared.api = impl->api.get();
  impl->shared.token = options.token;
  impl->shared.tls = !options.tls_cert_file.empty();
  impl->shared.max_event_streams = std::max(0, options.max_event_streams);
  if (impl->shared.tls) {
    auto& ssl = impl->ssl.emplace(asio::ssl::context::tls_server);
    ssl.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
    boost::system::error_code ssl_ec;
    ssl.use_certificate_chain_file(options.tls_cert_file, ssl_ec);
    if (ssl_ec) {
      return absl::InvalidArgumentError(options.tls_cert_file + ": " + ssl_ec.message());
    }
    ssl.use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ssl_ec);
    if (ssl_ec) {
      return absl::InvalidArgumentError(options.tls_key_file + ": " + ssl_ec.message());
    }
  }
  WarnIfExposed(options.listen, !options.token.empty(), "HTTP");

  beast::error_code ec;
  tcp::endpoint endpoint;
  const auto literal = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(literal, static_cast<unsigned short>(port));
  } else {
    tcp::resolver resolver(impl->ioc);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) {
      return absl::InvalidArgumentError("cannot resolve " + host + ": " + ec.message());
    }
    endpoint = results.begin()->endpoint();
  }
  auto& acceptor = impl->acceptor.emplace(impl->ioc);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError("cannot listen on " + options.listen + ": " + ec.message());
  const unsigned short bound = acceptor.local_endpoint().port();
  const bool v6 = endpoint.address().is_v6();
  impl->address = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(bound);
  impl->shared.bound_host = v6 ? "[" + host + "]" : host;
  impl->shared.bound_port = bound;

  impl->Accept();
  Impl* raw = impl.get();
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    raw->threads.emplace_back([raw] { raw->ioc.run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

const std::string& HttpServer::address() const { return impl_->address; }

std::string HttpServer::url() const {
  return (impl_->shared.tls ? "https://" : "http://") + impl_->address + "/";
}

void HttpServer::Shutdown() {
  std::call_once(impl_->shutdown_once, [this] {
    impl_->ioc.stop();
    for (std::thread& t : impl_->threads) t.join();
    impl_->threads.clear();
    beast::error_code ec;
    impl_->acceptor->close(ec);  // no thread runs the io_context any more
  });
}

}  // namespace tuner
