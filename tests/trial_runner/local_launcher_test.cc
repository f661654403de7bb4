// LocalLauncher with real processes: /bin/sh trainers whose behaviour depends
// on $TUNER_TASK_TYPE. Every test checks that no process carrying its marker
// survives the exit callback.
#include "trial_runner/local_launcher.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/trial_runner/test_processes.h"
#include "trial_runner/cpu_pool.h"

namespace tuner {
namespace {

using testing::CountMarkedProcesses;
using testing::Eventually;
using testing::ReadFile;
using testing::Recorder;
using testing::TempDir;
using testing::UniqueMarker;
using Json = nlohmann::json;
using std::chrono::milliseconds;

LocalLauncherOptions FastOptions() {
  LocalLauncherOptions options;
  options.grace_period = milliseconds(200);
  options.kill_wait = milliseconds(2000);
  options.poll_interval = milliseconds(10);
  return options;
}

// A trial whose every rank runs `sh -c script trainer <args>`.
LaunchRequest ShellTrial(const TempDir& dir, const std::string& marker, const std::string& script,
                         ClusterSpec cluster = {1, 0, 0}, int64_t trial_id = 1) {
  LaunchRequest request;
  request.study = "launcher-test";
  request.trial_id = trial_id;
  request.trainer.command = {"/bin/sh", "-c", script, "trainer"};
  request.trainer.cluster = cluster;
  request.trainer.env = {{testing::kMarkerVariable, marker}};
  request.output_dir = dir / ("trial-" + std::to_string(trial_id));
  request.endpoint = "127.0.0.1:1";
  return request;
}

// Each rank's environment, as the rank itself printed it with `env`.
std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::map<std::string, std::string> env;
  std::istringstream lines(ReadFile(path));
  std::string line;
  while (std::getline(lines, line)) {
    const size_t equals = line.find('=');
    if (equals != std::string::npos) env[line.substr(0, equals)] = line.substr(equals + 1);
  }
  return env;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream text(ReadFile(path));
  std::string line;
  while (std::getline(text, line)) lines.push_back(line);
  return lines;
}

TEST_CASE("every rank runs with its arguments, environment and working directory") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  std::filesystem::create_directory(dir / "work");
  // Each rank writes its cwd, arguments and env (last) into TUNER_OUTPUT_DIR;
  // the chief exits once all four env files are there.
  const std::string script = R"sh(
    me="$TUNER_TASK_TYPE-$TUNER_TASK_INDEX"
    pwd > "$TUNER_OUTPUT_DIR/cwd-$me"
    printf '%s\n' "$0" "$@" > "$TUNER_OUTPUT_DIR/args-$me"
    env > "$TUNER_OUTPUT_DIR/env-$me.tmp" && mv "$TUNER_OUTPUT_DIR/env-$me.tmp" "$TUNER_OUTPUT_DIR/env-$me"
    if [ "$TUNER_TASK_TYPE" = chief ]; then
      for i in $(seq 1 500); do
        [ "$(ls "$TUNER_OUTPUT_DIR" | grep -c '^env-[a-z]*-[0-9]$')" = 4 ] && exit 0
        sleep 0.02
      done
      exit 9
    fi
    exec sleep 1000
  )sh";
  LaunchRequest request = ShellTrial(dir, marker, script, {1, 2, 1}, 7);
  request.parameters = {{"lr", 0.5}, {"units", int64_t{32}}, {"opt", std::string("sgd")}};
  request.extra_args = {"--extra"};
  request.working_dir = dir / "work";

  LocalLauncher launcher(FastOptions());
  Recorder recorder;
  REQUIRE(launcher.Launch(request, recorder.OnMeasurement(), recorder.OnExit()).ok());
  std::optional<ClusterExit> exit = recorder.WaitForExit();
  REQUIRE(exit);
  CHECK(exit->kind == ClusterExit::Kind::kSucceeded);
  CHECK(recorder.trial_id() == 7);
  CHECK(CountMarkedProcesses(marker) == 0);

  const std::string out = request.output_dir;
  Json cluster;
  std::set<std::string> addresses;
  const std::map<std::string, std::string> expected_rank = {
      {"chief-0", "0"}, {"worker-0", "1"}, {"worker-1", "2"}, {"ps-0", ""}};
  for (const auto& [me, rank] : expected_rank) {
    INFO(me);
    const auto env = ReadEnvFile(out + "/env-" + me);
    const std::string type = me.substr(0, me.find('-'));
    const int index = std::stoi(me.substr(me.find('-') + 1));
    CHECK(env.at(testing::kMarkerVariable) == marker);
    CHECK(env.at("TUNER_STUDY") == "launcher-test");
    CHECK(env.at("TUNER_TRIAL_ID") == "7");
    CHECK(env.at("TUNER_ENDPOINT") == "127.0.0.1:1");
    CHECK(env.at("TUNER_TASK_TYPE") == type);
    CHECK(env.at("TUNER_TASK_INDEX") == std::to_string(index));
    CHECK(env.at("TUNER_OUTPUT_DIR") == out);
    CHECK(Json::parse(env.at("TUNER_PARAMS")) == Json{{"lr", 0.5}, {"units", 32}, {"opt", "sgd"}});
    CHECK(env.count("PATH") == 1);  // the server's environment is inherited

    const Json config = Json::parse(env.at("TF_CONFIG"));
    if (cluster.is_null()) cluster = config["cluster"];
    CHECK(config["cluster"] == cluster);
    CHECK(config["task"] == Json{{"type", type}, {"index", index}, {"trial", "7"}});
    CHECK(config["environment"] == "cloud");

    CHECK(env.at("MASTER_ADDR") == "127.0.0.1");
    CHECK(env.at("WORLD_SIZE") == "3");
    CHECK((env.count("RANK") ? env.at("RANK") : "") == rank);

    CHECK(ReadFile(out + "/cwd-" + me) == request.working_dir + "\n");
    CHECK(ReadLines(out + "/args-" + me) ==
          std::vector<std::string>{"trainer", "--lr=0.5", "--opt=sgd", "--units=32", "--extra"});
  }
  REQUIRE(cluster["chief"].size() == 1);
  REQUIRE(cluster["worker"].size() == 2);
  REQUIRE(cluster["ps"].size() == 1);
  for (const auto& [role, list] : cluster.items()) {
    for (const auto& address : list) addresses.insert(address.get<std::string>());
  }
  CHECK(addresses.size() == 4);  // a port of its own per rank
  const std::string chief_address = cluster["chief"][0];
  CHECK(ReadEnvFile(out + "/env-worker-1").at("MASTER_PORT") ==
        chief_address.substr(chief_address.find(':') + 1));
  for (const char* log : {"chief-0.log", "worker-0.log", "worker-1.log", "ps-0.log"}) {
    CHECK(std::filesystem::exists(out + "/logs/" + log));
    // Logs may hold secrets: the owner's alone (the umask can only take more away).
    CHECK((std::filesystem::status(out + "/logs/" + log).permissions() &
           (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
          std::filesystem::perms::none);
  }
}

TEST_CASE("the chief exiting 0 succeeds and stops the other ranks and their children") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  const std::string script = R"(
    if [ "$TUNER_TASK_TYPE" = chief ]; then sleep 0.3; exit 0; fi
    sleep 1000 &
    sleep 1000
  )";
  LocalLauncher launcher(FastOptions());
  Recorder recorder;
  REQUIRE(
      launcher.Launch(ShellTrial(dir, marker, script, {1, 2, 1}), nullptr, recorder.OnExit()).ok());
  REQUIRE(Eventually([&] { return CountMarkedProcesses(marker) >= 7 || recorder.Exited(); }));
  std::optional<ClusterExit> exit = recorder.WaitForExit();
  REQUIRE(exit);
  CHECK(exit->kind == ClusterExit::Kind::kSucceeded);
  CHECK(exit->message.empty());
  CHECK(exit->log_tail.empty());
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("workers that finish before the chief are fine") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  const std::string script = R"(
    if [ "$TUNER_TASK_TYPE" = chief ]; then sleep 0.5; echo chief done; exit 0; fi
    exit 0
  )";
  LocalLauncher launcher(FastOptions());
  Recorder recorder;
  const LaunchRequest request = ShellTrial(dir, marker, script, {1, 2, 0});
  REQUIRE(launcher.Launch(request, nullptr, recorder.OnExit()).ok());
  std::optional<ClusterExit> exit = recorder.WaitForExit();
  REQUIRE(exit);
  CHECK(exit->kind == ClusterExit::Kind::kSucceeded);
  CHECK(ReadFile(request.output_dir + "/logs/chief-0.log") == "chief done\n");  // not cut short
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("a failing worker fails the trial, naming the rank, with its log tail") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  const std::string script = R"(
    if [ "$TUNER_TASK_TYPE-$TUNER_TASK_INDEX" = worker-1 ]; then
      sleep 1000 &
      for i in $(seq 1 30); do echo "line $i"; done
      echo "Traceback: out of memory" >&2
      sleep 0.2
      exit 3
    fi
    sleep 1000 &
    sleep 1000
  )";
  LocalLauncher launcher(FastOptions());
  Recorder recorder;
  REQUIRE(
      launcher.Launch(ShellTrial(dir, marker, script, {1, 2, 1}), nullptr, recorder.OnExit()).ok());
  std::optional<ClusterExit> exit = recorder.WaitForExit();
  REQUIRE(exit);
  CHECK(exit->kind == ClusterExit::Kind::kFailed);
  CHECK(exit->message == "rank worker:1 exited with code 3");
  std::string expected_tail;
  for (int i = 12; i <= 30; ++i) expected_tail += "line " + std::to_string(i) + "\n";
  expected_tail += "Traceback: out of memory";
  CHECK(exit->log_tail == expected_tail);  // the last 20 lines
  CHECK(CountMarkedProcesses(marker) == 0);
  CHECK(recorder.exit_calls() == 1);
}

