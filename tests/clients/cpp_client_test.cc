// The C++ client against a real server (in process, on an ephemeral port).
#include <google/protobuf/util/message_differencer.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "clients/cpp/tuner_client.h"
#include "tuner/server/server.h"

namespace tuner {
namespace {

const char* kSpec = R"({
  "name": "cpp",
  "objective": {"metric": "loss", "goal": "minimize"},
  "max_trials": 5,
  "parameters": [
    {"name": "lr", "type": "double", "min": 0.0001, "max": 0.1, "scale": "log"},
    {"name": "buckets", "type": "integer", "min": 2, "max": 16},
    {"name": "act", "type": "categorical", "values": ["relu", "tanh"]}
  ]
})";

std::string TempDb(const std::string& name) {
  auto path = std::filesystem::temp_directory_path() /
              ("tuner_" + name + "_" + std::to_string(getpid()) + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  return path.string();
}

struct Fixture {
  std::string db = TempDb("cpp_client");
  std::unique_ptr<Server> server;
  std::unique_ptr<TunerClient> client;
  Fixture() { Restart(); }
  void Restart() {
    client.reset();
    server.reset();
    auto s = Server::Start({.db_path = db, .listen = "127.0.0.1:0"});
    REQUIRE(s.ok());
    server = std::move(*s);
    auto c = TunerClient::Connect(server->address());
    REQUIRE(c.ok());
    client = std::move(*c);
  }
};

v1::ParameterValue D(double d) {
  v1::ParameterValue v;
  v.set_double_value(d);
  return v;
}
v1::ParameterValue I(int64_t i) {
  v1::ParameterValue v;
  v.set_int_value(i);
  return v;
}
v1::ParameterValue S(const std::string& s) {
  v1::ParameterValue v;
  v.set_string_value(s);
  return v;
}

TEST_CASE("Study CRUD over gRPC with canonical codes", "[cpp_client]") {
  Fixture f;
  auto study = f.client->CreateStudy(kSpec);
  REQUIRE(study.ok());
  CHECK(study->name() == "cpp");
  CHECK(f.client->CreateStudy(kSpec).status().code() == absl::StatusCode::kAlreadyExists);
  auto bad = f.client->CreateStudy(R"({"name": "b", "objective": {"metric": "m", "goal": "up"},
      "parameters": [{"name": "x", "type": "double", "min": 5, "max": 1}]})");
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(bad.status().message()).find("parameters[0].max") != std::string::npos);
  CHECK(std::string(bad.status().message()).find("objective.goal") != std::string::npos);
  CHECK(f.client->GetStudy("missing").status().code() == absl::StatusCode::kNotFound);
  auto list = f.client->ListStudies();
  REQUIRE(list.ok());
  CHECK(list->size() == 1);
  CHECK(f.client->DeleteStudy("cpp").ok());
  CHECK(f.client->DeleteStudy("cpp").code() == absl::StatusCode::kNotFound);
  CHECK(f.client->ListStudies()->empty());
}

// The wire carries a study as its JSON text only (there is no proto mirror of
// the format): a study built by a program is JSON too, and faults name their
// JSON path.
TEST_CASE("CreateStudy from JSON built by a program", "[cpp_client]") {
  Fixture f;
  nlohmann::json spec = {{"name", "program-form"},
                         {"objective", {{"metric", "acc"}, {"goal", "maximize"}}},
                         {"max_trials", 3},
                         {"parameters",
                          {{{"name", "units"}, {"type", "discrete"}, {"values", {32, 64}}},
                           {{"name", "zero_min"}, {"type", "double"}, {"min", 0}, {"max", 1}}}}};
  auto study = f.client->CreateStudy(spec.dump());
  REQUIRE(study.ok());
  auto trials = f.client->SuggestTrials("program-form", 1, "w");
  REQUIRE(trials.ok());
  REQUIRE(trials->trials.size() == 1);
  // Whole-number discrete values travel as integers.
  CHECK(trials->trials[0].parameters().at("units").kind_case() == v1::ParameterValue::kIntValue);
  CHECK(trials->trials[0].parameters().at("units").int_value() >= 32);

  nlohmann::json bad = spec;
  bad["name"] = "bad-form";
  bad["parameters"][1].erase("max");
  auto r = f.client->CreateStudy(bad.dump());
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(r.status().message()).find("parameters[1].max") != std::string::npos);
}

