// TLS and bearer tokens (docs/security.md): the gRPC server and the C++
// client, the HTTP dashboard server with a small Beast client, and the
// helpers of tuner/auth.h. Certificates are made at test time with openssl.
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "clients/cpp/tuner_client.h"
#include "tuner/server/auth.h"
#include "tuner/server/http_server.h"
#include "tuner/server/server.h"
#include "tuner/server/token_scope.h"

namespace tuner {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr const char* kToken = "s3cret-token-for-tests";

// A fresh directory with token.txt, cert.pem and key.pem (self-signed for
// 127.0.0.1 and localhost).
struct Secrets {
  std::filesystem::path dir;
  std::string token_file, cert, key;

  Secrets() {
    dir = std::filesystem::temp_directory_path() / ("tuner_security_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    token_file = (dir / "token.txt").string();
    cert = (dir / "cert.pem").string();
    key = (dir / "key.pem").string();
    std::ofstream(token_file) << kToken << "\n# comment lines after the first are ignored\n";
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout '" + key + "' -out '" + cert +
        "' -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost -days 1 "
        ">/dev/null 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
  }
  ~Secrets() { std::filesystem::remove_all(dir); }
  std::string Db() const { return (dir / "tuner.db").string(); }
};

absl::StatusCode ListCode(const std::string& address, const ConnectOptions& options) {
  auto client = TunerClient::Connect(address, options);
  REQUIRE(client.ok());
  return (*client)->ListStudies().status().code();
}

struct Fetched {
  int status = 0;  // 0 = no HTTP answer
  std::map<std::string, std::string> headers;
  std::string body;
};

// One GET; `ca_file` non-empty = HTTPS, verifying the server against it.
Fetched Fetch(const std::string& address, const std::string& target,
              const std::map<std::string, std::string>& headers, const std::string& ca_file = "") {
  std::string host;
  int port = 0;
  REQUIRE(SplitHostPort(address, &host, &port).ok());
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address(host), static_cast<unsigned short>(port)));
  http::request<http::empty_body> req(http::verb::get, target, 11);
  req.set(http::field::host, address);
  for (const auto& [name, value] : headers) req.set(name, value);
  req.keep_alive(false);
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  beast::error_code ec;
  Fetched out;
  if (ca_file.empty()) {
    http::write(socket, req, ec);
    if (!ec) http::read(socket, buffer, res, ec);
  } else {
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file(ca_file);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    asio::ssl::stream<tcp::socket&> tls(socket, ctx);
    tls.set_verify_callback(asio::ssl::host_name_verification(host));
    tls.handshake(asio::ssl::stream_base::client, ec);
    if (!ec) http::write(tls, req, ec);
    if (!ec) http::read(tls, buffer, res, ec);
  }
  if (ec) return out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res)
    out.headers[std::string(field.name_string())] = std::string(field.value());
  out.body = res.body();
  return out;
}

TEST_CASE("auth helpers") {
  CHECK(TokensEqual("abc", "abc"));
  CHECK_FALSE(TokensEqual("abc", "abd"));
  CHECK_FALSE(TokensEqual("abc", "abcd"));
  CHECK_FALSE(TokensEqual("", "a"));
  CHECK(BearerMatches("Bearer abc", "abc"));
  CHECK(BearerMatches("bearer  abc ", "abc"));
  CHECK_FALSE(BearerMatches("Bearer abd", "abc"));
  CHECK_FALSE(BearerMatches("Basic abc", "abc"));
  CHECK_FALSE(BearerMatches("Bearer ", ""));
  CHECK(CookieValue("a=1; tuner_token=xyz; b=2", kTokenCookie) == "xyz");
  CHECK(CookieValue("a=1", kTokenCookie).empty());
  CHECK(IsLoopbackHost("127.0.0.1"));
  CHECK(IsLoopbackHost("[::1]"));
  CHECK(IsLoopbackHost("localhost"));
  CHECK_FALSE(IsLoopbackHost("0.0.0.0"));
  CHECK_FALSE(IsLoopbackHost("10.1.2.3"));
  CHECK(WarnIfExposed("0.0.0.0:50051", false, "gRPC"));
  CHECK_FALSE(WarnIfExposed("0.0.0.0:50051", true, "gRPC"));
  CHECK_FALSE(WarnIfExposed("127.0.0.1:50051", false, "gRPC"));
}