TEST_CASE("a rank killed by a signal fails the trial") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  const std::string script = R"(
    if [ "$TUNER_TASK_TYPE" = chief ]; then sleep 0.2; kill -9 $$; fi
    sleep 1000
  )";
  LocalLauncher launcher(FastOptions());
  Recorder recorder;
  REQUIRE(
      launcher.Launch(ShellTrial(dir, marker, script, {1, 1, 0}), nullptr, recorder.OnExit()).ok());
  std::optional<ClusterExit> exit = recorder.WaitForExit();
  REQUIRE(exit);
  CHECK(exit->kind == ClusterExit::Kind::kFailed);
  CHECK(exit->message == "rank chief:0 killed by signal 9 (Killed)");
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("a command the shell cannot find fails with code 127") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  LocalLauncher launcher(FastOptions());
  Recorder recorder;
  REQUIRE(launcher
              .Launch(ShellTrial(dir, marker, "no_such_trainer_binary_x", {1, 1, 0}), nullptr,
                      recorder.OnExit())
              .ok());
  std::optional<ClusterExit> exit = recorder.WaitForExit();
  REQUIRE(exit);
  CHECK(exit->kind == ClusterExit::Kind::kFailed);
  CHECK(exit->message.find("exited with code 127") != std::string::npos);
  CHECK(exit->log_tail.find("no_such_trainer_binary_x") != std::string::npos);
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("a program that cannot be executed makes Launch fail, leaving nothing") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  LocalLauncher launcher(FastOptions());
  Recorder recorder;

  LaunchRequest request = ShellTrial(dir, marker, "", {1, 2, 1});
  request.trainer.command = {"/nonexistent/trainer"};
  absl::Status status = launcher.Launch(request, nullptr, recorder.OnExit());
  CHECK(status.code() == absl::StatusCode::kNotFound);
  CHECK(std::string(status.message()).find("rank chief:0") != std::string::npos);

  request = ShellTrial(dir, marker, "sleep 1000", {1, 2, 1});
  request.working_dir = dir / "no-such-dir";
  status = launcher.Launch(request, nullptr, recorder.OnExit());
  CHECK(status.code() == absl::StatusCode::kNotFound);

  std::this_thread::sleep_for(milliseconds(100));
  CHECK_FALSE(recorder.Exited());
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("invalid requests are refused") {
  TempDir dir;
  LocalLauncher launcher(FastOptions());
  LaunchRequest request = ShellTrial(dir, UniqueMarker(), "true", {0, 1, 0});
  CHECK(launcher.Launch(request, nullptr, nullptr).code() == absl::StatusCode::kInvalidArgument);

  request = ShellTrial(dir, UniqueMarker(), "true");
  request.trainer.metrics = {MetricSource::kStdout, "(no groups)"};
  CHECK(launcher.Launch(request, nullptr, nullptr).code() == absl::StatusCode::kInvalidArgument);

  request = ShellTrial(dir, UniqueMarker(), "true");
  request.trainer.command.clear();
  CHECK(launcher.Launch(request, nullptr, nullptr).code() == absl::StatusCode::kInvalidArgument);

  request = ShellTrial(dir, UniqueMarker(), "true");
  request.output_dir.clear();
  CHECK(launcher.Launch(request, nullptr, nullptr).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a trial id that is running cannot be launched twice") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  LocalLauncher launcher(FastOptions());
  Recorder first, second;
  const LaunchRequest request = ShellTrial(dir, marker, "sleep 1000");
  REQUIRE(launcher.Launch(request, nullptr, first.OnExit()).ok());
  CHECK(launcher.Launch(request, nullptr, second.OnExit()).code() ==
        absl::StatusCode::kAlreadyExists);
  launcher.Stop(request.trial_id, "done");
  REQUIRE(first.WaitForExit());
  CHECK_FALSE(second.Exited());
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("timeout_s ends the trial as timed out") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  LaunchRequest request = ShellTrial(dir, marker, "sleep 1000 & sleep 1000", {1, 1, 1});
  request.trainer.timeout_s = 0.3;
  LocalLauncher launcher(FastOptions());
  Recorder recorder;
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(launcher.Launch(request, nullptr, recorder.OnExit()).ok());
  std::optional<ClusterExit> exit = recorder.WaitForExit();
  REQUIRE(exit);
  CHECK(std::chrono::steady_clock::now() - start >= milliseconds(300));
  CHECK(exit->kind == ClusterExit::Kind::kTimedOut);
  CHECK(exit->message == "timed out after 0.3 s (trainer.timeout_s)");
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("Stop ends the cluster as stopped, with the reason") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  LocalLauncher launcher(FastOptions());
  Recorder recorder;
  const LaunchRequest request =
      ShellTrial(dir, marker, "sleep 1000 & sleep 1000 & wait", {1, 2, 1}, 3);
  REQUIRE(launcher.Launch(request, nullptr, recorder.OnExit()).ok());
  REQUIRE(Eventually([&] { return CountMarkedProcesses(marker) == 12; }));
  launcher.Stop(3, "early stopping: median rule");
  launcher.Stop(3, "again");  // no effect
  launcher.Stop(99, "unknown trial");
  std::optional<ClusterExit> exit = recorder.WaitForExit();
  REQUIRE(exit);
  CHECK(exit->kind == ClusterExit::Kind::kStopped);
  CHECK(exit->message == "early stopping: median rule");
  CHECK(CountMarkedProcesses(marker) == 0);
  launcher.Stop(3, "after the end");  // no effect either
  std::this_thread::sleep_for(milliseconds(50));
  CHECK(recorder.exit_calls() == 1);
}

TEST_CASE("processes that ignore SIGTERM are killed after the grace period") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  LocalLauncher launcher(FastOptions());
  Recorder recorder;
  // sleep inherits the ignored SIGTERM; the grandchild too.
  const LaunchRequest request =
      ShellTrial(dir, marker, "trap '' TERM; sleep 1000 & sleep 1000 & wait", {1, 1, 0});
  REQUIRE(launcher.Launch(request, nullptr, recorder.OnExit()).ok());
  REQUIRE(Eventually([&] { return CountMarkedProcesses(marker) == 6; }));
  const auto stop = std::chrono::steady_clock::now();
  launcher.Stop(request.trial_id, "stop");
  std::optional<ClusterExit> exit = recorder.WaitForExit();
  REQUIRE(exit);
  CHECK(std::chrono::steady_clock::now() - stop >= milliseconds(200));
  CHECK(exit->kind == ClusterExit::Kind::kStopped);
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("a grandchild left behind by a rank that exited is ended with the cluster") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  // The worker exits 0 at once, leaving its background sleep behind.
  const std::string script = R"(
    if [ "$TUNER_TASK_TYPE" = chief ]; then sleep 0.5; exit 0; fi
    sleep 1000 > /dev/null 2>&1 &
    exit 0
  )";
  LocalLauncher launcher(FastOptions());
  Recorder recorder;
  REQUIRE(
      launcher.Launch(ShellTrial(dir, marker, script, {1, 1, 0}), nullptr, recorder.OnExit()).ok());
  std::optional<ClusterExit> exit = recorder.WaitForExit();
  REQUIRE(exit);
  CHECK(exit->kind == ClusterExit::Kind::kSucceeded);
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("each rank's stdout and stderr go to its own log") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  const std::string script = R"(
    echo "out of $TUNER_TASK_TYPE-$TUNER_TASK_INDEX"
    sleep 0.05
    echo "err of $TUNER_TASK_TYPE-$TUNER_TASK_INDEX" >&2
    if [ "$TUNER_TASK_TYPE" = chief ]; then sleep 0.3; exit 0; fi
    exec sleep 1000
  )";
  for (MetricSource source : {MetricSource::kGrpc, MetricSource::kStdout}) {
    DYNAMIC_SECTION("metrics source " << ToString(source)) {
      LaunchRequest request = ShellTrial(dir, marker, script, {1, 1, 0});
      request.trainer.metrics.source = source;
      LocalLauncher launcher(FastOptions());
      Recorder recorder;
      REQUIRE(launcher.Launch(request, recorder.OnMeasurement(), recorder.OnExit()).ok());
      REQUIRE(recorder.WaitForExit());
      const std::string logs = request.output_dir + "/logs/";
      CHECK(ReadFile(logs + "chief-0.log") == "out of chief-0\nerr of chief-0\n");
      CHECK(ReadFile(logs + "worker-0.log") == "out of worker-0\nerr of worker-0\n");
      CHECK(recorder.measurements().empty());
      CHECK(CountMarkedProcesses(marker) == 0);
    }
  }
}

