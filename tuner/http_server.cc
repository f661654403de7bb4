// The only file that includes Boost.Beast (its headers are heavy).
#include "tuner/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

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

// One connection: read a request, answer it, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpApi* api) : stream_(std::move(socket)), api_(api) {}

  void Run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(64 * 1024);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
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
    HttpResponse answer;
    try {
      answer = api_->Handle(request);
    } catch (const std::exception& e) {
      answer.status = 500;
      answer.body = std::string(R"({"error":{"code":"INTERNAL","message":"internal error"}})");
      spdlog::error("http: {} {}: {}", request.method, request.target, e.what());
    }
    spdlog::debug("http: {} {} -> {}", request.method, request.target, answer.status);

    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(answer.status), req.version());
    res->set(http::field::server, "tuner");
    if (!answer.content_type.empty()) res->set(http::field::content_type, answer.content_type);
    res->set("X-Content-Type-Options", "nosniff");
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
        beast::bind_front_handler(&Session::OnWrite, shared_from_this(), res->keep_alive()));
  }

  void OnWrite(bool keep_alive, beast::error_code ec, std::size_t) {
    response_.reset();
    if (ec) return;
    if (!keep_alive) return Close();
    Read();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  HttpApi* api_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<void> response_;  // alive until written
};

}  // namespace

struct HttpServer::Impl {
  std::unique_ptr<HttpApi> api;
  asio::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::string address;
  std::once_flag shutdown_once;

  void Accept() {
    acceptor->async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
      if (!ec) std::make_shared<Session>(std::move(s), api.get())->Run();
      Accept();
    });
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(StudyService* service,
                                                              const HttpServerOptions& options) {
  std::string host;
  int port = 0;
  if (absl::Status s = SplitHostPort(options.listen, &host, &port); !s.ok()) return s;
  auto impl = std::make_unique<Impl>();
  impl->api = std::make_unique<HttpApi>(service, options.api);

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

  impl->Accept();
  Impl* raw = impl.get();
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    raw->threads.emplace_back([raw] { raw->ioc.run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

const std::string& HttpServer::address() const { return impl_->address; }

std::string HttpServer::url() const { return "http://" + impl_->address + "/"; }

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
