#include "tuner/cli/orchestrator.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "clients/cpp/tuner_client.h"
#include "fake_launcher.h"
#include "study/study_json.h"
#include "tuner/server/remote_study_api.h"
#include "tuner/server/server.h"

namespace tuner {
namespace {

using namespace std::chrono_literals;

std::string Spec(int max_trials, int parallel, int max_failed) {
  return R"({"name": "orch", "objective": {"metric": "acc", "goal": "maximize"},
    "algorithm": {"name": "random", "seed": 5},
    "max_trials": )" +
         std::to_string(max_trials) + R"(, "max_parallel_trials": )" + std::to_string(parallel) +
         R"(, "max_failed_trials": )" + std::to_string(max_failed) + R"(,
    "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
    "trainer": {"command": ["true"]}})";
}

struct Fixture {
  std::string db;
  std::unique_ptr<Server> server;
  std::unique_ptr<TunerClient> client;
  std::unique_ptr<StudyApi> api;  // the orchestrator's: remote, over gRPC
  explicit Fixture(const std::string& name) {
    db = (std::filesystem::temp_directory_path() /
          ("tuner_orch_" + name + "_" + std::to_string(getpid()) + ".db"))
             .string();
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db + s);
    Restart();
  }
  void Restart() {
    api.reset();
    client.reset();
    server.reset();
    server = std::move(*Server::Start({.db_path = db, .listen = "127.0.0.1:0"}));
    client = std::move(*TunerClient::Connect(server->address()));
    api = std::move(*ConnectStudyApi(server->address()));
  }
  StudySpec Create(const std::string& json) {
    auto spec = ParseStudyOrError(json);
    REQUIRE(spec.ok());
    auto s = client->CreateStudy(json, /*resume=*/true);
    INFO(s.status().message());
    REQUIRE(s.ok());
    return *spec;
  }
  RunSummary RunWith(FakeLauncher& launcher, const StudySpec& spec, Orchestrator** handle = nullptr,
                     std::vector<std::string> devices = {}) {
    OrchestratorOptions options;
    options.devices = std::move(devices);
    options.endpoint = server->address();
    options.output_root = std::filesystem::temp_directory_path().string();
    options.poll_interval = 20ms;
    Orchestrator orchestrator(api.get(), &launcher, spec, options);
    if (handle) *handle = &orchestrator;
    auto summary = orchestrator.Run();
    REQUIRE(summary.ok());
    return *summary;
  }
  // A trainer's own client, as a real trainer would have.
  std::unique_ptr<TunerClient> TrainerClient() {
    return std::move(*TunerClient::Connect(server->address()));
  }
};

// A trainer that reports acc = x twice over gRPC and completes.
FakeLauncher::Script ReportingTrainer(Fixture& f, std::chrono::milliseconds work = 5ms) {
  return [&f, work](FakeLauncher::Context& ctx) {
    auto c = f.TrainerClient();
    const double x = std::get<double>(ctx.request.parameters.at("x"));
    std::this_thread::sleep_for(work);
    (void)c->Report(ctx.request.study, ctx.request.trial_id, 1, {{"acc", x / 2}});
    (void)c->Report(ctx.request.study, ctx.request.trial_id, 2, {{"acc", x}});
    (void)c->Complete(ctx.request.study, ctx.request.trial_id, {{"acc", x}});
    return ClusterExit{ClusterExit::Kind::kSucceeded};
  };
}

TEST_CASE("Keeps max_parallel_trials clusters running until max_trials are done",
          "[orchestrator]") {
  Fixture f("parallel");
  StudySpec spec = f.Create(Spec(9, 3, 0));
  FakeLauncher launcher(ReportingTrainer(f, 50ms));
  RunSummary summary = f.RunWith(launcher, spec);
  CHECK(summary.counts.completed == 9);
  CHECK(summary.counts.running() == 0);
  CHECK(launcher.launched().size() == 9);
  CHECK(launcher.max_running() == 3);
  CHECK_FALSE(summary.interrupted);
}

std::string WithGpus(std::string json) {
  const std::string command = R"("command": ["true"]})";
  json.replace(json.find(command), command.size(),
               R"("command": ["true"], "cluster": {"worker": 1},
                  "resources": {"gpus_per_rank": 1}})");
  return json;
}

