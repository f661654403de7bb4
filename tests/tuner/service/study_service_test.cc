#include "tuner/service/study_service.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <set>
#include <thread>

#include "storage/sqlite_store.h"
#include "tests/tuner/service/counting_store.h"

namespace tuner {
namespace {

const char* kSpec = R"({
  "name": "svc",
  "objective": {"metric": "acc", "goal": "maximize"},
  "algorithm": {"name": "random", "seed": 3},
  "max_trials": 6, "max_parallel_trials": 2, "max_failed_trials": 2,
  "parameters": [
    {"name": "lr", "type": "double", "min": 0.001, "max": 1, "scale": "log"},
    {"name": "layers", "type": "integer", "min": 1, "max": 3},
    {"name": "opt", "type": "categorical", "values": ["adam", "sgd"]},
    {"name": "momentum", "type": "double", "min": 0, "max": 0.9, "when": {"opt": ["sgd"]}}
  ]
})";

// A small bayesian budget: max(3, 12 / 4) = 3 quasi-random trials, then the
// model once two have finished.
const char* kBayesianSpec = R"({"name": "bo", "objective": {"metric": "acc", "goal": "maximize"},
  "algorithm": {"name": "bayesian", "seed": 3}, "max_trials": 12,
  "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1},
                 {"name": "y", "type": "double", "min": 0, "max": 1}]})";

struct Fixture {
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service{store.get()};
  Fixture() { REQUIRE(service.CreateStudy(kSpec).ok()); }

  Trial Suggest(const std::string& client) {
    auto s = service.SuggestTrials("svc", 1, client);
    REQUIRE(s.ok());
    REQUIRE(s->trials.size() == 1);
    return s->trials[0];
  }
  Trial Complete(int64_t id, double acc) {
    TrialOutcome outcome;
    outcome.final_measurement.metrics = {{"acc", acc}};
    auto t = service.CompleteTrial("svc", id, outcome);
    REQUIRE(t.ok());
    return *t;
  }
};

