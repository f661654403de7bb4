// The dashboard's JSON API: routes over a StudyService with a known study,
// through HttpApi directly and through the HTTP server on a real socket.
#include "tuner/server/http_api.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "storage/sqlite_store.h"
#include "tuner/server/http_server.h"
#include "tuner/server/token_scope.h"
#include "tuner/service/study_service.h"

namespace tuner {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const char* kSpec = R"({
  "name": "web",
  "objective": {"metric": "acc", "goal": "maximize"},
  "algorithm": {"name": "random", "seed": 3},
  "max_trials": 100,
  "parameters": [
    {"name": "lr", "type": "double", "min": 0.001, "max": 1, "scale": "log"},
    {"name": "opt", "type": "categorical", "values": ["adam", "sgd"]},
    {"name": "momentum", "type": "double", "min": 0, "max": 0.9, "when": {"opt": ["sgd"]}}
  ]
})";

// A dashboard directory with an index page, a secret beside it, and the
// charting library where npm puts it.
struct DashboardDir {
  fs::path root;
  DashboardDir() {
    root = fs::temp_directory_path() /
           ("tuner_http_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(root / "www");
    fs::create_directories(root / "node_modules/echarts/dist");
    std::ofstream(root / "www/index.html") << "<!doctype html><title>tuner</title>";
    std::ofstream(root / "www/app.js") << "console.log(1);";
    std::ofstream(root / "www/.hidden") << "no";
    std::ofstream(root / "secret.txt") << "TOP-SECRET-CONTENT";
    std::ofstream(root / "node_modules/echarts/dist/echarts.min.js") << "var echarts={};";
  }
  ~DashboardDir() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

struct Fixture {
  DashboardDir dir;
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service{store.get()};
  HttpApi api{&service, {.dashboard_dir = dir.root.string(), .refresh_interval_s = 0}};

  Fixture() {
    REQUIRE(service.CreateStudy(kSpec).ok());
    // 1: adam, acc 0.5 then 0.75; 2: sgd, best (0.875); 3: failed; 4: stopped.
    Add({{"lr", 0.01}, {"opt", std::string("adam")}}, {0.5, 0.75}, TrialOutcome::Kind::kCompleted);
    Add({{"lr", 0.1}, {"opt", std::string("sgd")}, {"momentum", 0.5}}, {0.625, 0.875},
        TrialOutcome::Kind::kCompleted);
    Add({{"lr", 0.5}, {"opt", std::string("adam")}}, {0.25}, TrialOutcome::Kind::kFailed);
    auto t = service.CreateTrial("web", {{"lr", 0.002}, {"opt", std::string("adam")}}, "");
    REQUIRE(t.ok());
    REQUIRE(service.ReportMeasurement("web", t->id, {.step = 1, .metrics = {{"acc", 0.125}}}).ok());
    REQUIRE(service.StopTrial("web", t->id, "stopped by the test").ok());
    REQUIRE(service.CompleteTrial("web", t->id, TrialOutcome::Completed({})).ok());
  }

  void Add(const Assignment& params, const std::vector<double>& accs, TrialOutcome::Kind kind) {
    auto t = service.CreateTrial("web", params, "client-1");
    REQUIRE(t.ok());
    for (size_t i = 0; i < accs.size(); ++i) {
      Measurement m{.step = static_cast<int64_t>(i + 1),
                    .metrics = {{"acc", accs[i]}, {"loss", 1.0 / (i + 1)}}};
      REQUIRE(service.ReportMeasurement("web", t->id, m).ok());
    }
    TrialOutcome outcome = kind == TrialOutcome::Kind::kFailed
                               ? TrialOutcome::Failed("trainer exited with code 1")
                               : TrialOutcome::Completed({.metrics = {{"acc", accs.back()}}});
    REQUIRE(service.CompleteTrial("web", t->id, outcome).ok());
  }

  HttpResponse Get(const std::string& target, const std::string& etag = "") {
    return api.Handle({.method = "GET", .target = target, .if_none_match = etag});
  }
  json GetJson(const std::string& target, int status = 200) {
    HttpResponse r = Get(target);
    INFO(target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == status);
    REQUIRE(r.content_type == "application/json");
    return json::parse(r.body);
  }
};

std::string Header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST_CASE("GET /api/studies lists studies with counts and best value", "[http_api]") {
  Fixture f;
  json j = f.GetJson("/api/studies");
  REQUIRE(j["studies"].size() == 1);
  const json& s = j["studies"][0];
  CHECK(s["name"] == "web");
  CHECK(s["state"] == "ACTIVE");
  CHECK(s["counts"]["total"] == 4);
  CHECK(s["counts"]["completed"] == 2);
  CHECK(s["counts"]["failed"] == 1);
  CHECK(s["counts"]["stopped"] == 1);
  CHECK(s["best_value"] == 0.875);
  CHECK(s["objectives"][0]["metric"] == "acc");
  CHECK(s["objectives"][0]["goal"] == "maximize");
}

TEST_CASE("GET /api/studies/{s}: summary, best trial, ETag and 304", "[http_api]") {
  Fixture f;
  HttpResponse r = f.Get("/api/studies/web");
  REQUIRE(r.status == 200);
  json j = json::parse(r.body);
  CHECK(j["parameters"].size() == 3);
  CHECK(j["parameters"][0]["name"] == "lr");
  CHECK(j["parameters"][0]["scale"] == "log");
  CHECK(j["parameters"][1]["values"] == json({"adam", "sgd"}));
  CHECK(j["parameters"][2]["when"]["parent"] == "opt");
  CHECK(j["metrics"] == json({"acc"}));
  REQUIRE(j["best"].size() == 1);
  CHECK(j["best"][0]["id"] == 2);
  CHECK(j["best"][0]["metrics"]["acc"] == 0.875);
  CHECK(j["best"][0]["command_line"] == "--lr=0.1 --momentum=0.5 --opt=sgd");
  CHECK(j["spec"]["name"] == "web");
  const std::string etag = Header(r, "ETag");
  CHECK(etag == "\"" + j["version"].get<std::string>() + "\"");

  HttpResponse again = f.Get("/api/studies/web", etag);
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(f.Get("/api/studies/web/columns", etag).status == 304);

  // A new trial changes the version: the ETag no longer matches.
  auto t = f.service.CreateTrial("web", {{"lr", 0.05}, {"opt", std::string("adam")}}, "");
  REQUIRE(t.ok());
  HttpResponse changed = f.Get("/api/studies/web", etag);
  CHECK(changed.status == 200);
  const std::string etag2 = Header(changed, "ETag");
  CHECK(etag2 != etag);
  // ...and so does a measurement of a running trial.
  REQUIRE(f.service.ReportMeasurement("web", t->id, {.step = 1, .metrics = {{"acc", 0.3}}}).ok());
  HttpResponse measured = f.Get("/api/studies/web", etag2);
  CHECK(measured.status == 200);
  json m = json::parse(measured.body);
  CHECK(m["counts"]["active"] == 1);
  json curves = f.GetJson("/api/studies/web/curves");
  CHECK(curves["ids"].back() == t->id);
  CHECK(curves["values"].back() == json({0.3}));
}

TEST_CASE("GET /api/studies/{s}/trials pages, sorts and filters on the server", "[http_api]") {
  Fixture f;
  json all = f.GetJson("/api/studies/web/trials");
  CHECK(all["total"] == 4);
  CHECK(all["matched"] == 4);
  REQUIRE(all["trials"].size() == 4);
  const json& first = all["trials"][0];
  CHECK(first["id"] == 1);
  CHECK(first["state"] == "COMPLETED");
  CHECK(first["params"]["lr"] == 0.01);
  CHECK(first["params"]["opt"] == "adam");
  CHECK_FALSE(first["params"].contains("momentum"));
  CHECK(first["metrics"]["acc"] == 0.75);
  CHECK(first["steps"] == 2);
  CHECK(first["client_id"] == "client-1");
  CHECK(first["origin"] == "user");  // made by CreateTrial
  CHECK(all["trials"][2]["state"] == "FAILED");
  CHECK(all["trials"][2]["reason"] == "trainer exited with code 1");
  CHECK(all["trials"][3]["state"] == "STOPPED");
  CHECK(all["trials"][3]["metrics"]["acc"] == 0.125);

  json page = f.GetJson("/api/studies/web/trials?sort=acc&order=desc&limit=2&offset=0");
  CHECK(page["matched"] == 4);
  REQUIRE(page["trials"].size() == 2);
  CHECK(page["trials"][0]["id"] == 2);
  CHECK(page["trials"][1]["id"] == 1);
  json next = f.GetJson("/api/studies/web/trials?sort=metrics.acc&order=desc&limit=2&offset=2");
  CHECK(next["trials"][0]["id"] == 4);
  CHECK(next["trials"][1]["id"] == 3);  // no value: last

  json failed = f.GetJson("/api/studies/web/trials?state=FAILED,stopped");
  CHECK(failed["matched"] == 2);
  json filtered = f.GetJson("/api/studies/web/trials?filter=lr%3C0.05+opt%3Dadam");
  CHECK(filtered["matched"] == 2);
  CHECK(filtered["trials"][0]["id"] == 1);
  CHECK(filtered["trials"][1]["id"] == 4);

  json e = f.GetJson("/api/studies/web/trials?filter=speed>1", 400);
  CHECK(e["error"]["code"] == "INVALID_ARGUMENT");
  CHECK(e["error"]["message"].get<std::string>().find("speed") != std::string::npos);
  f.GetJson("/api/studies/web/trials?sort=nope", 400);
  f.GetJson("/api/studies/web/trials?limit=0", 400);
  f.GetJson("/api/studies/web/trials?limit=abc", 400);
  f.GetJson("/api/studies/web/trials?offset=-1", 400);
  f.GetJson("/api/studies/web/trials?order=up", 400);
  f.GetJson("/api/studies/web/trials?state=DONE", 400);
  f.GetJson("/api/studies/web/trials?filter=%zz", 400);
}

TEST_CASE("GET one trial, its measurements, and best trials", "[http_api]") {
  Fixture f;
  json t = f.GetJson("/api/studies/web/trials/2");
  CHECK(t["id"] == 2);
  CHECK(t["command_line"] == "--lr=0.1 --momentum=0.5 --opt=sgd");
  REQUIRE(t["measurements"].size() == 2);
  CHECK(t["measurements"][1]["step"] == 2);
  CHECK(t["measurements"][1]["metrics"]["acc"] == 0.875);
  CHECK(t["measurements"][1]["metrics"]["loss"] == 0.5);
  json m = f.GetJson("/api/studies/web/trials/1/measurements");
  CHECK(m["trial"] == 1);
  CHECK(m["measurements"][0]["metrics"]["acc"] == 0.5);
  json best = f.GetJson("/api/studies/web/best");
  REQUIRE(best["best"].size() == 1);
  CHECK(best["best"][0]["id"] == 2);
  f.GetJson("/api/studies/web/trials/99", 404);
  f.GetJson("/api/studies/web/trials/x", 400);
}

TEST_CASE("GET one trial: the exact command and its earlier attempts", "[http_api]") {
  Fixture f;
  json before = f.GetJson("/api/studies/web/trials/3");
  CHECK_FALSE(before.contains("command"));  // no launcher ran it
  CHECK(before["attempts"].empty());
  REQUIRE(f.service.RetryTrials("web", {3}).ok());  // the failed trial, requeued
  REQUIRE(
      f.service.SetTrialRunner("web", 3, "local:42", "python3 train.py --lr=0.5 --opt=adam").ok());
  json t = f.GetJson("/api/studies/web/trials/3");
  CHECK(t["command"] == "python3 train.py --lr=0.5 --opt=adam");
  REQUIRE(t["attempts"].size() == 1);
  CHECK(t["attempts"][0]["number"] == 1);
  CHECK(t["attempts"][0]["outcome"] == "FAILED");
  CHECK(t["attempts"][0]["reason"] == "requeued by hand: trainer exited with code 1");
  CHECK(t["attempts"][0]["reports"] == 1);
  CHECK(t["attempts"][0]["last_step"] == 1);
}

TEST_CASE("GET columns, curves and importance for the plots", "[http_api]") {
  Fixture f;
  json c = f.GetJson("/api/studies/web/columns");
  CHECK(c["ids"] == json({1, 2, 3, 4}));
  CHECK(c["states"] == json({"COMPLETED", "COMPLETED", "FAILED", "STOPPED"}));
  CHECK(c["steps"] == json({2, 2, 1, 1}));
  CHECK(c["params"]["lr"] == json({0.01, 0.1, 0.5, 0.002}));
  CHECK(c["params"]["momentum"] == json({nullptr, 0.5, nullptr, nullptr}));
  CHECK(c["metrics"]["acc"] == json({0.75, 0.875, nullptr, 0.125}));
  CHECK(c["best_ids"] == json({2}));

  json curves = f.GetJson("/api/studies/web/curves");
  CHECK(curves["metric"] == "acc");
  CHECK(curves["ids"] == json({1, 2, 3, 4}));
  CHECK(curves["steps"][0] == json({1, 2}));
  CHECK(curves["values"][1] == json({0.625, 0.875}));
  CHECK(curves["states"][2] == "FAILED");
  json loss = f.GetJson("/api/studies/web/curves?metric=loss");
  CHECK(loss["ids"] == json({1, 2, 3}));
  CHECK(loss["values"][0] == json({1.0, 0.5}));

  json imp = f.GetJson("/api/studies/web/importance");
  CHECK(imp["method"].get<std::string>().find("variance") != std::string::npos);
  CHECK(imp["metric"] == "acc");
  CHECK(imp["trials_used"] == 2);
  CHECK(imp["parameters"].size() == 3);
  // 2 completed trials are far from enough: max(10, 2 x 3 parameters).
  CHECK(imp["min_trials"] == 10);
  CHECK(imp["enough"] == false);
  CHECK_FALSE(imp.contains("excluded"));
}

TEST_CASE("importance leaves Hyperband's budget out; the summary names it", "[http_api]") {
  DashboardDir dir;
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service{store.get()};
  HttpApi api{&service, {.dashboard_dir = dir.root.string(), .refresh_interval_s = 0}};
  REQUIRE(service
              .CreateStudy(R"({"name": "hb", "objective": {"metric": "acc", "goal": "maximize"},
                 "algorithm": {"name": "hyperband", "seed": 1, "eta": 3,
                               "resource": {"name": "epochs", "min": 1, "max": 9}},
                 "max_trials": 100,
                 "parameters": [{"name": "lr", "type": "double", "min": 0.001, "max": 1}]})")
              .ok());
  // The accuracy follows the budget exactly; lr is noise.
  for (int i = 0; i < 12; ++i) {
    const int64_t epochs = i % 3 == 0 ? 1 : i % 3 == 1 ? 3 : 9;
    auto t = service.CreateTrial("hb", {{"lr", 0.01 * (i + 1)}, {"epochs", epochs}}, "");
    REQUIRE(t.ok());
    REQUIRE(service
                .CompleteTrial("hb", t->id,
                               TrialOutcome::Completed({.metrics = {{"acc", 0.1 * epochs}}}))
                .ok());
  }
  HttpResponse r = api.Handle({.target = "/api/studies/hb/importance"});
  REQUIRE(r.status == 200);
  json imp = json::parse(r.body);
  REQUIRE(imp["parameters"].size() == 1);
  CHECK(imp["parameters"][0]["name"] == "lr");
  CHECK(imp["excluded"] == json({"epochs"}));
  CHECK(imp["min_trials"] == 10);
  CHECK(imp["enough"] == true);
  json summary = json::parse(api.Handle({.target = "/api/studies/hb"}).body);
  CHECK(summary["resource"] == "epochs");
}

TEST_CASE("GET a trial's logs: the tail of one rank, only inside the trials directory",
          "[http_api]") {
  DashboardDir dir;
  const fs::path trials = dir.root / "trials";
  const fs::path logs = trials / "web" / "trial-1" / "logs";
  fs::create_directories(logs);
  std::ofstream(logs / "chief-0.log") << "step 1\n<img src=x onerror=alert(1)>\n";
  {
    std::ofstream worker(logs / "worker-1.log");
    for (int i = 0; i < 1000; ++i) worker << "line " << i << "\n";
  }
  std::ofstream(logs / "notes.txt") << "not a rank log";
  fs::create_symlink(dir.root / "secret.txt", logs / "worker-2.log");  // leads out
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service{store.get()};
  HttpApi api{
      &service,
      {.dashboard_dir = dir.root.string(), .refresh_interval_s = 0, .trials_dir = trials.string()}};
  REQUIRE(service.CreateStudy(kSpec).ok());
  REQUIRE(service.CreateTrial("web", {{"lr", 0.01}, {"opt", std::string("adam")}}, "").ok());
  REQUIRE(service.CreateTrial("web", {{"lr", 0.02}, {"opt", std::string("adam")}}, "").ok());
  auto get = [&](const std::string& target) { return api.Handle({.target = target}); };

  HttpResponse chief = get("/api/studies/web/trials/1/logs");
  REQUIRE(chief.status == 200);
  CHECK(chief.headers.end() == std::find_if(chief.headers.begin(), chief.headers.end(),
                                            [](const auto& h) { return h.first == "ETag"; }));
  json c = json::parse(chief.body);
  CHECK(c["rank"] == "chief-0");
  CHECK(c["ranks"] == json({"chief-0", "worker-1", "worker-2"}));
  CHECK(c["text"] == "step 1\n<img src=x onerror=alert(1)>\n");  // as text, JSON-escaped
  CHECK(c["truncated"] == false);

  // The tail, from a whole line on.
  json w = json::parse(get("/api/studies/web/trials/1/logs?rank=worker:1&tail_bytes=20").body);
  CHECK(w["rank"] == "worker-1");
  CHECK(w["truncated"] == true);
  CHECK(w["text"] == "line 998\nline 999\n");
  CHECK(w["size"] == 8890);

  // Nothing outside the trial's own logs.
  CHECK(get("/api/studies/web/trials/1/logs?rank=worker:2").status == 404);  // symlink out
  CHECK(json::parse(get("/api/studies/web/trials/1/logs?rank=worker:2").body)
            .dump()
            .find("TOP-SECRET") == std::string::npos);
  CHECK(get("/api/studies/web/trials/1/logs?rank=../../../secret").status == 400);
  CHECK(get("/api/studies/web/trials/1/logs?rank=chief-0/../../x").status == 400);
  CHECK(get("/api/studies/web/trials/1/logs?rank=notes").status == 400);
  CHECK(get("/api/studies/web/trials/1/logs?rank=ps:3").status == 404);
  CHECK(get("/api/studies/web/trials/1/logs?tail_bytes=0").status == 400);
  CHECK(get("/api/studies/web/trials/1/logs?tail_bytes=99999999").status == 400);
  HttpResponse none = get("/api/studies/web/trials/2/logs");  // no logs (yet)
  CHECK(none.status == 200);
  CHECK(json::parse(none.body)["ranks"] == json::array());
  CHECK(json::parse(none.body)["message"].get<std::string>().find("no logs") == 0);
  CHECK(get("/api/studies/web/trials/9/logs").status == 404);  // no such trial
  CHECK(get("/api/studies/web/trials/..%2F..%2Fx/logs").status == 400);
  // A server that does not know the trial directories says so.
  HttpApi bare{&service, {.dashboard_dir = dir.root.string()}};
  CHECK(bare.Handle({.target = "/api/studies/web/trials/1/logs"}).status == 404);
}

TEST_CASE("errors are JSON with 404, 400 and 405", "[http_api]") {
  Fixture f;
  json e = f.GetJson("/api/studies/nope", 404);
  CHECK(e["error"]["code"] == "NOT_FOUND");
  f.GetJson("/api/studies/nope/trials", 404);
  f.GetJson("/api/studies/web/nothing", 404);
  f.GetJson("/api/other", 404);
  HttpResponse post = f.api.Handle({.method = "POST", .target = "/api/studies"});
  CHECK(post.status == 405);
  CHECK(Header(post, "Allow") == "GET, HEAD");
}

TEST_CASE("static files: the page, the charting library, no way out", "[http_api]") {
  Fixture f;
  HttpResponse index = f.Get("/");
  CHECK(index.status == 200);
  CHECK(index.content_type == "text/html; charset=utf-8");
  CHECK(index.body.find("<title>tuner</title>") != std::string::npos);
  CHECK(f.Get("/app.js").content_type == "text/javascript; charset=utf-8");
  HttpResponse lib = f.Get("/vendor/echarts.min.js");
  CHECK(lib.status == 200);
  CHECK(lib.body == "var echarts={};");
  for (const char* bad : {"/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/.hidden",
                          "/a/../../secret.txt", "/..\\secret.txt", "/nothing.js",
                          "/vendor/../../secret.txt", "/%00"}) {
    INFO(bad);
    HttpResponse r = f.Get(bad);
    CHECK(r.status == 404);
    CHECK(r.body.find("TOP-SECRET") == std::string::npos);
  }
  CHECK(ResolveStaticPath(f.dir.root.string() + "/www", "/index.html") ==
        fs::canonical(f.dir.root / "www/index.html").string());
  CHECK(ResolveStaticPath(f.dir.root.string() + "/www", "/../secret.txt").empty());
  CHECK(ResolveStaticPath(f.dir.root.string() + "/www", "/").empty());
  std::string out;
  CHECK(PercentDecode("a%2Fb+c", true, &out));
  CHECK(out == "a/b c");
  CHECK(PercentDecode("a+b", false, &out));
  CHECK(out == "a+b");
  CHECK_FALSE(PercentDecode("%4", false, &out));
  CHECK_FALSE(PercentDecode("%zz", false, &out));
}

// ------------------------------------------------------------------ socket

// One HTTP/1.1 exchange over a plain socket; returns the raw response.
std::string Exchange(int fd, const std::string& request) {
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  std::string response;
  char buf[65536];
  size_t header_end = std::string::npos, length = 0;
  while (true) {
    if (header_end == std::string::npos) {
      header_end = response.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const size_t at = response.find("Content-Length: ");
        length = at < header_end ? std::stoul(response.substr(at + 16)) : 0;
        if (request.rfind("HEAD", 0) == 0) length = 0;
      }
    }
    if (header_end != std::string::npos && response.size() >= header_end + 4 + length) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  return response;
}

int Connect(const std::string& address) {
  const size_t colon = address.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

std::string Body(const std::string& response) {
  return response.substr(response.find("\r\n\r\n") + 4);
}

TEST_CASE("the HTTP server answers on a socket, with keep-alive", "[http_api]") {
  Fixture f;
  auto server = HttpServer::Start(
      &f.service, {.listen = "127.0.0.1:0", .api = {.dashboard_dir = f.dir.root.string()}});
  REQUIRE(server.ok());
  const std::string address = (*server)->address();
  CHECK(address.rfind("127.0.0.1:", 0) == 0);
  CHECK((*server)->url() == "http://" + address + "/");

  const int fd = Connect(address);
  std::string r1 = Exchange(fd, "GET /api/studies HTTP/1.1\r\nHost: " + address + "\r\n\r\n");
  CHECK(r1.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(r1.find("Content-Type: application/json") != std::string::npos);
  CHECK(json::parse(Body(r1))["studies"][0]["name"] == "web");
  // The same connection serves the next request.
  std::string r2 =
      Exchange(fd, "GET /api/studies/web/trials/2 HTTP/1.1\r\nHost: " + address + "\r\n\r\n");
  CHECK(r2.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(json::parse(Body(r2))["metrics"]["acc"] == 0.875);
  std::string r3 = Exchange(fd, "GET /api/studies/nope HTTP/1.1\r\nHost: " + address + "\r\n\r\n");
  CHECK(r3.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
  std::string r4 = Exchange(fd, "HEAD / HTTP/1.1\r\nHost: " + address + "\r\n\r\n");
  CHECK(r4.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(Body(r4).empty());
  std::string r5 = Exchange(
      fd, "GET /%2e%2e/secret.txt HTTP/1.1\r\nHost: " + address + "\r\nConnection: close\r\n\r\n");
  CHECK(r5.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
  ::close(fd);

  // A garbage request does not take the server down.
  const int bad = Connect(address);
  Exchange(bad, "NONSENSE\r\n\r\n");
  ::close(bad);
  const int fd2 = Connect(address);
  CHECK(Exchange(fd2, "GET / HTTP/1.1\r\nHost: " + address + "\r\n\r\n")
            .rfind("HTTP/1.1 200 OK", 0) == 0);
  ::close(fd2);

  // Without a token, a Host that does not name the server (DNS rebinding)
  // gets 421 with a clear body; localhost with the port is fine.
  const std::string port = address.substr(address.rfind(':') + 1);
  const int fd3 = Connect(address);
  std::string foreign =
      Exchange(fd3, "GET /api/studies HTTP/1.1\r\nHost: evil.example:" + port + "\r\n\r\n");
  CHECK(foreign.rfind("HTTP/1.1 421 Misdirected Request\r\n", 0) == 0);
  CHECK(json::parse(Body(foreign))["error"]["code"] == "MISDIRECTED_REQUEST");
  CHECK(Body(foreign).find("evil.example") != std::string::npos);
  CHECK(Body(foreign).find("studies") == std::string::npos);
  CHECK(Exchange(fd3, "GET /api/studies HTTP/1.1\r\nHost: localhost:" + port + "\r\n\r\n")
            .rfind("HTTP/1.1 200 OK", 0) == 0);
  CHECK(Exchange(fd3, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").rfind("HTTP/1.1 421", 0) ==
        0);  // the wrong port
  ::close(fd3);
  (*server)->Shutdown();
  (*server)->Shutdown();  // idempotent
}

// Reads from fd into *got until it holds `count` occurrences of `needle` (or
// the peer closes, or 10 s pass without data); returns the occurrences seen.
int ReadUntil(int fd, std::string* got, const std::string& needle, int count) {
  timeval tv{.tv_sec = 10, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto occurrences = [&] {
    int n = 0;
    for (size_t at = got->find(needle); at != std::string::npos; at = got->find(needle, at + 1))
      ++n;
    return n;
  };
  char buf[4096];
  while (occurrences() < count) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got->append(buf, static_cast<size_t>(n));
  }
  return occurrences();
}

TEST_CASE("GET /api/studies/{s}/events streams the study's versions", "[http_api]") {
  Fixture f;
  // Through Handle() alone: the first event.
  json summary = f.GetJson("/api/studies/web");
  HttpResponse once = f.Get("/api/studies/web/events");
  CHECK(once.status == 200);
  CHECK(once.content_type == "text/event-stream");
  CHECK(once.body == VersionEvent(summary["version"].get<std::string>()));
  CHECK(once.event_study == "web");
  CHECK(f.Get("/api/studies/nope/events").status == 404);
  CHECK(f.api.StudyVersion("web") == summary["version"].get<std::string>());
  CHECK_FALSE(f.api.StudyVersion("nope").has_value());

  auto server = HttpServer::Start(
      &f.service, {.listen = "127.0.0.1:0",
                   .api = {.dashboard_dir = f.dir.root.string(), .refresh_interval_s = 0},
                   .max_event_streams = 1});
  REQUIRE(server.ok());
  const std::string address = (*server)->address();
  const std::string request =
      "GET /api/studies/web/events HTTP/1.1\r\nHost: " + address + "\r\n\r\n";
  const int fd = Connect(address);
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  std::string stream;
  REQUIRE(ReadUntil(fd, &stream, "event: version", 1) == 1);
  CHECK(stream.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(stream.find("Content-Type: text/event-stream") != std::string::npos);
  CHECK(stream.find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(stream.find(VersionEvent(summary["version"].get<std::string>())) != std::string::npos);

  // One stream at most here: a second one is refused, with a way out.
  const int fd2 = Connect(address);
  std::string refused = Exchange(fd2, request);
  CHECK(refused.rfind("HTTP/1.1 503", 0) == 0);
  CHECK(refused.find("Retry-After: 5") != std::string::npos);
  CHECK(Body(refused).find("poll /api/studies/{s} instead") != std::string::npos);
  ::close(fd2);

  // A report moves the version: the stream says so, with the new version.
  auto t = f.service.CreateTrial("web", {{"lr", 0.3}, {"opt", std::string("adam")}}, "");
  REQUIRE(t.ok());
  REQUIRE(ReadUntil(fd, &stream, "event: version", 2) == 2);
  REQUIRE(f.service.ReportMeasurement("web", t->id, {.step = 1, .metrics = {{"acc", 0.3}}}).ok());
  const std::string after_report = *f.api.StudyVersion("web");
  REQUIRE(ReadUntil(fd, &stream, VersionEvent(after_report), 1) == 1);

  // The client goes away: its slot is freed (the server notices the EOF).
  ::close(fd);
  std::string again;
  for (int i = 0; i < 100; ++i) {
    const int fd3 = Connect(address);
    REQUIRE(::send(fd3, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
    again.clear();
    ReadUntil(fd3, &again, "\r\n\r\n", 1);
    if (again.rfind("HTTP/1.1 200", 0) == 0) {
      // The study is deleted: a last event, and the stream ends.
      REQUIRE(f.service.DeleteStudy("web").ok());
      CHECK(ReadUntil(fd3, &again, "event: gone", 1) == 1);
      CHECK(ReadUntil(fd3, &again, "0\r\n\r\n", 1) == 1);  // the last chunk
      ::close(fd3);
      break;
    }
    ::close(fd3);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(again.rfind("HTTP/1.1 200", 0) == 0);
  (*server)->Shutdown();
}

TEST_CASE("the HTTP server refuses bad addresses", "[http_api]") {
  Fixture f;
  CHECK(HttpServer::Start(&f.service, {.listen = "127.0.0.1"}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(HttpServer::Start(&f.service, {.listen = "127.0.0.1:99999"}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  std::string host;
  int port = -1;
  CHECK(SplitHostPort("[::1]:8080", &host, &port).ok());
  CHECK(host == "::1");
  CHECK(port == 8080);
}

// 10,000 trials: the table's pages and the plots' columns stay fast, and a
// refresh of a live study reads only what changed.
TEST_CASE("10,000 trials: paging and sorting stay fast", "[http_api][perf]") {
  DashboardDir dir;
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service(store.get());
  REQUIRE(service.CreateStudy(kSpec).ok());
  std::vector<Trial> trials;
  for (int i = 0; i < 10000; ++i) {
    Trial t;
    const bool sgd = i % 2;
    t.parameters = {{"lr", 0.001 + (i % 997) * 0.001}, {"opt", std::string(sgd ? "sgd" : "adam")}};
    if (sgd) t.parameters["momentum"] = (i % 9) * 0.1;
    t.state = TrialState::kCompleted;
    for (int s = 1; s <= 5; ++s) {
      t.measurements.push_back({.step = s, .metrics = {{"acc", (i % 1000) / 1000.0 * s / 5}}});
    }
    t.final_measurement = Measurement{.step = 5, .metrics = {{"acc", (i % 1000) / 1000.0}}};
    t.create_time = 1000 + i;
    t.end_time = 1001 + i;
    trials.push_back(std::move(t));
  }
  REQUIRE(store->AddTrials("web", std::move(trials)).ok());
  HttpApi api(&service, {.dashboard_dir = dir.root.string(), .refresh_interval_s = 0});

  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::time_point since) {
    return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
  };
  auto t0 = Clock::now();
  HttpResponse first = api.Handle({.target = "/api/studies/web"});
  REQUIRE(first.status == 200);
  const double load_ms = ms(t0);
  CHECK(json::parse(first.body)["counts"]["total"] == 10000);

  t0 = Clock::now();
  const int kPages = 20;
  for (int p = 0; p < kPages; ++p) {
    HttpResponse r =
        api.Handle({.target = "/api/studies/web/trials?sort=acc&order=desc&limit=50&offset=" +
                              std::to_string(p * 50) + "&filter=opt%3Dsgd"});
    REQUIRE(r.status == 200);
    json j = json::parse(r.body);
    CHECK(j["matched"] == 5000);
    CHECK(j["trials"].size() == 50);
  }
  const double page_ms = ms(t0) / kPages;
  t0 = Clock::now();
  HttpResponse columns = api.Handle({.target = "/api/studies/web/columns"});
  REQUIRE(columns.status == 200);
  const double columns_ms = ms(t0);
  CHECK(json::parse(columns.body)["ids"].size() == 10000);
  WARN("10,000 trials: first load " << load_ms << " ms, a sorted filtered page " << page_ms
                                    << " ms, columns " << columns_ms << " ms, "
                                    << columns.body.size() / 1024 << " KiB");
  // Generous bounds: sanitizers and a busy CI machine are slow.
  CHECK(page_ms < 1000);
  CHECK(columns_ms < 5000);
}

}  // namespace
}  // namespace tuner

namespace tuner {
namespace {

// A service whose store stops answering when told to.
class FlakyService : public StudyService {
 public:
  using StudyService::StudyService;
  bool down = false;
  bool unwritable = false;
  absl::Status ProbeWrite() override {
    if (unwritable) return absl::ResourceExhaustedError("no space left on device");
    return StudyService::ProbeWrite();
  }
  absl::StatusOr<std::vector<Study>> ListStudies() override {
    if (down) return absl::UnavailableError("database is locked");
    return StudyService::ListStudies();
  }
};

TEST_CASE("GET /healthz and /metrics", "[http_api]") {
  DashboardDir dir;
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  FlakyService service(store.get());
  HttpApi api{&service, {.dashboard_dir = dir.root.string(), .refresh_interval_s = 0}};
  REQUIRE(service.CreateStudy(kSpec).ok());
  auto t = service.CreateTrial("web", {{"lr", 0.01}, {"opt", std::string("adam")}}, "");
  REQUIRE(t.ok());
  REQUIRE(service.CreateTrial("web", {{"lr", 0.02}, {"opt", std::string("adam")}}, "").ok());
  REQUIRE(service.CompleteTrial("web", t->id, TrialOutcome::Completed({.metrics = {{"acc", 0.5}}}))
              .ok());
  api.metrics().RecordRpc("SuggestTrials", 0, 0.003);
  api.metrics().RecordMessage("ReportMetrics");
  api.metrics().RecordMessage("ReportMetrics");

  HttpResponse health = api.Handle({.target = "/healthz"});
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  HttpResponse m = api.Handle({.target = "/metrics"});
  CHECK(m.status == 200);
  CHECK(m.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(m.body.find("tuner_studies{state=\"ACTIVE\"} 1\n") != std::string::npos);
  CHECK(m.body.find("tuner_trials{state=\"COMPLETED\"} 1\n") != std::string::npos);
  CHECK(m.body.find("tuner_trials{state=\"ACTIVE\"} 1\n") != std::string::npos);
  CHECK(m.body.find("tuner_trials{state=\"FAILED\"} 0\n") != std::string::npos);
  CHECK(m.body.find("tuner_reports_received_total 2\n") != std::string::npos);
  CHECK(m.body.find("tuner_grpc_requests_total{method=\"SuggestTrials\",code=\"OK\"} 1\n") !=
        std::string::npos);
  CHECK(m.body.find("tuner_grpc_request_duration_seconds_bucket{method=\"SuggestTrials\","
                    "le=\"0.0025\"} 0\n") != std::string::npos);
  CHECK(m.body.find("tuner_grpc_request_duration_seconds_bucket{method=\"SuggestTrials\","
                    "le=\"0.005\"} 1\n") != std::string::npos);
  CHECK(m.body.find("tuner_store_up 1\n") != std::string::npos);
  // No label names a study or a trial.
  CHECK(m.body.find("web") == std::string::npos);

  HttpResponse ready = api.Handle({.target = "/readyz"});
  CHECK(ready.status == 200);
  CHECK(ready.body == "ready\n");

  service.unwritable = true;
  HttpResponse not_ready = api.Handle({.target = "/readyz"});
  CHECK(not_ready.status == 503);
  CHECK(not_ready.body == "not ready: the store does not take writes: no space left on device\n");
  CHECK(api.Handle({.target = "/healthz"}).status == 200);  // alive all the same

  service.down = true;
  HttpResponse sick = api.Handle({.target = "/healthz"});
  CHECK(sick.status == 503);
  CHECK(sick.body.find("database is locked") != std::string::npos);
  HttpResponse m2 = api.Handle({.target = "/metrics"});
  CHECK(m2.status == 200);
  CHECK(m2.body.find("tuner_store_up 0\n") != std::string::npos);
}

TEST_CASE("ServerMetrics: bounded method labels, storage errors", "[http_api]") {
  ServerMetrics metrics;
  for (int i = 0; i < 100; ++i) metrics.RecordRpc("Method" + std::to_string(i), 0, 0.001);
  metrics.RecordRpc("CompleteTrial", 8, 0.001);  // RESOURCE_EXHAUSTED: disk full
  metrics.RecordHttp("api", 503, 0.001);
  metrics.RecordHttp("api", 200, 0.001);
  const std::string text = metrics.Render();
  CHECK(text.find("method=\"Method63\"") != std::string::npos);
  CHECK(text.find("method=\"Method64\"") == std::string::npos);
  CHECK(text.find("tuner_grpc_requests_total{method=\"other\",code=\"OK\"} 36\n") !=
        std::string::npos);
  CHECK(text.find("tuner_grpc_requests_total{method=\"other\",code=\"RESOURCE_EXHAUSTED\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("tuner_storage_errors_total 2\n") != std::string::npos);
  CHECK(PrometheusLabel("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

TEST_CASE("GET a trial's artifacts: its recorded files, scoped like the trial", "[http_api]") {
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service{store.get()};
  HttpApi api{&service, {.refresh_interval_s = 0}};
  REQUIRE(service.CreateStudy(kSpec).ok());
  REQUIRE(service.CreateTrial("web", {{"lr", 0.01}, {"opt", std::string("adam")}}, "").ok());
  auto logged = service.LogArtifacts("web", 1,
                                     {{.path = "artifacts/model/w.bin",
                                       .kind = "model",
                                       .size = 3,
                                       .sha256 = std::string(64, 'c'),
                                       .rank = "chief-0",
                                       .attempt = 0}});
  REQUIRE(logged.ok());
  HttpResponse r = api.Handle({.target = "/api/studies/web/trials/1/artifacts"});
  REQUIRE(r.status == 200);
  json body = json::parse(r.body);
  REQUIRE(body["artifacts"].size() == 1);
  CHECK(body["artifacts"][0]["path"] == "artifacts/model/w.bin");
  CHECK(body["artifacts"][0]["kind"] == "model");
  CHECK(body["artifacts"][0]["rank"] == "chief-0");
  CHECK(body["artifacts"][0]["attempt"] == 1);
  CHECK(body["artifacts"][0]["removed"] == false);
  CHECK(api.Handle({.target = "/api/studies/web/trials/9/artifacts"}).status == 404);
  CHECK(api.Handle({.target = "/api/studies/web/trials/x/artifacts"}).status == 400);
  // A trial token reads its own trial's files only.
  HttpScope scope = ScopeOfHttpTarget("/api/studies/web/trials/1/artifacts");
  CHECK(scope.action == Action::kReadTrial);
  CHECK(scope.trial_id == 1);
  CHECK(Authorize({.role = Role::kTrial, .studies = {"web"}, .trial_id = 2}, scope.action,
                  scope.study, scope.trial_id)
            .code() == absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace tuner