TEST_CASE("Devices: running trials hold disjoint sets, freed when they end; a slot waits",
          "[orchestrator]") {
  Fixture f("devices");
  // 3 slots, 2 ranks x 1 device per trial, 5 devices: 2 trials at a time.
  StudySpec spec = f.Create(WithGpus(Spec(6, 3, 0)));
  std::mutex mu;
  std::map<int64_t, std::vector<std::string>> running;  // guarded by mu
  std::set<std::string> used;                           // guarded by mu
  bool shared = false;                                  // guarded by mu
  FakeLauncher::Script trainer = ReportingTrainer(f, 30ms);
  FakeLauncher launcher([&](FakeLauncher::Context& ctx) {
    {
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& [id, devices] : running) {
        for (const std::string& d : devices) {
          for (const std::string& mine : ctx.request.devices) shared |= d == mine;
        }
      }
      CHECK(ctx.request.devices.size() == 2);
      running[ctx.request.trial_id] = ctx.request.devices;
      used.insert(ctx.request.devices.begin(), ctx.request.devices.end());
    }
    ClusterExit exit = trainer(ctx);
    std::lock_guard<std::mutex> lock(mu);
    running.erase(ctx.request.trial_id);
    return exit;
  });
  RunSummary summary = f.RunWith(launcher, spec, nullptr, {"0", "1", "2", "3", "4"});
  CHECK(summary.counts.completed == 6);
  CHECK(launcher.max_running() == 2);  // not 3: the third slot waited for devices
  std::lock_guard<std::mutex> lock(mu);
  CHECK_FALSE(shared);
  CHECK(used == std::set<std::string>{"0", "1", "2", "3"});  // freed ones were handed out again
}

TEST_CASE("Devices: a trial that needs more than the run has is an error", "[orchestrator]") {
  Fixture f("few_devices");
  StudySpec spec = f.Create(WithGpus(Spec(2, 1, 0)));
  FakeLauncher launcher(ReportingTrainer(f));
  OrchestratorOptions options;
  options.endpoint = f.server->address();
  options.devices = {"0"};
  Orchestrator orchestrator(f.api.get(), &launcher, spec, options);
  auto summary = orchestrator.Run();
  REQUIRE_FALSE(summary.ok());
  CHECK(summary.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(summary.status().message()),
             Catch::Contains("a trial needs 2 devices (1 per rank) and the run has 1"));
  CHECK(launcher.launched().empty());
}

TEST_CASE("Failed clusters fail their trials; max_failed_trials ends the run", "[orchestrator]") {
  Fixture f("failed");
  StudySpec spec = f.Create(Spec(10, 2, 3));
  FakeLauncher launcher([](FakeLauncher::Context&) {
    return ClusterExit{ClusterExit::Kind::kFailed, "rank worker:1 exited with code 3",
                       "Traceback: boom"};
  });
  RunSummary summary = f.RunWith(launcher, spec);
  CHECK(summary.counts.failed >= 3);
  CHECK(summary.counts.failed <= 4);  // the other slot's trial may fail too
  CHECK(summary.counts.completed == 0);
  auto trials = f.client->ListTrials("orch");
  REQUIRE(trials.ok());
  for (const auto& t : *trials) {
    CHECK(t.state() == v1::FAILED);
    CHECK(t.reason().find("rank worker:1 exited with code 3") != std::string::npos);
    CHECK(t.reason().find("Traceback: boom") != std::string::npos);
  }
}

