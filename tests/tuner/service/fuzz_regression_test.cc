// Bad requests to the StudyService, as fuzz/service_request_fuzzer sends
// them: each gets a defined canonical error whose message names the field
// and says nothing about the server's internals. Inputs that a fuzzer found
// to crash or misbehave are added here, named after what they found.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "storage/sqlite_store.h"
#include "tuner/service/study_service.h"

namespace tuner {
namespace {

const char* kSpec = R"({"name": "s", "objective": {"metric": "acc", "goal": "maximize"},
  "max_trials": 20,
  "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1},
                 {"name": "opt", "type": "categorical", "values": ["adam", "sgd"]}]})";

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Fixture {
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service{store.get()};
  int64_t trial = 0;
  Fixture() {
    REQUIRE(service.CreateStudy(kSpec).ok());
    auto s = service.SuggestTrials("s", 1, "c");
    REQUIRE(s.ok());
    trial = s->trials.at(0).id;
  }
};

// The message is the client's: no storage engine, no paths, no C++ names.
void RequireClean(const absl::Status& status) {
  const std::string m(status.message());
  for (const char* leak :
       {"sqlite", "SQLITE", "constraint", "/tmp/", ".cc", "std::", "exception", "json."}) {
    INFO(m);
    REQUIRE(m.find(leak) == std::string::npos);
  }
}

void RequireInvalid(const absl::Status& status, const std::string& mentions) {
  INFO(status.ToString());
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(std::string(status.message()).find(mentions) != std::string::npos);
  RequireClean(status);
}

TEST_CASE("non-finite metric values are refused, naming the metric") {
  Fixture f;
  for (double v : {kNaN, kInf, -kInf}) {
    auto r = f.service.ReportMeasurement("s", f.trial, {.step = 1, .metrics = {{"acc", v}}});
    RequireInvalid(r.status(), "measurement.metrics.acc: must be a finite number");
    auto c = f.service.CompleteTrial("s", f.trial,
                                     TrialOutcome::Completed({.step = 1, .metrics = {{"acc", v}}}));
    RequireInvalid(c.status(), "final_measurement.metrics.acc");
  }
  // Nothing of it was stored: the trial is still running with no measurement.
  auto t = f.service.GetTrial("s", f.trial);
  REQUIRE(t.ok());
  REQUIRE(t->state == TrialState::kActive);
  REQUIRE(t->measurements.empty());
}

TEST_CASE("non-finite or negative elapsed time and negative steps are refused") {
  Fixture f;
  for (double e : {kNaN, kInf, -1.0}) {
    auto r = f.service.ReportMeasurement("s", f.trial,
                                         {.step = 1, .elapsed_secs = e, .metrics = {{"acc", 0.5}}});
    RequireInvalid(r.status(), "measurement.elapsed_secs");
  }
  auto r = f.service.ReportMeasurement("s", f.trial, {.step = -1, .metrics = {{"acc", 0.5}}});
  RequireInvalid(r.status(), "measurement.step");
}

TEST_CASE("extreme but finite values are stored as sent") {
  Fixture f;
  const double big = std::numeric_limits<double>::max();
  const int64_t step = std::numeric_limits<int64_t>::max();
  auto r = f.service.ReportMeasurement("s", f.trial, {.step = step, .metrics = {{"acc", -big}}});
  REQUIRE(r.ok());
  auto t = f.service.GetTrial("s", f.trial);
  REQUIRE(t.ok());
  REQUIRE(t->measurements.size() == 1);
  REQUIRE(t->measurements[0].step == step);
  REQUIRE(t->measurements[0].metrics.at("acc") == -big);
}

TEST_CASE("non-finite parameter values are refused") {
  Fixture f;
  for (double v : {kNaN, kInf, -kInf}) {
    auto t = f.service.CreateTrial("s", {{"x", v}, {"opt", std::string("sgd")}}, "c2");
    RequireInvalid(t.status(), "parameters.x");
  }
  auto t = f.service.CreateTrial("s", {{"x", 0.5}, {"opt", std::string("rmsprop")}}, "c2");
  RequireInvalid(t.status(), "parameters.opt");
}

TEST_CASE("counts, names and sizes beyond the limits are refused") {
  Fixture f;
  for (int count : {0, -1, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()}) {
    RequireInvalid(f.service.SuggestTrials("s", count, "c").status(), "count");
  }
  RequireInvalid(f.service.SuggestTrials("s", 1, std::string(257, 'c')).status(), "client_id");
  RequireInvalid(f.service.SuggestTrials("s", 1, "").status(), "client_id");
  RequireInvalid(f.service.SuggestTrials(std::string(257, 's'), 1, "c").status(), "study");
  RequireInvalid(
      f.service.ReportMeasurement("s", f.trial, {.step = 1, .metrics = {{"", 1.0}}}).status(),
      "metrics name");
  RequireInvalid(f.service.CreateStudy(std::string((1 << 20) + 1, ' ')).status(), "larger than");
}

// Found by service_request_fuzzer: a metric name that is not UTF-8 made the
// JSON encoder throw, and its message ("[json.exception.type_error.316] ...")
// reached the client.
TEST_CASE("metric names that are not valid UTF-8 are refused without internals") {
  Fixture f;
  const std::string bad = "\x5f\xdf\xdf";
  auto r = f.service.ReportMeasurement("s", f.trial, {.step = 1, .metrics = {{bad, 0.5}}});
  RequireInvalid(r.status(), "metrics: names and values must be valid UTF-8");
  auto c = f.service.CompleteTrial(
      "s", f.trial, TrialOutcome::Completed({.step = 1, .metrics = {{"acc", 0.5}, {bad, 1.0}}}));
  RequireInvalid(c.status(), "names and values must be valid UTF-8");
  // Nothing of the refused calls was stored; the trial still takes reports.
  REQUIRE(f.service.ReportMeasurement("s", f.trial, {.step = 1, .metrics = {{"acc", 0.5}}}).ok());
  auto t = f.service.GetTrial("s", f.trial);
  REQUIRE(t.ok());
  REQUIRE(t->measurements.size() == 1);
}

TEST_CASE("unknown studies and trials are NotFound with a clean message") {
  Fixture f;
  for (int64_t id : {int64_t{0}, int64_t{-1}, int64_t{99}, std::numeric_limits<int64_t>::max(),
                     std::numeric_limits<int64_t>::min()}) {
    auto r = f.service.ReportMeasurement("s", id, {.step = 1, .metrics = {{"acc", 0.5}}});
    INFO(r.status().ToString());
    REQUIRE(r.status().code() == absl::StatusCode::kNotFound);
    RequireClean(r.status());
  }
  auto r = f.service.ReportMeasurement("nope", f.trial, {.step = 1, .metrics = {{"acc", 0.5}}});
  REQUIRE(r.status().code() == absl::StatusCode::kNotFound);
  RequireClean(r.status());
}

}  // namespace
}  // namespace tuner