TEST_CASE("CreateStudy validates and refuses duplicates", "[study_service]") {
  Fixture f;
  auto dup = f.service.CreateStudy(kSpec);
  CHECK(dup.status().code() == absl::StatusCode::kAlreadyExists);
  auto bad = f.service.CreateStudy(R"({"name": "x"})");
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(bad.status().message()).find("parameters") != std::string::npos);
  CHECK(f.service.GetStudy("nope").status().code() == absl::StatusCode::kNotFound);
  CHECK(f.service.GetStudy("").status().code() == absl::StatusCode::kInvalidArgument);
  std::string huge(2 << 20, ' ');
  CHECK(f.service.CreateStudy(huge).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("SuggestTrials is idempotent per client and distinct across clients", "[study_service]") {
  Fixture f;
  Trial a = f.Suggest("a");
  Trial again = f.Suggest("a");
  CHECK(again.id == a.id);
  Trial b = f.Suggest("b");
  CHECK(b.id != a.id);
  CHECK(b.client_id == "b");
  CHECK(f.service.SuggestTrials("svc", 0, "a").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(f.service.SuggestTrials("svc", 1, "").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(f.service.SuggestTrials("none", 1, "a").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("Parallel clients never share a trial", "[study_service]") {
  auto store = *OpenSqliteStore(":memory:");
  StudyService service(store.get());
  std::string spec = kSpec;
  spec.replace(spec.find("\"max_trials\": 6"), 15, "\"max_trials\": 400");
  REQUIRE(service.CreateStudy(spec).ok());
  std::vector<std::vector<int64_t>> got(8);
  std::vector<std::thread> threads;
  for (int c = 0; c < 8; ++c) {
    threads.emplace_back([&, c] {
      for (int i = 0; i < 20; ++i) {
        auto s = service.SuggestTrials("svc", 1, "client" + std::to_string(c));
        if (!s.ok() || s->trials.empty()) continue;
        got[c].push_back(s->trials[0].id);
        TrialOutcome outcome;
        outcome.final_measurement.metrics = {{"acc", 0.5}};
        (void)service.CompleteTrial("svc", s->trials[0].id, outcome);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> all;
  size_t n = 0;
  for (const auto& ids : got) {
    n += ids.size();
    all.insert(ids.begin(), ids.end());
  }
  CHECK(n == 160);
  CHECK(all.size() == n);
}

TEST_CASE("Reports, StopTrial and CompleteTrial", "[study_service]") {
  Fixture f;
  Trial t = f.Suggest("a");
  Measurement m{.step = 1, .elapsed_secs = 0.5, .metrics = {{"acc", 0.4}}};
  auto d = f.service.ReportMeasurement("svc", t.id, m);
  REQUIRE(d.ok());
  CHECK_FALSE(d->stop);

  m.metrics["acc"] = std::numeric_limits<double>::quiet_NaN();
  auto nan = f.service.ReportMeasurement("svc", t.id, m);
  CHECK(nan.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(nan.status().message()) ==
        "measurement.metrics.acc: must be a finite number, got nan");
  m.metrics["acc"] = std::numeric_limits<double>::infinity();
  CHECK(f.service.ReportMeasurement("svc", t.id, m).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(f.service.ReportMeasurement("svc", 999, {.step = 1, .metrics = {{"acc", 1}}})
            .status()
            .code() == absl::StatusCode::kNotFound);

  auto stopped = f.service.StopTrial("svc", t.id, "user asked");
  REQUIRE(stopped.ok());
  CHECK(stopped->state == TrialState::kStopping);
  d = f.service.ReportMeasurement("svc", t.id, {.step = 2, .metrics = {{"acc", 0.5}}});
  REQUIRE(d.ok());
  CHECK(d->stop);
  CHECK(d->reason == "user asked");

  auto done = f.service.CompleteTrial("svc", t.id, {});  // empty: last measurement
  REQUIRE(done.ok());
  CHECK(done->state == TrialState::kStopped);
  REQUIRE(done->final_measurement);
  CHECK(done->final_measurement->metrics.at("acc") == 0.5);
  CHECK(done->measurements.size() == 2);

  // A finished trial takes no other ending and no new report.
  CHECK(f.service.CompleteTrial("svc", t.id, TrialOutcome::Failed("crash")).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(f.service.ReportMeasurement("svc", t.id, {.step = 3, .metrics = {{"acc", 1}}})
            .status()
            .code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("Retried calls are answered again and change nothing", "[study_service][retry]") {
  Fixture f;
  Trial t = f.Suggest("a");
  const Measurement m{.step = 1, .elapsed_secs = 0.5, .metrics = {{"acc", 0.4}}};
  REQUIRE(f.service.ReportMeasurement("svc", t.id, m, "client:1").ok());
  auto retried = f.service.ReportMeasurement("svc", t.id, m, "client:1");
  REQUIRE(retried.ok());
  CHECK_FALSE(retried->stop);
  REQUIRE(
      f.service.ReportMeasurement("svc", t.id, {.step = 2, .metrics = {{"acc", 0.5}}}, "client:2")
          .ok());
  CHECK(f.service.GetTrial("svc", t.id)->measurements.size() == 2);
  CHECK(f.service.ReportMeasurement("svc", t.id, m, std::string(129, 'x')).status().code() ==
        absl::StatusCode::kInvalidArgument);

  SECTION("completion, and a report retried after it") {
    Trial done = f.Complete(t.id, 0.9);
    TrialOutcome same;
    same.final_measurement.metrics = {{"acc", 0.9}};
    auto again = f.service.CompleteTrial("svc", t.id, same);
    REQUIRE(again.ok());
    CHECK(again->state == TrialState::kCompleted);
    CHECK(again->end_time == done.end_time);
    CHECK(f.service.CompleteTrial("svc", t.id, {}).ok());  // "the last report": same end
    TrialOutcome other;
    other.final_measurement.metrics = {{"acc", 0.1}};
    CHECK(f.service.CompleteTrial("svc", t.id, other).status().code() ==
          absl::StatusCode::kFailedPrecondition);
    // The ack of report 2 was lost; its retry arrives after the completion.
    auto late = f.service.ReportMeasurement("svc", t.id, {.step = 2, .metrics = {{"acc", 0.5}}},
                                            "client:2");
    REQUIRE(late.ok());
    CHECK(late->stop);
    CHECK(late->reason.find("COMPLETED") != std::string::npos);
    CHECK(f.service.ReportMeasurement("svc", t.id, m, "client:3").status().code() ==
          absl::StatusCode::kFailedPrecondition);
    CHECK(f.service.GetTrial("svc", t.id)->measurements.size() == 2);
  }
  SECTION("infeasible, failed and stop") {
    REQUIRE(f.service.CompleteTrial("svc", t.id, TrialOutcome::Infeasible("OOM")).ok());
    CHECK(f.service.CompleteTrial("svc", t.id, TrialOutcome::Infeasible("OOM")).ok());
    CHECK(f.service.CompleteTrial("svc", t.id, TrialOutcome::Infeasible("other")).status().code() ==
          absl::StatusCode::kFailedPrecondition);
    Trial u = f.Suggest("a");
    REQUIRE(f.service.CompleteTrial("svc", u.id, TrialOutcome::Failed("exit 3")).ok());
    CHECK(f.service.CompleteTrial("svc", u.id, TrialOutcome::Failed("exit 3")).ok());
    CHECK(f.service.StopTrial("svc", u.id, "").status().code() ==
          absl::StatusCode::kFailedPrecondition);
    Trial v = f.Suggest("a");
    REQUIRE(f.service.StopTrial("svc", v.id, "enough").ok());
    REQUIRE(f.service.CompleteTrial("svc", v.id, {}).ok());  // stopped before any report
    auto stop_again = f.service.StopTrial("svc", v.id, "enough");
    REQUIRE(stop_again.ok());
    CHECK(stop_again->state == TrialState::kStopped);
  }
}

TEST_CASE("Completing with the last report takes the last one with the objective",
          "[study_service]") {
  Fixture f;
  Trial t = f.Suggest("a");
  // The chief reports the objective; a worker reports throughput after it.
  REQUIRE(f.service.ReportMeasurement("svc", t.id, {.step = 3, .metrics = {{"acc", 0.7}}}).ok());
  REQUIRE(
      f.service.ReportMeasurement("svc", t.id, {.step = 3, .metrics = {{"throughput", 90}}}).ok());
  auto done = f.service.CompleteTrial("svc", t.id, {});
  REQUIRE(done.ok());
  CHECK(done->state == TrialState::kCompleted);
  CHECK(done->final_measurement->metrics == std::map<std::string, double>{{"acc", 0.7}});
}

TEST_CASE("CompleteTrial needs the objective metric; infeasible and failed keep reasons",
          "[study_service]") {
  Fixture f;
  Trial t = f.Suggest("a");
  TrialOutcome wrong;
  wrong.final_measurement.metrics = {{"loss", 1.0}};
  auto r = f.service.CompleteTrial("svc", t.id, wrong);
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(r.status().message()).find("\"acc\"") != std::string::npos);
  CHECK(f.service.CompleteTrial("svc", t.id, {}).status().code() ==
        absl::StatusCode::kFailedPrecondition);  // nothing reported yet

  auto inf = f.service.CompleteTrial("svc", t.id, TrialOutcome::Infeasible("OOM"));
  REQUIRE(inf.ok());
  CHECK(inf->state == TrialState::kInfeasible);
  CHECK(inf->reason == "OOM");

  Trial u = f.Suggest("a");
  CHECK(u.id != t.id);
  auto failed = f.service.CompleteTrial("svc", u.id, TrialOutcome::Failed("exit code 3"));
  REQUIRE(failed.ok());
  CHECK(failed->state == TrialState::kFailed);
  CHECK(f.service.CompleteTrial("svc", u.id, TrialOutcome::Failed("")).status().code() ==
        absl::StatusCode::kInvalidArgument);  // empty message
}

TEST_CASE("The budget ends the study; failures count separately", "[study_service]") {
  Fixture f;  // max_trials 6, max_failed_trials 2
  Trial t1 = f.Suggest("a");
  REQUIRE(f.service.CompleteTrial("svc", t1.id, TrialOutcome::Failed("boom")).ok());
  for (int i = 0; i < 6; ++i) f.Complete(f.Suggest("a").id, 0.1 * i);
  auto s = f.service.SuggestTrials("svc", 1, "a");
  REQUIRE(s.ok());
  CHECK(s->trials.empty());
  CHECK(s->study_done);
  CHECK(f.service.GetStudy("svc")->state == StudyState::kCompleted);
  auto best = f.service.GetBestTrials("svc");
  REQUIRE(best.ok());
  REQUIRE(best->size() == 1);
  CHECK(best->front().final_measurement->metrics.at("acc") == Approx(0.5));
}

TEST_CASE("Only max_trials minus running trials are handed out", "[study_service]") {
  Fixture f;  // max_trials 6
  auto s = f.service.SuggestTrials("svc", 10, "a");
  REQUIRE(s.ok());
  CHECK(s->trials.size() == 6);
  auto more = f.service.SuggestTrials("svc", 1, "b");
  REQUIRE(more.ok());
  CHECK(more->trials.empty());
  CHECK_FALSE(more->study_done);  // trials still running
}

TEST_CASE("CreateTrial validates against the search space", "[study_service]") {
  Fixture f;
  Assignment good = {{"lr", 0.01}, {"layers", int64_t{2}}, {"opt", std::string("adam")}};
  auto t = f.service.CreateTrial("svc", good, "");
  REQUIRE(t.ok());
  CHECK(t->parameters == good);
  CHECK(t->origin == "user");
  CHECK(f.service.GetTrial("svc", t->id)->origin == "user");
  Assignment out_of_range = good;
  out_of_range["layers"] = int64_t{7};
  auto r = f.service.CreateTrial("svc", out_of_range, "");
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(r.status().message()).find("parameters.layers") != std::string::npos);
  Assignment wrong_type = good;
  wrong_type["lr"] = std::string("fast");
  CHECK(f.service.CreateTrial("svc", wrong_type, "").status().code() ==
        absl::StatusCode::kInvalidArgument);
  Assignment missing_child = good;
  missing_child["opt"] = std::string("sgd");
  CHECK(f.service.CreateTrial("svc", missing_child, "").status().code() ==
        absl::StatusCode::kInvalidArgument);
  missing_child["momentum"] = 0.5;
  CHECK(f.service.CreateTrial("svc", missing_child, "").ok());
}

TEST_CASE("CreateTrial stores discrete values as the spec declares them", "[study_service]") {
  auto store = *OpenSqliteStore(":memory:");
  StudyService service(store.get());
  REQUIRE(service
              .CreateStudy(R"({"name": "d", "objective": {"metric": "m", "goal": "maximize"},
                "parameters": [{"name": "units", "type": "discrete", "values": [32, 64]},
                               {"name": "frac", "type": "discrete", "values": [0.5, 1]}]})")
              .ok());
  // A client that sends 32.0 and 1 (another number type) gets 32 and 1.0.
  auto t = service.CreateTrial("d", {{"units", 32.0}, {"frac", int64_t{1}}}, "");
  REQUIRE(t.ok());
  CHECK(t->parameters.at("units") == ParameterValue(int64_t{32}));
  CHECK(t->parameters.at("frac") == ParameterValue(1.0));
  auto read = service.GetTrial("d", t->id);
  REQUIRE(read.ok());
  CHECK(read->parameters == t->parameters);
  // Suggested trials too.
  auto s = service.SuggestTrials("d", 1, "c");
  REQUIRE(s.ok());
  REQUIRE(s->trials.size() == 1);
  CHECK(std::holds_alternative<int64_t>(s->trials[0].parameters.at("units")));
  CHECK(std::holds_alternative<double>(s->trials[0].parameters.at("frac")));
}

TEST_CASE("Several objectives: GetBestTrials returns the Pareto front", "[study_service]") {
  auto store = *OpenSqliteStore(":memory:");
  StudyService service(store.get());
  REQUIRE(service
              .CreateStudy(R"({"name": "mo",
                 "objectives": [{"metric": "acc", "goal": "maximize"},
                                {"metric": "latency", "goal": "minimize"}],
                 "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})")
              .ok());
  std::vector<std::pair<double, double>> points = {{0.9, 10}, {0.8, 5}, {0.7, 7}, {0.95, 20}};
  for (auto [acc, lat] : points) {
    auto t = service.CreateTrial("mo", {{"x", 0.5}}, "");
    REQUIRE(t.ok());
    TrialOutcome o;
    o.final_measurement.metrics = {{"acc", acc}, {"latency", lat}};
    REQUIRE(service.CompleteTrial("mo", t->id, o).ok());
  }
  auto best = service.GetBestTrials("mo");
  REQUIRE(best.ok());
  std::vector<int64_t> ids;
  for (const Trial& t : *best) ids.push_back(t.id);
  CHECK(ids == std::vector<int64_t>{1, 2, 4});  // (0.7, 7) is dominated by (0.8, 5)
}

TEST_CASE("A service rebuilt on the same store continues the study", "[study_service]") {
  auto store = *OpenSqliteStore(":memory:");
  int64_t first_id;
  {
    StudyService service(store.get());
    REQUIRE(service.CreateStudy(kSpec).ok());
    auto s = service.SuggestTrials("svc", 1, "a");
    REQUIRE(s.ok());
    first_id = s->trials[0].id;
    REQUIRE(service.StopTrial("svc", first_id, "why").ok());
  }
  StudyService service(store.get());
  auto d = service.ReportMeasurement("svc", first_id, {.step = 1, .metrics = {{"acc", 0.1}}});
  REQUIRE(d.ok());
  CHECK(d->stop);  // the stop survived the restart
  auto s = service.SuggestTrials("svc", 1, "b");
  REQUIRE(s.ok());
  CHECK(s->trials[0].id == first_id + 1);
}

}  // namespace
}  // namespace tuner

namespace tuner {
namespace {

TEST_CASE("A rebuilt service's designer starts from the work saved in the store",
          "[study_service]") {
  // Two stores with the same bayesian study: 8 finished trials and a running one.
  const auto prepare = [](Store* store) {
    StudyService service(store);
    REQUIRE(service.CreateStudy(kBayesianSpec).ok());
    for (int i = 0; i < 9; ++i) {
      auto s = service.SuggestTrials("bo", 1, "c");
      REQUIRE(s.ok());
      REQUIRE(s->trials.size() == 1);
      if (i == 8) break;
      const Trial& t = s->trials[0];
      const double x = std::get<double>(t.parameters.at("x"));
      const double y = std::get<double>(t.parameters.at("y"));
      TrialOutcome outcome;
      outcome.final_measurement.metrics = {{"acc", -(x - 0.3) * (x - 0.3) - (y - 0.6) * (y - 0.6)}};
      REQUIRE(service.CompleteTrial("bo", t.id, outcome).ok());
    }
  };
  testing::CountingStore kept(*OpenSqliteStore(":memory:"));
  testing::CountingStore lost(*OpenSqliteStore(":memory:"));
  prepare(&kept);
  prepare(&lost);
  CHECK(kept.designer_state_puts > 0);
  REQUIRE(kept.GetDesignerState("bo")->rfind("gp-fits ", 0) == 0);
  REQUIRE(lost.PutDesignerState("bo", "not a designer state").ok());
  // Restarted: the next suggestion needs the fits of the same 8 trials.
  std::vector<Assignment> next;
  for (testing::CountingStore* store : {&kept, &lost}) {
    const int puts = store->designer_state_puts;
    StudyService service(store);
    auto s = service.SuggestTrials("bo", 1, "d");
    REQUIRE(s.ok());
    REQUIRE(s->trials.size() == 1);
    next.push_back(s->trials[0].parameters);
    // Kept: nothing fitted, nothing to save. Lost: fitted again, and saved.
    CHECK(store->designer_state_puts == puts + (store == &lost ? 1 : 0));
  }
  CHECK(next[0] == next[1]);
  CHECK(lost.GetDesignerState("bo")->rfind("gp-fits ", 0) == 0);
}

TEST_CASE("Leases: silent trials become STALE and their parameters are offered again",
          "[study_service][lease]") {
  auto store = *OpenSqliteStore(":memory:");
  auto now = std::chrono::steady_clock::time_point{};
  StudyServiceOptions options;
  options.lease_seconds = 60;
  options.max_retries = 1;
  options.clock = [&now] { return now; };
  StudyService service(store.get(), options);
  REQUIRE(service.CreateStudy(kSpec).ok());
  Trial t = service.SuggestTrials("svc", 1, "a")->trials[0];
  Trial u = service.SuggestTrials("svc", 1, "b")->trials[0];

  now += std::chrono::seconds(40);
  REQUIRE(service.Heartbeat("svc", t.id).ok());  // renews t only
  CHECK(*service.ExpireLeases() == 0);
  now += std::chrono::seconds(30);  // u silent for 70 s, t for 30 s
  CHECK(*service.ExpireLeases() == 1);
  auto stale = service.GetTrial("svc", u.id);
  CHECK(stale->state == TrialState::kStale);
  CHECK(stale->reason == "lease expired: no report or heartbeat for 60 s");
  CHECK(service.ReportMeasurement("svc", u.id, {.step = 1, .metrics = {{"acc", 1}}})
            .status()
            .code() == absl::StatusCode::kFailedPrecondition);
  CHECK(service.Heartbeat("svc", u.id).status().code() == absl::StatusCode::kFailedPrecondition);

  // The next suggestion retries u's parameters, once (max_retries = 1).
  Trial retry = service.SuggestTrials("svc", 1, "c")->trials[0];
  CHECK(retry.id > u.id);
  CHECK(retry.parameters == u.parameters);
  now += std::chrono::seconds(61);
  CHECK(*service.ExpireLeases() == 2);  // t and the retry
  Trial next = service.SuggestTrials("svc", 1, "d")->trials[0];
  CHECK(next.parameters == t.parameters);  // t's first retry
  Trial fresh = service.SuggestTrials("svc", 1, "e")->trials[0];
  CHECK(fresh.parameters != u.parameters);  // u's budget is spent
  CHECK(fresh.parameters != t.parameters);
  auto counts = store->CountTrials("svc");
  CHECK(counts->stale == 3);
}

TEST_CASE("Leases off: nothing expires", "[study_service][lease]") {
  auto store = *OpenSqliteStore(":memory:");
  StudyService service(store.get());
  REQUIRE(service.CreateStudy(kSpec).ok());
  REQUIRE(service.SuggestTrials("svc", 1, "a").ok());
  CHECK(*service.ExpireLeases() == 0);
}

}  // namespace
}  // namespace tuner

namespace tuner {
namespace {

TEST_CASE("max_failed_trials 0 means as many failures as max_trials", "[study_service]") {
  auto store = *OpenSqliteStore(":memory:");
  StudyService service(store.get());
  REQUIRE(service
              .CreateStudy(R"({"name": "f", "objective": {"metric": "a", "goal": "maximize"},
                 "max_trials": 2,
                 "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})")
              .ok());
  for (int i = 0; i < 2; ++i) {
    auto s = service.SuggestTrials("f", 1, "c");
    REQUIRE(s->trials.size() == 1);
    REQUIRE(service.CompleteTrial("f", s->trials[0].id, TrialOutcome::Failed("boom")).ok());
  }
  auto done = service.SuggestTrials("f", 1, "c");
  REQUIRE(done.ok());
  CHECK(done->trials.empty());
  CHECK(done->study_done);
}

TEST_CASE("Every suggested trial records the stage that proposed it", "[study_service]") {
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service{store.get()};
  REQUIRE(service.CreateStudy(kBayesianSpec).ok());
  std::vector<std::string> origins;
  for (int i = 0; i < 5; ++i) {
    auto s = service.SuggestTrials("bo", 1, "c");
    REQUIRE(s.ok());
    REQUIRE(s->trials.size() == 1);
    const Trial& t = s->trials[0];
    origins.push_back(t.origin);
    CHECK(service.GetTrial("bo", t.id)->origin == t.origin);  // stored
    TrialOutcome outcome;
    outcome.final_measurement.metrics = {{"acc", std::get<double>(t.parameters.at("x"))}};
    REQUIRE(service.CompleteTrial("bo", t.id, outcome).ok());
  }
  CHECK(origins == std::vector<std::string>{"sobol", "sobol", "sobol", "gp", "gp"});
}

}  // namespace
}  // namespace tuner