TEST_CASE("metrics printed by the chief are reported before the exit") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  const std::string script = R"(
    if [ "$TUNER_TASK_TYPE" != chief ]; then echo "loss=123"; exec sleep 1000; fi
    echo "starting from path=/tmp/data seed=7"
    echo "epoch=1 loss=0.5"
    sleep 0.1
    echo "warning: slow" >&2
    echo "epoch=2 loss=0.25 acc=0.9 bad=inf"
    echo "debug: batch=128 took=0.10"
    printf 'epoch=3 loss=0.125'
  )";
  LaunchRequest request = ShellTrial(dir, marker, script, {1, 1, 0});
  request.trainer.metrics.source = MetricSource::kStdout;
  LocalLauncher launcher(FastOptions());
  Recorder recorder;
  REQUIRE(launcher.Launch(request, recorder.OnMeasurement(), recorder.OnExit()).ok());
  std::optional<ClusterExit> exit = recorder.WaitForExit();
  REQUIRE(exit);
  CHECK(exit->kind == ClusterExit::Kind::kSucceeded);

  const std::vector<Measurement> measurements = recorder.measurements();
  REQUIRE(measurements.size() == 3);
  CHECK(recorder.measurements_at_exit() == 3);
  CHECK(measurements[0].step == 1);
  CHECK(measurements[0].metrics == std::map<std::string, double>{{"loss", 0.5}});
  CHECK(measurements[1].step == 2);
  CHECK(measurements[1].metrics == std::map<std::string, double>{{"loss", 0.25}, {"acc", 0.9}});
  CHECK(measurements[2].step == 3);
  CHECK(measurements[2].metrics == std::map<std::string, double>{{"loss", 0.125}});
  // Elapsed time counts from the cluster's start, taken when each line is read: line 2
  // follows a 0.1 s sleep, so it cannot be earlier than that however late line 1 was read.
  CHECK(measurements[0].elapsed_secs >= 0);
  CHECK(measurements[1].elapsed_secs >= 0.1);
  CHECK(measurements[1].elapsed_secs >= measurements[0].elapsed_secs);
  CHECK(measurements[2].elapsed_secs >= measurements[1].elapsed_secs);
  CHECK(ReadFile(request.output_dir + "/logs/chief-0.log") ==
        "starting from path=/tmp/data seed=7\nepoch=1 loss=0.5\nwarning: slow\n"
        "epoch=2 loss=0.25 acc=0.9 bad=inf\ndebug: batch=128 took=0.10\nepoch=3 loss=0.125");
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("a custom metrics pattern") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  LaunchRequest request =
      ShellTrial(dir, marker, "echo 'epoch 4 - loss: 0.3 - val_acc: 0.8'", {1, 0, 0});
  request.trainer.metrics = {MetricSource::kStdout, R"((\w+):? ([0-9.]+))"};
  LocalLauncher launcher(FastOptions());
  Recorder recorder;
  REQUIRE(launcher.Launch(request, recorder.OnMeasurement(), recorder.OnExit()).ok());
  REQUIRE(recorder.WaitForExit());
  const std::vector<Measurement> measurements = recorder.measurements();
  REQUIRE(measurements.size() == 1);
  CHECK(measurements[0].step == 4);
  CHECK(measurements[0].metrics == std::map<std::string, double>{{"loss", 0.3}, {"val_acc", 0.8}});
}

