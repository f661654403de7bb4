// SlurmLauncher against a real Slurm cluster (scripts/slurm_start.sh starts a
// one-node one on this machine). Registered as the ctest test
// e2e/slurm-launcher; every test fails at once, saying so, when no cluster
// answers.
#include "trial_runner/slurm_launcher.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "tests/trial_runner/test_processes.h"
#include "trial_runner/slurm_command.h"
#include "trial_runner/slurm_state.h"

namespace tuner {
namespace {

using namespace std::chrono_literals;
using testing::CountMarkedProcesses;
using testing::Eventually;
using testing::ReadFile;
using testing::Recorder;
using testing::TempDir;
using testing::UniqueMarker;

void RequireCluster() {
  absl::StatusOr<CommandResult> nodes = RunCommand({"sinfo", "-h", "-o", "%T"}, 20s);
  const bool up = nodes.ok() && nodes->ok() &&
                  (nodes->output.find("idle") != std::string::npos ||
                   nodes->output.find("mixed") != std::string::npos ||
                   nodes->output.find("allocated") != std::string::npos);
  if (!up) {
    FAIL(
        "the Slurm cluster is not up (sinfo: "
        << (nodes.ok() ? nodes->ErrorText() + nodes->output : std::string(nodes.status().message()))
        << "); start it with `sudo scripts/slurm_start.sh` (.ci/run does)");
  }
}

SlurmJobInfo JobInfo(int64_t job_id) {
  absl::StatusOr<CommandResult> shown =
      RunCommand({"scontrol", "-o", "show", "job", std::to_string(job_id)}, 20s);
  REQUIRE(shown.ok());
  INFO(shown->ErrorText());
  REQUIRE(shown->ok());
  absl::StatusOr<SlurmJobInfo> info = ParseScontrolJob(shown->output);
  REQUIRE(info.ok());
  return *info;
}

// A trial of `workers` + 1 ranks running `script` (sh -c), marked with `marker`.
LaunchRequest Request(const TempDir& dir, const std::string& marker, int64_t trial_id,
                      const std::string& script, int workers = 2) {
  LaunchRequest request;
  request.study = "slurm-e2e";
  request.trial_id = trial_id;
  request.trainer.command = {"/bin/sh", "-c", script};
  request.trainer.cluster = {1, workers, 0};
  request.trainer.backend = Backend::kSlurm;
  request.trainer.env = {{testing::kMarkerVariable, marker}};
  request.trainer.slurm.time_limit = "5";
  request.output_dir = dir / ("trial-" + std::to_string(trial_id));
  request.endpoint = "127.0.0.1:1";
  return request;
}

SlurmLauncherOptions FastOptions() {
  SlurmLauncherOptions options;
  options.poll_interval = 250ms;
  return options;
}

constexpr char kRecordEnv[] =
    "env > \"$TUNER_OUTPUT_DIR/env-$TUNER_TASK_TYPE-$TUNER_TASK_INDEX\"; ";

TEST_CASE("a chief and 2 workers run as one Slurm job; the chief's exit ends it") {
  RequireCluster();
  TempDir dir;
  const std::string marker = UniqueMarker();
  LaunchRequest request =
      Request(dir, marker, 1,
              std::string(kRecordEnv) +
                  "if [ \"$TUNER_TASK_TYPE\" = chief ]; then sleep 1; echo 'step=1 loss=0.5';"
                  " echo 'step=2 loss=0.25'; else exec sleep 300; fi");
  request.trainer.metrics.source = MetricSource::kStdout;
  request.trainer.metrics.step_key = "step";
  SlurmLauncher launcher(FastOptions());
  Recorder recorder;
  REQUIRE(launcher.Launch(request, recorder.OnMeasurement(), recorder.OnExit()).ok());
  const std::string handle = launcher.Handle(1);
  const std::optional<int64_t> job_id = ParseSlurmJobId(handle);
  REQUIRE(job_id.has_value());

  const std::optional<ClusterExit> exit = recorder.WaitForExit(60s);
  REQUIRE(exit.has_value());
  INFO(exit->message << "\n" << exit->log_tail);
  CHECK(exit->kind == ClusterExit::Kind::kSucceeded);
  CHECK(launcher.Handle(1).empty());
  const auto measurements = recorder.measurements();
  REQUIRE(measurements.size() == 2);
  CHECK(measurements[1].step == 2);
  CHECK(measurements[1].metrics.at("loss") == 0.25);
  for (const char* rank : {"chief-0", "worker-0", "worker-1"}) {
    const std::string env = ReadFile(request.output_dir + "/env-" + rank);
    INFO(rank);
    CHECK_THAT(env, Catch::Contains("SLURM_JOB_ID=" + std::to_string(*job_id) + "\n"));
    CHECK_THAT(env, Catch::Contains("TUNER_TRIAL_ID=1\n"));
  }
  CHECK(JobInfo(*job_id).state == "COMPLETED");
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("a failing rank fails the job; the message names it, with its log") {
  RequireCluster();
  TempDir dir;
  const std::string marker = UniqueMarker();
  const LaunchRequest request =
      Request(dir, marker, 2,
              "if [ \"$TUNER_TASK_TYPE:$TUNER_TASK_INDEX\" = worker:1 ]; then sleep 1;"
              " echo 'worker 1 gives up'; exit 3; else exec sleep 300; fi");
  SlurmLauncher launcher(FastOptions());
  Recorder recorder;
  REQUIRE(launcher.Launch(request, recorder.OnMeasurement(), recorder.OnExit()).ok());
  const int64_t job_id = *ParseSlurmJobId(launcher.Handle(2));
  const std::optional<ClusterExit> exit = recorder.WaitForExit(60s);
  REQUIRE(exit.has_value());
  CHECK(exit->kind == ClusterExit::Kind::kFailed);
  CHECK_THAT(exit->message, Catch::StartsWith("rank worker:1 exited with code 3"));
  CHECK_THAT(exit->log_tail, Catch::Contains("worker 1 gives up"));
  const SlurmJobInfo info = JobInfo(job_id);
  CHECK(info.state == "FAILED");
  CHECK(info.exit_code == 3);
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("Stop cancels the whole job and every task ends") {
  RequireCluster();
  TempDir dir;
  const std::string marker = UniqueMarker();
  const LaunchRequest request = Request(dir, marker, 3, std::string(kRecordEnv) + "exec sleep 300");
  SlurmLauncher launcher(FastOptions());
  Recorder recorder;
  REQUIRE(launcher.Launch(request, recorder.OnMeasurement(), recorder.OnExit()).ok());
  const int64_t job_id = *ParseSlurmJobId(launcher.Handle(3));
  REQUIRE(Eventually([&] { return CountMarkedProcesses(marker) >= 3; }, 30s));
  launcher.Stop(3, "stop decision");
  const std::optional<ClusterExit> exit = recorder.WaitForExit(60s);
  REQUIRE(exit.has_value());
  CHECK(exit->kind == ClusterExit::Kind::kStopped);
  CHECK(exit->message == "stop decision");
  CHECK(JobInfo(job_id).state == "CANCELLED");
  CHECK(CountMarkedProcesses(marker) == 0);
  CHECK(recorder.exit_calls() == 1);
}

TEST_CASE("trainer.timeout_s cancels the job and reports a timeout") {
  RequireCluster();
  TempDir dir;
  const std::string marker = UniqueMarker();
  LaunchRequest request = Request(dir, marker, 4, "exec sleep 300", /*workers=*/0);
  request.trainer.timeout_s = 2;
  SlurmLauncher launcher(FastOptions());
  Recorder recorder;
  REQUIRE(launcher.Launch(request, recorder.OnMeasurement(), recorder.OnExit()).ok());
  const std::optional<ClusterExit> exit = recorder.WaitForExit(60s);
  REQUIRE(exit.has_value());
  CHECK(exit->kind == ClusterExit::Kind::kTimedOut);
  CHECK_THAT(exit->message, Catch::Contains("timed out after 2 s"));
  CHECK(CountMarkedProcesses(marker) == 0);
}

TEST_CASE("after a restart, a running job is adopted by its handle; an ended one is not") {
  RequireCluster();
  TempDir dir;
  const std::string marker = UniqueMarker();
  const LaunchRequest request = Request(dir, marker, 5, "exec sleep 300", /*workers=*/1);
  std::string handle;
  {
    SlurmLauncherOptions options = FastOptions();
    options.cancel_on_destroy = false;  // the runner "dies"; its job runs on
    SlurmLauncher first(options);
    Recorder ignored;
    REQUIRE(first.Launch(request, ignored.OnMeasurement(), ignored.OnExit()).ok());
    handle = first.Handle(5);
  }
  const int64_t job_id = *ParseSlurmJobId(handle);
  REQUIRE(Eventually([&] { return CountMarkedProcesses(marker) >= 2; }, 30s));

  SlurmLauncher second(FastOptions());
  Recorder recorder;
  LaunchRequest other = request;
  other.trial_id = 6;  // another trial's job is not ours to take
  CHECK(second.Adopt(other, handle, recorder.OnMeasurement(), recorder.OnExit()).code() ==
        absl::StatusCode::kNotFound);
  CHECK(second.Adopt(request, "local:123", recorder.OnMeasurement(), recorder.OnExit()).code() ==
        absl::StatusCode::kNotFound);
  REQUIRE(second.Adopt(request, handle, recorder.OnMeasurement(), recorder.OnExit()).ok());
  CHECK(second.Handle(5) == handle);
  std::this_thread::sleep_for(1s);
  CHECK_FALSE(recorder.Exited());  // still running, still tracked
  second.Stop(5, "stopped after adoption");
  const std::optional<ClusterExit> exit = recorder.WaitForExit(60s);
  REQUIRE(exit.has_value());
  CHECK(exit->kind == ClusterExit::Kind::kStopped);
  CHECK(JobInfo(job_id).state == "CANCELLED");
  CHECK(CountMarkedProcesses(marker) == 0);

  Recorder late;
  CHECK(second.Adopt(request, handle, late.OnMeasurement(), late.OnExit()).code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("Reap cancels a job left by a previous run and waits until it has ended") {
  RequireCluster();
  TempDir dir;
  const std::string marker = UniqueMarker();
  const LaunchRequest request = Request(dir, marker, 7, "exec sleep 300", /*workers=*/0);
  std::string handle;
  {
    SlurmLauncherOptions options = FastOptions();
    options.cancel_on_destroy = false;
    SlurmLauncher first(options);
    Recorder ignored;
    REQUIRE(first.Launch(request, ignored.OnMeasurement(), ignored.OnExit()).ok());
    handle = first.Handle(7);
  }
  REQUIRE(Eventually([&] { return CountMarkedProcesses(marker) >= 1; }, 30s));
  SlurmLauncher second(FastOptions());
  second.Reap(request, handle);
  CHECK(JobInfo(*ParseSlurmJobId(handle)).state == "CANCELLED");
  const bool gone = Eventually([&] { return CountMarkedProcesses(marker) == 0; }, 10s);
  if (!gone) {
    absl::StatusOr<CommandResult> ps = RunCommand({"ps", "-eo", "pid,ppid,stat,etimes,args"}, 20s);
    absl::StatusOr<CommandResult> queue = RunCommand({"squeue", "-t", "all"}, 20s);
    FAIL_CHECK("left running:\n"
               << (ps.ok() ? ps->output : "") << "\n"
               << (queue.ok() ? queue->output : ""));
  }
}

TEST_CASE("a job sbatch refuses makes Launch fail with sbatch's message") {
  RequireCluster();
  TempDir dir;
  LaunchRequest request = Request(dir, UniqueMarker(), 8, "true", 0);
  request.trainer.slurm.partition = "no-such-partition";
  SlurmLauncher launcher(FastOptions());
  Recorder recorder;
  const absl::Status status = launcher.Launch(request, recorder.OnMeasurement(), recorder.OnExit());
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(status.message()), Catch::Contains("partition"));
  CHECK(launcher.Handle(8).empty());
}

}  // namespace
}  // namespace tuner