TEST_CASE("A failed cluster with retries left runs again in its attempt's directory",
          "[orchestrator]") {
  Fixture f("retries");
  std::string json = Spec(3, 2, 1);  // one counted failure would end the study
  const std::string command = R"("command": ["true"])";
  json.replace(json.find(command), command.size(), command + R"(, "max_retries": 1)");
  StudySpec spec = f.Create(json);
  std::mutex mu;
  std::vector<std::string> dirs;
  FakeLauncher launcher([&](FakeLauncher::Context& ctx) {
    {
      std::lock_guard<std::mutex> lock(mu);
      dirs.push_back(ctx.request.output_dir);
    }
    const std::string trial_dir = "/orch/trial-" + std::to_string(ctx.request.trial_id);
    if (ctx.request.output_dir.ends_with(trial_dir)) {  // the first attempt fails
      return ClusterExit{ClusterExit::Kind::kFailed, "rank chief:0 exited with code 3", "boom"};
    }
    CHECK(ctx.request.output_dir.ends_with(trial_dir + "/attempt-2"));
    auto c = f.TrainerClient();
    (void)c->Complete(ctx.request.study, ctx.request.trial_id, {{"acc", 0.5}});
    return ClusterExit{ClusterExit::Kind::kSucceeded};
  });
  RunSummary summary = f.RunWith(launcher, spec);
  CHECK(summary.counts.completed == 3);
  CHECK(summary.counts.failed == 0);
  CHECK(launcher.launched().size() == 6);  // each trial twice, no new trial
  CHECK(dirs.size() == 6);
  auto trials = f.client->ListTrials("orch");
  REQUIRE(trials->size() == 3);
  for (const auto& t : *trials) {
    CHECK(t.state() == v1::COMPLETED);
    REQUIRE(t.attempts_size() == 1);
    CHECK(t.attempts(0).outcome() == "FAILED");
    CHECK(t.attempts(0).reason().find("rank chief:0 exited with code 3") != std::string::npos);
    CHECK(t.attempts(0).reason().find("boom") != std::string::npos);
  }
}

TEST_CASE("Exits without a completion: last report, or a clear failure", "[orchestrator]") {
  Fixture f("exits");
  StudySpec spec = f.Create(Spec(4, 1, 0));
  std::atomic<int> n{0};
  FakeLauncher launcher([&](FakeLauncher::Context& ctx) {
    switch (n++ % 4) {
      case 0:  // stdout metrics, then exit 0: completed with the last one
        ctx.emit(ctx.request.trial_id, {.step = 1, .metrics = {{"acc", 0.25}}});
        ctx.emit(ctx.request.trial_id, {.step = 2, .metrics = {{"acc", 0.5}}});
        return ClusterExit{ClusterExit::Kind::kSucceeded};
      case 1:  // exit 0 with nothing reported
        return ClusterExit{ClusterExit::Kind::kSucceeded};
      case 2:
        return ClusterExit{ClusterExit::Kind::kTimedOut, "timeout"};
      default:  // reports a metric that is not the objective
        ctx.emit(ctx.request.trial_id, {.step = 1, .metrics = {{"loss", 1.0}}});
        return ClusterExit{ClusterExit::Kind::kSucceeded};
    }
  });
  f.RunWith(launcher, spec);
  auto trials = f.client->ListTrials("orch");
  REQUIRE(trials.ok());
  REQUIRE(trials->size() >= 4);
  CHECK((*trials)[0].state() == v1::COMPLETED);
  CHECK((*trials)[0].final_measurement().metrics().at("acc") == 0.5);
  CHECK((*trials)[0].measurements_size() == 2);
  CHECK((*trials)[1].state() == v1::FAILED);
  CHECK((*trials)[1].reason().find("without completing") != std::string::npos);
  CHECK((*trials)[2].state() == v1::FAILED);
  CHECK((*trials)[2].reason().find("timed out") != std::string::npos);
  CHECK((*trials)[3].state() == v1::FAILED);
  CHECK((*trials)[3].reason().find("\"acc\"") != std::string::npos);
}

TEST_CASE("StopTrial from outside stops the cluster; the trial is STOPPED", "[orchestrator]") {
  Fixture f("stop");
  StudySpec spec = f.Create(Spec(2, 1, 0));
  std::atomic<int> n{0};
  FakeLauncher launcher([&](FakeLauncher::Context& ctx) {
    if (n++ == 0) {
      auto c = f.TrainerClient();
      (void)c->Report(ctx.request.study, ctx.request.trial_id, 1, {{"acc", 0.1}});
      (void)f.TrainerClient()->StopTrial(ctx.request.study, ctx.request.trial_id, "looks bad");
      while (!ctx.stop_requested()) std::this_thread::sleep_for(5ms);  // runs until stopped
      return ClusterExit{ClusterExit::Kind::kFailed, "killed by signal 15"};
    }
    ctx.emit(ctx.request.trial_id, {.step = 1, .metrics = {{"acc", 0.7}}});
    return ClusterExit{ClusterExit::Kind::kSucceeded};
  });
  RunSummary summary = f.RunWith(launcher, spec);
  CHECK(summary.counts.stopped == 1);
  CHECK(summary.counts.completed == 1);
  auto first = f.client->GetTrial("orch", 1);
  REQUIRE(first.ok());
  CHECK(first->state() == v1::STOPPED);
  CHECK(first->reason() == "looks bad");
  CHECK(first->final_measurement().metrics().at("acc") == 0.1);
}