TEST_CASE("Trials: suggest, report, stop, complete, best", "[cpp_client]") {
  Fixture f;
  REQUIRE(f.client->CreateStudy(kSpec).ok());
  auto s = f.client->SuggestTrials("cpp", 1, "w1");
  REQUIRE(s.ok());
  REQUIRE(s->trials.size() == 1);
  const v1::Trial t = s->trials[0];
  CHECK(f.client->SuggestTrials("cpp", 1, "w1")->trials[0].id() == t.id());
  CHECK(f.client->SuggestTrials("cpp", 1, "w2")->trials[0].id() != t.id());

  f.client->BindTrial("cpp", t.id());
  auto stop = f.client->Report(1, {{"loss", 0.9}});
  REQUIRE(stop.ok());
  CHECK_FALSE(*stop);
  CHECK_FALSE(*f.client->Report(2, {{"loss", 0.7}}));
  REQUIRE(f.client->StopTrial("cpp", t.id(), "enough").ok());
  CHECK(*f.client->Report(3, {{"loss", 0.6}}));
  auto done = f.client->Complete();
  REQUIRE(done.ok());
  CHECK(done->state() == v1::STOPPED);
  CHECK(done->final_measurement().metrics().at("loss") == 0.6);
  CHECK(done->measurements_size() == 3);

  auto again = f.client->Complete({{"loss", 0.1}});
  CHECK(again.status().code() == absl::StatusCode::kFailedPrecondition);
  auto late = f.client->Report(4, {{"loss", 0.5}});
  CHECK(late.status().code() == absl::StatusCode::kFailedPrecondition);

  auto created =
      f.client->CreateTrial("cpp", {{"lr", D(0.01)}, {"buckets", I(4)}, {"act", S("relu")}});
  REQUIRE(created.ok());
  REQUIRE(f.client->Complete("cpp", created->id(), {{"loss", 0.2}}).ok());
  auto best = f.client->GetBestTrials("cpp");
  REQUIRE(best.ok());
  REQUIRE(best->size() == 1);
  CHECK(best->front().id() == created->id());
  CHECK(best->front().parameters().at("buckets").int_value() == 4);
}