TEST_CASE("token files") {
  Secrets secrets;
  auto token = ReadTokenFile(secrets.token_file);
  REQUIRE(token.ok());
  CHECK(*token == kToken);
  CHECK(ReadTokenFile((secrets.dir / "missing").string()).status().code() ==
        absl::StatusCode::kNotFound);
  const std::string empty = (secrets.dir / "empty.txt").string();
  std::ofstream(empty) << "\n";
  CHECK(ReadTokenFile(empty).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Server::Start({.db_path = secrets.Db(), .token_file = empty}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(Server::Start({.db_path = secrets.Db(), .tls_cert_file = secrets.cert}).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("gRPC with a token refuses calls without it") {
  Secrets secrets;
  auto server = Server::Start(
      {.db_path = secrets.Db(), .listen = "127.0.0.1:0", .token_file = secrets.token_file});
  REQUIRE(server.ok());
  const std::string address = (*server)->address();
  CHECK(ListCode(address, {}) == absl::StatusCode::kUnauthenticated);
  CHECK(ListCode(address, {.token = "wrong"}) == absl::StatusCode::kUnauthenticated);
  CHECK(ListCode(address, {.token = std::string(kToken) + "x"}) ==
        absl::StatusCode::kUnauthenticated);
  CHECK(ListCode(address, {.token = kToken}) == absl::StatusCode::kOk);

  // The ReportMetrics stream too.
  auto anonymous = TunerClient::Connect(address);
  REQUIRE(anonymous.ok());
  CHECK((*anonymous)->Report("s", 1, 1, {{"loss", 1.0}}).status().code() ==
        absl::StatusCode::kUnauthenticated);
  auto client = TunerClient::Connect(address, {.token = kToken});
  REQUIRE(client.ok());
  CHECK((*client)->Report("s", 1, 1, {{"loss", 1.0}}).status().code() ==
        absl::StatusCode::kNotFound);  // past authentication

  // FromEnvironment reads TUNER_TOKEN.
  setenv("TUNER_ENDPOINT", address.c_str(), 1);
  setenv("TUNER_TOKEN", kToken, 1);
  auto from_env = TunerClient::FromEnvironment();
  unsetenv("TUNER_ENDPOINT");
  unsetenv("TUNER_TOKEN");
  REQUIRE(from_env.ok());
  CHECK((*from_env)->ListStudies().ok());
}

TEST_CASE("Roles: every RPC and dashboard route against admin, worker and trial tokens") {
  Secrets secrets;
  auto server = Server::Start({.db_path = secrets.Db(),
                               .listen = "127.0.0.1:0",
                               .http_listen = "127.0.0.1:0",
                               .token_file = secrets.token_file});
  REQUIRE(server.ok());
  const std::string address = (*server)->address();
  const std::string spec = R"({"name": "NAME", "objective": {"metric": "loss", "goal": "minimize"},
    "max_trials": 10, "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})";
  auto spec_of = [&](const std::string& name) {
    std::string text = spec;
    return text.replace(text.find("NAME"), 4, name);
  };
  auto admin = *TunerClient::Connect(address, {.token = kToken});
  REQUIRE(admin->CreateStudy(spec_of("a")).ok());
  REQUIRE(admin->CreateStudy(spec_of("c")).ok());
  const int64_t mine = admin->SuggestTrials("a", 1, "launcher")->trials[0].id();
  const int64_t other = admin->SuggestTrials("a", 1, "someone")->trials[0].id();

  const std::map<std::string, std::string> tokens = {{"admin", kToken},
                                                     {"worker", MintWorkerToken(kToken, {"a"})},
                                                     {"trial", MintTrialToken(kToken, "a", mine)}};
  using Code = absl::StatusCode;
  constexpr Code kOk = Code::kOk, kNo = Code::kPermissionDenied;
  struct Rpc {
    std::string name;
    std::function<absl::Status(TunerClient&)> call;
    Code admin, worker, trial;
  };
  const std::vector<Rpc> rpcs = {
      {"CreateStudy", [&](TunerClient& c) { return c.CreateStudy(spec_of("new"), true).status(); },
       kOk, kNo, kNo},
      {"GetStudy a", [](TunerClient& c) { return c.GetStudy("a").status(); }, kOk, kOk, kOk},
      {"GetStudy c", [](TunerClient& c) { return c.GetStudy("c").status(); }, kOk, kNo, kNo},
      {"ListStudies", [](TunerClient& c) { return c.ListStudies().status(); }, kOk, kNo, kNo},
      {"SuggestTrials a",
       [](TunerClient& c) { return c.SuggestTrials("a", 1, "launcher").status(); }, kOk, kOk, kNo},
      {"SuggestTrials c", [](TunerClient& c) { return c.SuggestTrials("c", 1, "w").status(); }, kOk,
       kNo, kNo},
      {"CreateTrial a",
       [](TunerClient& c) {
         v1::ParameterValue x;
         x.set_double_value(0.5);
         return c.CreateTrial("a", {{"x", x}}).status();
       },
       kOk, kOk, kNo},
      {"GetTrial own", [&](TunerClient& c) { return c.GetTrial("a", mine).status(); }, kOk, kOk,
       kOk},
      {"GetTrial other", [&](TunerClient& c) { return c.GetTrial("a", other).status(); }, kOk, kOk,
       kNo},
      {"ReportMetrics own",
       [&](TunerClient& c) {
         return c.Report("a", mine, 1, {{"loss", 1}}).status();
       },
       kOk, kOk, kOk},
      {"ReportMetrics other",
       [&](TunerClient& c) {
         return c.Report("a", other, 1, {{"loss", 1}}).status();
       },
       kOk, kOk, kNo},
      {"Heartbeat own", [&](TunerClient& c) { return c.Heartbeat("a", mine).status(); }, kOk, kOk,
       kOk},
      {"Heartbeat other", [&](TunerClient& c) { return c.Heartbeat("a", other).status(); }, kOk,
       kOk, kNo},
      {"SetTrialRunner", [&](TunerClient& c) { return c.SetTrialRunner("a", mine, "x").status(); },
       kOk, kOk, kNo},
      {"ListTrials a", [](TunerClient& c) { return c.ListTrials("a").status(); }, kOk, kOk, kNo},
      {"ListTrials c", [](TunerClient& c) { return c.ListTrials("c").status(); }, kOk, kNo, kNo},
      {"GetBestTrials a", [](TunerClient& c) { return c.GetBestTrials("a").status(); }, kOk, kOk,
       kNo},
      {"StopTrial other", [&](TunerClient& c) { return c.StopTrial("a", other, "r").status(); },
       kOk, kOk, kNo},
      {"CompleteTrial own",
       [&](TunerClient& c) {
         return c.Complete("a", mine, {{"loss", 0.5}}).status();
       },
       kOk, kOk, kOk},
      {"RetryTrials a", [&](TunerClient& c) { return c.RetryTrials("a", {other}).status(); }, kOk,
       kOk, kNo},
      {"RetryTrials c", [](TunerClient& c) { return c.RetryTrials("c", {}).status(); }, kOk, kNo,
       kNo},
      {"StopStudy c", [](TunerClient& c) { return c.StopStudy("c").status(); }, kOk, kNo, kNo},
      {"DeleteStudy c", [](TunerClient& c) { return c.DeleteStudy("c"); }, kOk, kNo, kNo},
  };
  // Least rights first, so that the admin's changes (deleting c) come last.
  for (const std::string role : {"trial", "worker", "admin"}) {
    auto client = TunerClient::Connect(address, {.token = tokens.at(role)});
    REQUIRE(client.ok());
    for (const Rpc& rpc : rpcs) {
      const Code want = role == "admin" ? rpc.admin : role == "worker" ? rpc.worker : rpc.trial;
      INFO(role << " token: " << rpc.name);
      // Allowed calls may still fail for their own reasons (the trial was
      // completed by an earlier role's turn); only refusals are compared.
      const absl::Status got = rpc.call(**client);
      CHECK((got.code() == kNo) == (want == kNo));
      CHECK(got.code() != Code::kUnauthenticated);
      if (want == kNo) CHECK_THAT(std::string(got.message()), Catch::Contains("token may only"));
    }
  }

  // The dashboard's routes.
  const std::string url = (*server)->http_url();
  const std::string http_address = url.substr(7, url.size() - 8);
  struct Route {
    std::string target;
    int admin, worker, trial;
  };
  const std::string own = "/api/studies/a/trials/" + std::to_string(mine);
  const std::vector<Route> routes = {
      {"/", 200, 200, 200},
      {"/api/studies", 200, 403, 403},
      {"/api/studies/a", 200, 200, 200},
      {"/api/studies/new", 200, 403, 403},
      {"/api/studies/a/trials", 200, 200, 403},
      {"/api/studies/a/columns", 200, 200, 403},
      {"/api/studies/a/curves?metric=loss", 200, 200, 403},
      {"/api/studies/a/importance?metric=loss", 200, 200, 403},
      {"/api/studies/a/best", 200, 200, 403},
      {own, 200, 200, 200},
      {own + "/measurements", 200, 200, 200},
      {"/api/studies/a/trials/" + std::to_string(other), 200, 200, 403},
  };
  for (const std::string role : {"admin", "worker", "trial"}) {
    for (const Route& route : routes) {
      INFO(role << " token: GET " << route.target);
      const int want = role == "admin"    ? route.admin
                       : role == "worker" ? route.worker
                                          : route.trial;
      const Fetched got =
          Fetch(http_address, route.target, {{"Authorization", "Bearer " + tokens.at(role)}});
      CHECK(got.status == want);
      if (want == 403) CHECK(got.body.find("PERMISSION_DENIED") != std::string::npos);
    }
  }
  // A minted token works as the dashboard's cookie too, with the same limits.
  CHECK(Fetch(http_address, "/api/studies/a", {{"Cookie", "tuner_token=" + tokens.at("worker")}})
            .status == 200);
  CHECK(Fetch(http_address, "/api/studies", {{"Cookie", "tuner_token=" + tokens.at("worker")}})
            .status == 403);
}

TEST_CASE("gRPC with TLS") {
  Secrets secrets;
  auto server = Server::Start({.db_path = secrets.Db(),
                               .listen = "127.0.0.1:0",
                               .tls_cert_file = secrets.cert,
                               .tls_key_file = secrets.key,
                               .token_file = secrets.token_file});
  REQUIRE(server.ok());
  const std::string address = (*server)->address();
  // Plain text to the TLS port: refused, even with the right token.
  const absl::StatusCode plain = ListCode(address, {.token = kToken, .retry_s = 0});
  CHECK(plain != absl::StatusCode::kOk);
  CHECK(plain == absl::StatusCode::kUnavailable);
  CHECK(ListCode(address, {.ca_file = secrets.cert, .token = kToken}) == absl::StatusCode::kOk);
  CHECK(ListCode(address, {.ca_file = secrets.cert}) == absl::StatusCode::kUnauthenticated);
  CHECK(ListCode(address, {.ca_file = secrets.cert, .token = "wrong"}) ==
        absl::StatusCode::kUnauthenticated);
  CHECK(TunerClient::Connect(address, {.ca_file = (secrets.dir / "none.pem").string()})
            .status()
            .code() == absl::StatusCode::kNotFound);
}

TEST_CASE("HTTP with a token") {
  Secrets secrets;
  auto server = Server::Start({.db_path = secrets.Db(),
                               .listen = "127.0.0.1:0",
                               .http_listen = "127.0.0.1:0",
                               .token_file = secrets.token_file});
  REQUIRE(server.ok());
  const std::string url = (*server)->http_url();
  const std::string address = url.substr(7, url.size() - 8);  // http://A/

  Fetched none = Fetch(address, "/api/studies", {});
  CHECK(none.status == 401);
  CHECK(none.body.find("UNAUTHENTICATED") != std::string::npos);
  CHECK(Fetch(address, "/", {}).status == 401);  // static files too
  CHECK(Fetch(address, "/api/studies", {{"Authorization", "Bearer wrong"}}).status == 401);
  CHECK(Fetch(address, "/api/studies", {{"Cookie", "tuner_token=wrong"}}).status == 401);
  CHECK(Fetch(address, "/api/studies?token=wrong", {}).status == 401);

  Fetched ok = Fetch(address, "/api/studies", {{"Authorization", std::string("Bearer ") + kToken}});
  CHECK(ok.status == 200);
  CHECK(Fetch(address, "/api/studies", {{"Cookie", std::string("a=b; tuner_token=") + kToken}})
            .status == 200);

  // ?token= sets the cookie and redirects to the page without the token.
  Fetched visit = Fetch(address, std::string("/?x=1&token=") + kToken, {});
  CHECK(visit.status == 302);
  CHECK(visit.headers["Location"] == "/?x=1");
  CHECK(visit.headers["Set-Cookie"].find(std::string("tuner_token=") + kToken) == 0);
  CHECK(visit.headers["Set-Cookie"].find("HttpOnly") != std::string::npos);

  // /healthz is a liveness probe: no token. /metrics needs it (Prometheus
  // sends it with `authorization: {credentials_file: ...}`).
  Fetched health = Fetch(address, "/healthz", {});
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  Fetched ready = Fetch(address, "/readyz", {});  // a readiness probe: no token either
  CHECK(ready.status == 200);
  CHECK(ready.body == "ready\n");
  CHECK(Fetch(address, "/metrics", {}).status == 401);
  auto client = TunerClient::Connect((*server)->address(), {.token = kToken});
  REQUIRE(client.ok());
  REQUIRE((*client)->ListStudies().ok());
  Fetched metrics =
      Fetch(address, "/metrics", {{"Authorization", std::string("Bearer ") + kToken}});
  CHECK(metrics.status == 200);
  CHECK(metrics.headers["Content-Type"].rfind("text/plain; version=0.0.4", 0) == 0);
  // The gRPC call above and the HTTP requests before this one are counted.
  CHECK(metrics.body.find("tuner_grpc_requests_total{method=\"ListStudies\",code=\"OK\"} 1\n") !=
        std::string::npos);
  CHECK(metrics.body.find("tuner_http_requests_total{route=\"api\",status=\"401\"} 4\n") !=
        std::string::npos);
  CHECK(metrics.body.find("tuner_http_requests_total{route=\"healthz\",status=\"200\"} 1\n") !=
        std::string::npos);
  CHECK(metrics.body.find("tuner_http_requests_total{route=\"readyz\",status=\"200\"} 1\n") !=
        std::string::npos);
  CHECK(metrics.body.find("tuner_store_up 1\n") != std::string::npos);
}

TEST_CASE("HTTP with TLS") {
  Secrets secrets;
  auto server = Server::Start({.db_path = secrets.Db(),
                               .listen = "127.0.0.1:0",
                               .http_listen = "127.0.0.1:0",
                               .tls_cert_file = secrets.cert,
                               .tls_key_file = secrets.key,
                               .token_file = secrets.token_file});
  INFO(server.status().message());
  REQUIRE(server.ok());
  const std::string url = (*server)->http_url();
  REQUIRE(url.rfind("https://", 0) == 0);
  const std::string address = url.substr(8, url.size() - 9);  // https://A/
  const std::map<std::string, std::string> auth = {
      {"Authorization", std::string("Bearer ") + kToken}};

  CHECK(Fetch(address, "/api/studies", auth, secrets.cert).status == 200);
  CHECK(Fetch(address, "/api/studies", {}, secrets.cert).status == 401);
  CHECK(Fetch(address, "/api/studies", auth).status == 0);  // plain text: no answer
  // The cookie is Secure over HTTPS.
  Fetched visit = Fetch(address, std::string("/?token=") + kToken, {}, secrets.cert);
  CHECK(visit.status == 302);
  CHECK(visit.headers["Set-Cookie"].find("Secure") != std::string::npos);
}

TEST_CASE("HTTP without a token still serves") {
  Secrets secrets;
  auto server = Server::Start(
      {.db_path = secrets.Db(), .listen = "127.0.0.1:0", .http_listen = "127.0.0.1:0"});
  REQUIRE(server.ok());
  const std::string url = (*server)->http_url();
  const std::string address = url.substr(7, url.size() - 8);
  CHECK(Fetch(address, "/api/studies", {}).status == 200);
  CHECK(Fetch(address, "/metrics", {}).status == 200);
  CHECK(Fetch(address, "/healthz", {}).status == 200);
  // ... but only to a Host that names it (DNS-rebinding defence).
  Fetched foreign = Fetch(address, "/api/studies", {{"Host", "evil.example"}});
  CHECK(foreign.status == 421);
  CHECK(foreign.body.find("MISDIRECTED_REQUEST") != std::string::npos);
  CHECK(foreign.headers["Content-Security-Policy"].find("script-src 'self'") != std::string::npos);
}

}  // namespace
}  // namespace tuner