TEST_CASE("Interrupt stops every cluster and marks its trials", "[orchestrator]") {
  Fixture f("interrupt");
  StudySpec spec = f.Create(Spec(10, 2, 0));
  FakeLauncher launcher([](FakeLauncher::Context& ctx) {
    while (!ctx.stop_requested()) std::this_thread::sleep_for(5ms);
    return ClusterExit{ClusterExit::Kind::kStopped};
  });
  Orchestrator* handle = nullptr;
  std::thread interrupter([&] {
    while (launcher.launched().size() < 2) std::this_thread::sleep_for(5ms);
    while (handle == nullptr) std::this_thread::sleep_for(5ms);
    handle->Interrupt();
  });
  RunSummary summary = f.RunWith(launcher, spec, &handle);
  interrupter.join();
  CHECK(summary.interrupted);
  CHECK(summary.counts.stopped == 0);
  CHECK(summary.counts.stale == 2);  // interruptions cost no budget
  CHECK(summary.counts.running() == 0);
  auto trials = f.client->ListTrials("orch");
  REQUIRE(trials->size() == 2);
  for (const auto& t : *trials) {
    CHECK(t.state() == v1::STALE);
    CHECK(t.reason().find("interrupted") != std::string::npos);
  }

  // The next run relaunches the interrupted parameters first and finishes
  // with max_trials done, the interrupted trials not counted.
  std::vector<std::map<std::string, double>> interrupted_params;
  for (const auto& t : *trials) {
    interrupted_params.push_back({{"x", t.parameters().at("x").double_value()}});
  }
  FakeLauncher again(ReportingTrainer(f));
  RunSummary resumed = f.RunWith(again, spec);
  CHECK(resumed.counts.completed == 10);
  auto all = f.client->ListTrials("orch");
  REQUIRE(all->size() == 12);
  for (const auto& p : interrupted_params) {
    int runs = 0;
    for (const auto& t : *all) {
      runs += t.state() == v1::COMPLETED && t.parameters().at("x").double_value() == p.at("x");
    }
    CHECK(runs == 1);
  }
}

TEST_CASE("Raising max_trials extends a finished study", "[orchestrator]") {
  Fixture f("extend");
  StudySpec spec = f.Create(Spec(3, 2, 0));
  {
    FakeLauncher launcher(ReportingTrainer(f));
    CHECK(f.RunWith(launcher, spec).counts.completed == 3);
  }
  CHECK(f.client->GetStudy("orch")->state() == v1::STUDY_COMPLETED);
  auto different = f.client->CreateStudy(
      R"({"name": "orch", "objective": {"metric": "acc", "goal": "minimize"},
          "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
      true);
  INFO(different.status().message());
  CHECK(different.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(different.status().message()).find("objective") != std::string::npos);

  StudySpec more = f.Create(Spec(5, 2, 0));
  CHECK(f.client->GetStudy("orch")->state() == v1::STUDY_ACTIVE);
  FakeLauncher launcher(ReportingTrainer(f));
  CHECK(f.RunWith(launcher, more).counts.completed == 5);
  CHECK(launcher.launched().size() == 2);
}

TEST_CASE("After a restart, trials that were running are relaunched", "[orchestrator]") {
  Fixture f("resume");
  StudySpec spec = f.Create(Spec(3, 2, 0));
  // A previous run handed trials to its slots and died with them running.
  auto t0 = f.client->SuggestTrials("orch", 1, "tuner-run:0");
  auto t1 = f.client->SuggestTrials("orch", 1, "tuner-run:1");
  REQUIRE(t0.ok());
  REQUIRE(t1.ok());
  f.Restart();
  FakeLauncher launcher(ReportingTrainer(f));
  RunSummary summary = f.RunWith(launcher, spec);
  CHECK(summary.counts.completed == 3);
  auto launched = launcher.launched();
  REQUIRE(launched.size() == 3);
  CHECK(std::count(launched.begin(), launched.end(), t0->trials[0].id()) == 1);
  CHECK(std::count(launched.begin(), launched.end(), t1->trials[0].id()) == 1);
  CHECK(f.client->ListTrials("orch")->size() == 3);  // no duplicate trial
}