TEST_CASE("hypertune: the chief's metric file is read while it runs and to its end at exit") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  // Like cloudml-hypertune, each report rewrites the whole file. The chief
  // waits (at most ~10 s, then fails) for the test to have received its first
  // report, so that one was read while it ran; the last line has no newline.
  const std::string script = R"(
    if [ "$TUNER_TASK_TYPE" != chief ]; then
      echo '{"global_step": "1", "loss": "99"}' > "$CLOUD_ML_HP_METRIC_FILE"
      exec sleep 1000
    fi
    one='{"global_step": "1", "loss": "0.5", "timestamp": 1.5, "trial": "1"}'
    two='{"global_step": "2", "loss": "0.25", "timestamp": 2.5, "trial": "1"}'
    echo "$one" > "$CLOUD_ML_HP_METRIC_FILE"
    i=0
    while [ ! -e "$TUNER_OUTPUT_DIR/ack" ]; do
      i=$((i + 1)); [ $i -lt 500 ] || exit 3; sleep 0.02
    done
    printf '%s\n%s\n' "$one" "$two" > "$CLOUD_ML_HP_METRIC_FILE"
    printf '%s\n%s\n{"global_step": 3, "loss": 0.125, "acc": 0.9}' "$one" "$two" \
      > "$CLOUD_ML_HP_METRIC_FILE"
  )";
  LaunchRequest request = ShellTrial(dir, marker, script, {1, 1, 0});
  request.trainer.metrics.source = MetricSource::kHypertune;
  request.trainer.metrics.names = {"loss"};
  std::filesystem::create_directories(request.output_dir + "/hypertune");
  WriteFile(request.output_dir + "/hypertune/chief-0.metrics",
            R"({"global_step": "9", "loss": "7"})"
            "\n");  // an earlier launch's: removed
  LocalLauncherOptions options = FastOptions();
  options.metric_file_interval = milliseconds(10);
  LocalLauncher launcher(options);
  Recorder recorder;
  Launcher::MeasurementCallback record = recorder.OnMeasurement();
  const std::string ack = request.output_dir + "/ack";
  auto on_measurement = [&](int64_t trial_id, const Measurement& measurement) {
    record(trial_id, measurement);
    WriteFile(ack, "");
  };
  REQUIRE(launcher.Launch(request, on_measurement, recorder.OnExit()).ok());
  std::optional<ClusterExit> exit = recorder.WaitForExit();
  REQUIRE(exit);
  CHECK(exit->kind == ClusterExit::Kind::kSucceeded);
  const std::vector<Measurement> measurements = recorder.measurements();
  REQUIRE(measurements.size() == 3);
  CHECK(recorder.measurements_at_exit() == 3);
  CHECK(measurements[0].step == 1);
  CHECK(measurements[0].metrics == std::map<std::string, double>{{"loss", 0.5}});
  CHECK(measurements[1].step == 2);
  CHECK(measurements[2].step == 3);
  CHECK(measurements[2].metrics == std::map<std::string, double>{{"loss", 0.125}});
  // The worker wrote its own file, which is not the trial's.
  CHECK(ReadFile(request.output_dir + "/hypertune/worker-0.metrics") ==
        "{\"global_step\": \"1\", \"loss\": \"99\"}\n");
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("cpus_per_rank pins each rank to CPUs of its own while there are enough") {
  const std::vector<int> allowed = AllowedCpus();
  REQUIRE_FALSE(allowed.empty());
  TempDir dir;
  const std::string marker = UniqueMarker();
  // Each rank writes the CPUs it may run on, as the kernel sees them; the
  // chief waits for the worker's file, so both run at the same time.
  const std::string script = R"(
    grep Cpus_allowed_list /proc/self/status | cut -f2 > "$TUNER_OUTPUT_DIR/cpus-$TUNER_TASK_TYPE.tmp"
    mv "$TUNER_OUTPUT_DIR/cpus-$TUNER_TASK_TYPE.tmp" "$TUNER_OUTPUT_DIR/cpus-$TUNER_TASK_TYPE"
    if [ "$TUNER_TASK_TYPE" != chief ]; then exec sleep 1000; fi
    i=0
    while [ ! -e "$TUNER_OUTPUT_DIR/cpus-worker" ]; do
      i=$((i + 1)); [ $i -lt 500 ] || exit 3; sleep 0.02
    done
  )";
  LaunchRequest request = ShellTrial(dir, marker, script, {1, 1, 0});
  request.trainer.resources.cpus_per_rank = 1;
  LocalLauncherOptions options = FastOptions();
  std::vector<std::string> notices;
  options.log = [&](const std::string& notice) { notices.push_back(notice); };
  SECTION("two CPUs: one each") {
    if (allowed.size() < 2) return;  // nothing to tell apart
    options.cpus = {allowed[0], allowed[1]};
    LocalLauncher launcher(options);
    Recorder recorder;
    REQUIRE(launcher.Launch(request, recorder.OnMeasurement(), recorder.OnExit()).ok());
    std::optional<ClusterExit> exit = recorder.WaitForExit();
    REQUIRE(exit);
    CHECK(exit->kind == ClusterExit::Kind::kSucceeded);
    CHECK(ReadFile(request.output_dir + "/cpus-chief") == std::to_string(allowed[0]) + "\n");
    CHECK(ReadFile(request.output_dir + "/cpus-worker") == std::to_string(allowed[1]) + "\n");
    for (const std::string& notice : notices)
      CHECK(notice.find("cpus_per_rank") == std::string::npos);
  }
  SECTION("one CPU: the ranks share it, and the launcher says so") {
    options.cpus = {allowed[0]};
    LocalLauncher launcher(options);
    Recorder recorder;
    REQUIRE(launcher.Launch(request, recorder.OnMeasurement(), recorder.OnExit()).ok());
    std::optional<ClusterExit> exit = recorder.WaitForExit();
    REQUIRE(exit);
    CHECK(exit->kind == ClusterExit::Kind::kSucceeded);
    CHECK(ReadFile(request.output_dir + "/cpus-chief") == std::to_string(allowed[0]) + "\n");
    CHECK(ReadFile(request.output_dir + "/cpus-worker") == std::to_string(allowed[0]) + "\n");
    bool told = false;
    for (const std::string& notice : notices) {
      told = told || notice.find("ranks now share the least-used ones") != std::string::npos;
    }
    CHECK(told);
  }
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("StopAll ends every cluster and returns once all have reported") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  LocalLauncher launcher(FastOptions());
  std::vector<std::unique_ptr<Recorder>> recorders;
  for (int64_t id = 1; id <= 3; ++id) {
    recorders.push_back(std::make_unique<Recorder>());
    REQUIRE(launcher
                .Launch(ShellTrial(dir, marker, "sleep 1000 & trap '' TERM; sleep 1000 & wait",
                                   {1, 1, 0}, id),
                        nullptr, recorders.back()->OnExit())
                .ok());
  }
  REQUIRE(Eventually([&] { return CountMarkedProcesses(marker) == 18; }));
  launcher.StopAll();
  for (int64_t id = 1; id <= 3; ++id) {
    Recorder& recorder = *recorders[id - 1];
    REQUIRE(recorder.Exited());
    CHECK(recorder.exit_calls() == 1);
    CHECK(recorder.trial_id() == id);
    CHECK(recorder.WaitForExit()->kind == ClusterExit::Kind::kStopped);
  }
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("destroying the launcher stops its clusters") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  Recorder recorder;
  {
    LocalLauncher launcher(FastOptions());
    REQUIRE(launcher
                .Launch(ShellTrial(dir, marker, "sleep 1000 & sleep 1000", {1, 1, 1}), nullptr,
                        recorder.OnExit())
                .ok());
  }
  REQUIRE(recorder.Exited());
  CHECK(recorder.WaitForExit()->kind == ClusterExit::Kind::kStopped);
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("an exit callback may launch the next trial") {
  TempDir dir;
  const std::string marker = UniqueMarker();
  LocalLauncher launcher(FastOptions());
  Recorder second;
  absl::Status relaunch = absl::UnknownError("not called");
  LaunchRequest next = ShellTrial(dir, marker, "exit 0", {1, 1, 0}, 2);
  REQUIRE(launcher
              .Launch(ShellTrial(dir, marker, "exit 0", {1, 0, 0}, 1), nullptr,
                      [&](int64_t, const ClusterExit&) {
                        relaunch = launcher.Launch(next, nullptr, second.OnExit());
                      })
              .ok());
  std::optional<ClusterExit> exit = second.WaitForExit();
  REQUIRE(exit);
  CHECK(relaunch.ok());
  CHECK(exit->kind == ClusterExit::Kind::kSucceeded);
  CHECK(CountMarkedProcesses(marker) == 0);
}

}  // namespace
}  // namespace tuner