TEST_CASE("Bad input for every RPC gets a canonical code", "[cpp_client]") {
  Fixture f;
  REQUIRE(f.client->CreateStudy(kSpec).ok());
  auto t = f.client->SuggestTrials("cpp", 1, "w")->trials[0];
  using absl::StatusCode;
  CHECK(f.client->SuggestTrials("nope", 1, "w").status().code() == StatusCode::kNotFound);
  CHECK(f.client->SuggestTrials("cpp", 0, "w").status().code() == StatusCode::kInvalidArgument);
  CHECK(f.client->SuggestTrials("", 1, "w").status().code() == StatusCode::kInvalidArgument);
  CHECK(f.client->GetTrial("cpp", 999).status().code() == StatusCode::kNotFound);
  CHECK(f.client->StopTrial("cpp", 999).status().code() == StatusCode::kNotFound);
  CHECK(f.client->Complete("cpp", 999, {{"loss", 1}}).status().code() == StatusCode::kNotFound);
  CHECK(f.client->ListTrials("nope").status().code() == StatusCode::kNotFound);
  CHECK(f.client->GetBestTrials("nope").status().code() == StatusCode::kNotFound);
  CHECK(f.client->Report("cpp", 999, 1, {{"loss", 1}}).status().code() == StatusCode::kNotFound);
  auto nan = f.client->Report("cpp", t.id(), 1, {{"loss", std::nan("")}});
  CHECK(nan.status().code() == StatusCode::kInvalidArgument);
  auto inf = f.client->Complete("cpp", t.id(), {{"loss", std::numeric_limits<double>::infinity()}});
  CHECK(inf.status().code() == StatusCode::kInvalidArgument);
  auto range = f.client->CreateTrial("cpp", {{"lr", D(5)}, {"buckets", I(4)}, {"act", S("relu")}});
  CHECK(range.status().code() == StatusCode::kInvalidArgument);
  CHECK(std::string(range.status().message()).find("parameters.lr") != std::string::npos);
  auto type = f.client->CreateTrial("cpp", {{"lr", S("x")}, {"buckets", I(4)}, {"act", S("relu")}});
  CHECK(type.status().code() == StatusCode::kInvalidArgument);
  auto unset = f.client->CreateTrial("cpp", {{"lr", v1::ParameterValue()}});
  CHECK(unset.status().code() == StatusCode::kInvalidArgument);
  std::string oversized(5 << 20, 'x');
  auto big = f.client->CreateStudy(oversized);
  CHECK(big.status().code() == StatusCode::kResourceExhausted);
  v1::ListTrialsRequest paging;
  paging.set_study("cpp");
  paging.set_page_token("garbage");
  CHECK(f.client->ListTrialsPage(paging).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("ListTrials pages and filters by state", "[cpp_client]") {
  Fixture f;
  REQUIRE(f.client->CreateStudy(kSpec).ok());
  auto s = f.client->SuggestTrials("cpp", 5, "w");
  REQUIRE(s->trials.size() == 5);
  REQUIRE(f.client->Complete("cpp", s->trials[1].id(), {{"loss", 1}}).ok());
  v1::ListTrialsRequest req;
  req.set_study("cpp");
  req.set_page_size(2);
  std::vector<int64_t> ids;
  while (true) {
    auto page = f.client->ListTrialsPage(req);
    REQUIRE(page.ok());
    for (const auto& t : page->trials()) ids.push_back(t.id());
    if (page->next_page_token().empty()) break;
    req.set_page_token(page->next_page_token());
  }
  CHECK(ids == std::vector<int64_t>{1, 2, 3, 4, 5});
  auto completed = f.client->ListTrials("cpp", {v1::COMPLETED});
  REQUIRE(completed.ok());
  REQUIRE(completed->size() == 1);
  CHECK(completed->front().id() == s->trials[1].id());
}

TEST_CASE("Restarting the server on the same file loses nothing", "[cpp_client]") {
  Fixture f;
  REQUIRE(f.client->CreateStudy(kSpec).ok());
  auto s = f.client->SuggestTrials("cpp", 3, "w");
  REQUIRE(s->trials.size() == 3);
  f.client->BindTrial("cpp", s->trials[0].id());
  REQUIRE(f.client->Report(1, {{"loss", 0.5}}).ok());
  REQUIRE(f.client->Complete({{"loss", 0.4}}).ok());
  REQUIRE(f.client->StopTrial("cpp", s->trials[1].id(), "later").ok());
  auto before = f.client->ListTrials("cpp");
  REQUIRE(before.ok());

  f.Restart();
  auto after = f.client->ListTrials("cpp");
  REQUIRE(after.ok());
  REQUIRE(after->size() == before->size());
  for (size_t i = 0; i < after->size(); ++i) {
    CHECK(google::protobuf::util::MessageDifferencer::Equals((*after)[i], (*before)[i]));
  }
  // Running state survives: the client still has its active trial, the stop holds.
  CHECK(f.client->SuggestTrials("cpp", 1, "w")->trials[0].id() == s->trials[2].id());
  CHECK(*f.client->Report("cpp", s->trials[1].id(), 1, {{"loss", 1}}));
}

TEST_CASE("Calls wait for a restarted server; a retried report is stored once",
          "[cpp_client][retry]") {
  Fixture f;
  REQUIRE(f.client->CreateStudy(kSpec).ok());
  const int64_t id = f.client->SuggestTrials("cpp", 1, "w")->trials[0].id();
  REQUIRE(f.client->Report("cpp", id, 1, {{"loss", 0.5}}, "r:1").ok());
  const std::string address = f.server->address();
  f.client.reset();
  f.server.reset();  // the server goes away

  std::vector<absl::Status> waits;
  auto client =
      TunerClient::Connect(address, {.retry_s = 60, .on_wait = [&](const absl::Status& s) {
                                       waits.push_back(s);
                                       return true;
                                     }});
  REQUIRE(client.ok());
  absl::Status restarted;
  std::thread restart([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    auto again = Server::Start({.db_path = f.db, .listen = address});
    restarted = again.status();
    if (again.ok()) f.server = std::move(*again);
  });
  // The report whose answer was "lost" above, sent again while the server is down.
  auto stop = (*client)->Report("cpp", id, 1, {{"loss", 0.5}}, "r:1");
  restart.join();
  REQUIRE(restarted.ok());
  REQUIRE(stop.ok());
  CHECK_FALSE(*stop);
  REQUIRE(waits.size() >= 2);
  CHECK(waits.front().code() == absl::StatusCode::kUnavailable);
  CHECK(waits.back().ok());  // said once the server answered
  auto trial = (*client)->GetTrial("cpp", id);
  REQUIRE(trial.ok());
  CHECK(trial->measurements_size() == 1);
  // Reports without an id of the caller's get the client's own, new ones.
  REQUIRE((*client)->Report("cpp", id, 2, {{"loss", 0.4}}).ok());
  REQUIRE((*client)->Report("cpp", id, 2, {{"loss", 0.4}}).ok());
  CHECK((*client)->GetTrial("cpp", id)->measurements_size() == 3);

  SECTION("after retry_s the call fails, naming the server") {
    f.server.reset();
    auto quick = TunerClient::Connect(address, {.retry_s = 0});
    REQUIRE(quick.ok());
    (*quick)->set_retry_seconds(0.3);  // per call: this one may wait a little
    CHECK((*quick)->retry_seconds() == 0.3);
    auto listed = (*quick)->ListStudies();
    CHECK(listed.status().code() == absl::StatusCode::kUnavailable);
    CHECK_THAT(std::string(listed.status().message()),
               Catch::StartsWith("server " + address + " unreachable for 0 s: "));
  }
  SECTION("on_wait returning false gives up at once") {
    f.server.reset();
    int calls = 0;
    auto impatient =
        TunerClient::Connect(address, {.retry_s = 60, .on_wait = [&](const absl::Status&) {
                                         ++calls;
                                         return false;
                                       }});
    REQUIRE(impatient.ok());
    CHECK((*impatient)->ListStudies().status().code() == absl::StatusCode::kUnavailable);
    CHECK(calls == 1);  // asked once, then no more tries
  }
  SECTION("TUNER_RETRY_S must be a number") {
    setenv("TUNER_RETRY_S", "soon", 1);
    auto bad = TunerClient::Connect(address);
    unsetenv("TUNER_RETRY_S");
    CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(bad.status().message()), Catch::Contains("TUNER_RETRY_S"));
  }
}

}  // namespace
}  // namespace tuner