TEST_CASE("Launched trials record their runner; a new run reaps what an old one left",
          "[orchestrator]") {
  Fixture f("reap");
  StudySpec spec = f.Create(Spec(2, 1, 0));
  // A dead run left trial 1 running with a recorded cluster handle.
  auto t = f.client->SuggestTrials("orch", 1, "tuner-run:0");
  REQUIRE(t.ok());
  const int64_t id = t->trials[0].id();
  REQUIRE(f.client->SetTrialRunner("orch", id, "fake:old-cluster").ok());
  CHECK(f.client->GetTrial("orch", id)->runner() == "fake:old-cluster");
  FakeLauncher launcher(ReportingTrainer(f));
  RunSummary summary = f.RunWith(launcher, spec);
  CHECK(summary.counts.completed == 2);
  CHECK(launcher.reaped() == std::vector<std::string>{std::to_string(id) + "=fake:old-cluster"});
  CHECK(f.client->GetTrial("orch", 2)->runner() == "fake:2");  // recorded at launch
  CHECK(f.client->SetTrialRunner("orch", id, "x").status().code() ==
        absl::StatusCode::kFailedPrecondition);  // finished trials are immutable
}

TEST_CASE("LaunchCommand: cd, the study's environment, then the argv launched", "[orchestrator]") {
  LaunchRequest r;
  r.trainer.command = {"/usr/bin/python3", "train.py"};
  r.parameters = {{"lr", 0.5}, {"opt", std::string("a b")}};
  r.working_dir = "/my dir";
  CHECK(LaunchCommand(r, {{"OMP_NUM_THREADS", "1"}}) ==
        "cd '/my dir' && OMP_NUM_THREADS=1 /usr/bin/python3 train.py --lr=0.5 '--opt=a b'");
  r.working_dir = "";
  CHECK(LaunchCommand(r, {}) == "/usr/bin/python3 train.py --lr=0.5 '--opt=a b'");
}

TEST_CASE("OutcomeForExit", "[orchestrator]") {
  Trial t;
  t.state = TrialState::kCompleted;
  CHECK_FALSE(OutcomeForExit(t, {ClusterExit::Kind::kFailed}, 0).has_value());
  t.state = TrialState::kStopping;
  CHECK(OutcomeForExit(t, {ClusterExit::Kind::kFailed}, 0)->kind ==
        ExitOutcome::Kind::kCompleteWithLastReport);
  t.state = TrialState::kActive;
  auto timeout = OutcomeForExit(t, {ClusterExit::Kind::kTimedOut}, 30);
  CHECK(timeout->kind == ExitOutcome::Kind::kFail);
  CHECK(timeout->message == "timed out after 30 s (trainer.timeout_s)");
}

}  // namespace
}  // namespace tuner

namespace tuner {
namespace {

TEST_CASE("A new run finishes the STOPPING trials a dead run left", "[orchestrator]") {
  Fixture f("recover");
  StudySpec spec = f.Create(Spec(2, 1, 0));
  auto t = f.client->SuggestTrials("orch", 1, "tuner-run:0");
  REQUIRE(t.ok());
  const int64_t id = t->trials[0].id();
  REQUIRE(f.client->SetTrialRunner("orch", id, "fake:dead").ok());
  REQUIRE(f.client->StopTrial("orch", id, "told to stop before the crash").ok());
  FakeLauncher launcher(ReportingTrainer(f));
  RunSummary summary = f.RunWith(launcher, spec);
  CHECK(summary.counts.completed == 1);  // stopped trials count towards max_trials
  CHECK(summary.counts.stopped == 1);
  CHECK(f.client->GetTrial("orch", id)->state() == v1::STOPPED);
  CHECK(launcher.reaped() == std::vector<std::string>{std::to_string(id) + "=fake:dead"});
}

}  // namespace
}  // namespace tuner
