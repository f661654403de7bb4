// trial_runner/cgroup.h on a fake hierarchy (plain files in a temporary
// directory), and trainer.resources through a real LocalLauncher: applied
// where cgroup v2 offers the controllers, else said once and left out.
#include "trial_runner/cgroup.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/trial_runner/test_processes.h"
#include "trial_runner/local_launcher.h"

namespace tuner {
namespace {

using testing::ReadFile;
using testing::Recorder;
using testing::TempDir;

void Touch(const std::string& path, const std::string& content = "") {
  std::ofstream(path) << content;
}

TEST_CASE("CpuMax is a quota per 100 ms period", "[cgroup]") {
  CHECK(CpuMax(1.5) == "150000 100000");
  CHECK(CpuMax(2) == "200000 100000");
  CHECK(CpuMax(0.001) == "1000 100000");  // the kernel's minimum quota
}

TEST_CASE("EnableControllers writes subtree_control from the mount down", "[cgroup]") {
  TempDir dir;
  const std::string mount = dir.path().string();
  const std::string trial = mount + "/tuner/run-1/trial-2";
  std::filesystem::create_directories(trial);
  Touch(mount + "/cgroup.controllers", "cpuset cpu io memory pids\n");
  for (const std::string& group : {mount, mount + "/tuner", mount + "/tuner/run-1", trial}) {
    Touch(group + "/cgroup.subtree_control");
  }
  REQUIRE(EnableControllers(mount, trial, {"memory", "cpu"}).ok());
  for (const std::string& group : {mount, mount + "/tuner", mount + "/tuner/run-1", trial}) {
    CHECK(ReadFile(group + "/cgroup.subtree_control") == "+memory +cpu");
  }

  Touch(mount + "/cgroup.controllers", "cpu pids\n");
  const absl::Status missing = EnableControllers(mount, trial, {"memory", "cpu"});
  CHECK(missing.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(missing.message()) ==
        "the cgroup v2 hierarchy at " + mount + " has no memory controller");

  Touch(trial + "/memory.max");
  CHECK(WriteCgroupFile(trial, "memory.max", "1048576").ok());
  CHECK(ReadFile(trial + "/memory.max") == "1048576");
  CHECK(WriteCgroupFile(trial, "cpu.max", "1").code() == absl::StatusCode::kNotFound);
}

TEST_CASE("trainer.resources limit each rank's cgroup, or are said to be left out",
          "[local_launcher][cgroup]") {
  TempDir dir;
  std::vector<std::string> notices;
  LocalLauncherOptions options;
  options.grace_period = std::chrono::milliseconds(200);
  options.log = [&](const std::string& notice) { notices.push_back(notice); };
  LaunchRequest request;
  request.study = "resources-test";
  request.trial_id = 1;
  // The rank writes its own group's limits (or "none" outside cgroup v2).
  request.trainer.command = {
      "/bin/sh", "-c",
      "g=$(sed -n 's/^0:://p' /proc/self/cgroup); m=" + CurrentCgroup2Mount() +
          "; cat \"$m$g/memory.max\" \"$m$g/cpu.max\" > \"$TUNER_OUTPUT_DIR/limits\" 2>/dev/null "
          "|| echo none > \"$TUNER_OUTPUT_DIR/limits\""};
  request.trainer.resources.memory = int64_t{256} << 20;
  request.trainer.resources.cpus_per_rank = 0.5;
  request.output_dir = dir / "trial-1";
  {
    LocalLauncher launcher(options);
    Recorder recorder;
    REQUIRE(launcher.Launch(request, recorder.OnMeasurement(), recorder.OnExit()).ok());
    std::optional<ClusterExit> exit = recorder.WaitForExit();
    REQUIRE(exit);
    CHECK(exit->kind == ClusterExit::Kind::kSucceeded);
  }
  const std::string limits = ReadFile(request.output_dir + "/limits");
  const std::string mount = CurrentCgroup2Mount();
  std::istringstream offered(ReadFile(mount + "/cgroup.controllers"));
  bool memory = false, cpu = false;
  for (std::string name; offered >> name;) {
    memory = memory || name == "memory";
    cpu = cpu || name == "cpu";
  }
  const bool cgroups = ::geteuid() == 0 && !mount.empty();
  if (cgroups && memory && cpu) {
    CHECK(limits == "268435456\n50000 100000\n");
    CHECK(notices.empty());
  } else {
    // E.g. the hybrid layout, where memory and cpu are cgroup v1 controllers.
    WARN(
        "no memory/cpu controllers in cgroup v2 here: checking that the limits are said to be "
        "left out");
    CHECK(limits == "none\n");
    REQUIRE_FALSE(notices.empty());
    CHECK_THAT(notices.back(), Catch::StartsWith("trainer.resources not applied: "));
  }
}

}  // namespace
}  // namespace tuner
