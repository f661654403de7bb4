// No process outlives its trial: a rank's `setsid` grandchild ends with the
// trial (cgroup and fallback), and every rank and grandchild ends within 5 s
// when the launcher's process is SIGKILLed. Real processes; the cgroup cases
// need a writable cgroup v2 hierarchy (root on CI) and say so when skipped.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/trial_runner/test_processes.h"
#include "trial_runner/cgroup.h"
#include "trial_runner/child_process.h"
#include "trial_runner/local_launcher.h"

namespace tuner {
namespace {

using std::chrono::milliseconds;
using testing::CountMarkedProcesses;
using testing::Eventually;
using testing::ReadFile;
using testing::Recorder;
using testing::TempDir;
using testing::UniqueMarker;

// Each rank starts a grandchild in a session of its own (so outside the
// rank's process group) that writes its pid to
// $TUNER_OUTPUT_DIR/grandchild-<type>-<index>.pid and sleeps for 10 minutes;
// the rank waits for that file, then runs `rest`.
std::string RankScript(const std::string& rest) {
  return "f=\"$TUNER_OUTPUT_DIR/grandchild-$TUNER_TASK_TYPE-$TUNER_TASK_INDEX.pid\"; "
         "setsid /bin/sh -c 'echo $$ > \"$1.tmp\"; mv \"$1.tmp\" \"$1\"; exec sleep 600' "
         "grandchild \"$f\" </dev/null >/dev/null 2>&1 & "
         "while [ ! -s \"$f\" ]; do sleep 0.02; done; " +
         rest;
}

LaunchRequest Trial(const TempDir& dir, const std::string& marker, const std::string& script,
                    ClusterSpec cluster = {1, 0, 0}, int64_t trial_id = 1) {
  LaunchRequest request;
  request.study = "orphans-test";
  request.trial_id = trial_id;
  request.trainer.command = {"/bin/sh", "-c", script, "trainer"};
  request.trainer.cluster = cluster;
  request.trainer.env = {{testing::kMarkerVariable, marker}};
  request.output_dir = dir / ("trial-" + std::to_string(trial_id));
  request.endpoint = "127.0.0.1:1";
  return request;
}

LocalLauncherOptions Options(bool cgroups) {
  LocalLauncherOptions options;
  options.grace_period = milliseconds(200);
  options.kill_wait = milliseconds(2000);
  options.poll_interval = milliseconds(10);
  options.use_cgroups = cgroups;
  options.log = [](const std::string&) {};
  return options;
}

pid_t ReadPid(const std::string& path) {
  return static_cast<pid_t>(std::atol(ReadFile(path).c_str()));
}

// The cgroup v2 path of a live process ("0::/tuner/run-1/trial-1/chief-0").
std::string CgroupOf(pid_t pid) { return ReadFile("/proc/" + std::to_string(pid) + "/cgroup"); }

// Whether this machine lets us make cgroups; when not, the cgroup cases are
// skipped (never on CI, which runs as root on a hybrid layout).
bool CgroupsAvailable() {
  const std::string mount = CurrentCgroup2Mount();
  if (mount.empty() || !std::filesystem::exists(mount + "/cgroup.procs")) return false;
  const std::string probe = mount + "/tuner-probe-" + std::to_string(::getpid());
  if (!MakeCgroup(probe).ok()) return false;
  const bool kill = std::filesystem::exists(probe + "/cgroup.kill");
  (void)RemoveCgroup(probe);
  return kill;
}

std::string RunCgroup() {
  return CurrentCgroup2Mount() + "/tuner/run-" + std::to_string(::getpid());
}

TEST_CASE("FindCgroup2Mount reads mountinfo", "[cgroup]") {
  const std::string hybrid =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n";
  CHECK(FindCgroup2Mount(hybrid) == "/sys/fs/cgroup/unified");
  CHECK(
      FindCgroup2Mount("29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n") ==
      "/sys/fs/cgroup");
  CHECK(FindCgroup2Mount("29 23 0:26 / /my\\040cgroups rw - cgroup2 none rw\n") == "/my cgroups");
  CHECK(FindCgroup2Mount("35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n")
            .empty());
  CHECK(FindCgroup2Mount("").empty());
}

TEST_CASE("a child spawned with kill_with_parent dies with the thread that spawned it",
          "[child_process]") {
  ChildSpec spec;
  spec.argv = {"/bin/sleep", "600"};
  spec.kill_with_parent = true;
  pid_t pid = -1;
  std::thread spawner([&] {
    absl::StatusOr<pid_t> spawned = SpawnInNewProcessGroup(spec);
    if (spawned.ok()) pid = *spawned;
  });
  spawner.join();
  REQUIRE(pid > 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);  // would hang for 10 minutes without
  CHECK(DescribeWaitStatus(status) == "killed by signal 9 (Killed)");
}

TEST_CASE("a setsid grandchild ends with its trial", "[local_launcher][orphans]") {
  const bool cgroups = GENERATE(true, false);
  if (cgroups && !CgroupsAvailable()) {
    WARN("cgroup v2 is not writable here: the cgroup case is skipped");
    return;
  }
  CAPTURE(cgroups);
  TempDir dir;
  const std::string marker = UniqueMarker();
  LocalLauncher launcher(Options(cgroups));

  SECTION("when the trial completes") {
    Recorder recorder;
    // The chief exits once the worker's grandchild runs too.
    LaunchRequest request = Trial(dir, marker,
                                  RankScript("while [ ! -s \"$TUNER_OUTPUT_DIR/"
                                             "grandchild-worker-0.pid\" ]; do sleep 0.02; done; "
                                             "exit 0"),
                                  {1, 1, 0});
    REQUIRE(launcher.Launch(request, recorder.OnMeasurement(), recorder.OnExit()).ok());
    std::optional<ClusterExit> exit = recorder.WaitForExit();
    REQUIRE(exit);
    CHECK(exit->kind == ClusterExit::Kind::kSucceeded);
    // The grandchildren ran (and left their ranks' groups) ...
    CHECK(ReadPid(request.output_dir + "/grandchild-chief-0.pid") > 1);
    CHECK(ReadPid(request.output_dir + "/grandchild-worker-0.pid") > 1);
    // ... and none outlived the exit callback.
    CHECK(CountMarkedProcesses(marker) == 0);
    if (cgroups) CHECK_FALSE(std::filesystem::exists(RunCgroup() + "/trial-1"));
  }

  SECTION("when the trial is stopped early") {
    Recorder recorder;
    LaunchRequest request = Trial(dir, marker, RankScript("exec sleep 600"), {1, 1, 0}, 2);
    REQUIRE(launcher.Launch(request, recorder.OnMeasurement(), recorder.OnExit()).ok());
    const std::string chief_file = request.output_dir + "/grandchild-chief-0.pid";
    const std::string worker_file = request.output_dir + "/grandchild-worker-0.pid";
    REQUIRE(Eventually([&] { return ReadPid(chief_file) > 1 && ReadPid(worker_file) > 1; }));
    const pid_t grandchild = ReadPid(chief_file);
    if (cgroups) {
      // Born in its rank's group, although it left the process group.
      CHECK(CgroupOf(grandchild)
                .find("/tuner/run-" + std::to_string(::getpid()) + "/trial-2/chief-0") !=
            std::string::npos);
    } else {
      CHECK(CgroupOf(grandchild).find("/tuner/") == std::string::npos);
    }
    // Two ranks, two grandchildren.
    CHECK(Eventually([&] { return CountMarkedProcesses(marker) == 4; }));
    launcher.Stop(2, "enough");
    std::optional<ClusterExit> exit = recorder.WaitForExit();
    REQUIRE(exit);
    CHECK(exit->kind == ClusterExit::Kind::kStopped);
    CHECK(CountMarkedProcesses(marker) == 0);
    if (cgroups) CHECK_FALSE(std::filesystem::exists(RunCgroup() + "/trial-2"));
  }
}

TEST_CASE("TUNER_CGROUPS=0 turns cgroups off, and the launcher says so once",
          "[local_launcher][orphans]") {
  ::setenv("TUNER_CGROUPS", "0", 1);
  TempDir dir;
  const std::string marker = UniqueMarker();
  std::vector<std::string> notices;
  LocalLauncherOptions options = Options(true);
  options.log = [&](const std::string& notice) { notices.push_back(notice); };
  {
    LocalLauncher launcher(options);
    for (int64_t id = 1; id <= 2; ++id) {
      Recorder recorder;
      LaunchRequest request = Trial(dir, marker, RankScript("exit 0"), {1, 0, 0}, id);
      REQUIRE(launcher.Launch(request, recorder.OnMeasurement(), recorder.OnExit()).ok());
      REQUIRE(recorder.WaitForExit());
      CHECK(CountMarkedProcesses(marker) == 0);
    }
  }
  ::unsetenv("TUNER_CGROUPS");
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].find("TUNER_CGROUPS=0") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(RunCgroup()));
}

// Forks a process that launches two clusters of a chief and two workers, each
// rank with a setsid grandchild, and SIGKILLs it once all are running.
void KillLauncherMidTrial(bool cgroups) {
  TempDir dir;
  const std::string marker = UniqueMarker();
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t launcher_pid = ::fork();
  REQUIRE(launcher_pid >= 0);
  if (launcher_pid == 0) {  // the launcher's process: never returns
    ::close(ready[0]);
    LocalLauncher launcher(Options(cgroups));
    for (int64_t id = 1; id <= 2; ++id) {
      LaunchRequest request = Trial(dir, marker, RankScript("exec sleep 600"), {1, 2, 0}, id);
      if (!launcher.Launch(request, nullptr, nullptr).ok()) ::_exit(1);
    }
    if (!Eventually([&] { return CountMarkedProcesses(marker) == 12; })) ::_exit(2);
    const char byte = 'r';
    if (::write(ready[1], &byte, 1) != 1) ::_exit(3);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  char byte = 0;
  const bool started = ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  const std::string run_cgroup =
      CurrentCgroup2Mount() + "/tuner/run-" + std::to_string(launcher_pid);
  if (cgroups && started) CHECK(std::filesystem::exists(run_cgroup + "/trial-2/worker-1"));
  ::kill(launcher_pid, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(launcher_pid, &status, 0) == launcher_pid);
  REQUIRE(started);  // 6 ranks and 6 grandchildren were running
  CHECK(Eventually([&] { return CountMarkedProcesses(marker) == 0; }, milliseconds(5000)));
  if (cgroups) {
    CHECK(Eventually([&] { return !std::filesystem::exists(run_cgroup); }, milliseconds(5000)));
  }
}

TEST_CASE("every rank and descendant ends within 5 s when the launcher is SIGKILLed",
          "[local_launcher][orphans]") {
  const bool cgroups = GENERATE(true, false);
  if (cgroups && !CgroupsAvailable()) {
    WARN("cgroup v2 is not writable here: the cgroup case is skipped");
    return;
  }
  CAPTURE(cgroups);
  KillLauncherMidTrial(cgroups);
}

TEST_CASE("Reap ends and removes a trial's cgroup that a dead launcher left",
          "[local_launcher][reap][orphans]") {
  if (!CgroupsAvailable()) {
    WARN("cgroup v2 is not writable here: skipped");
    return;
  }
  const std::string mount = CurrentCgroup2Mount();
  pid_t dead = 4000000;  // a launcher pid that no longer exists
  while (::kill(dead, 0) == 0 || errno != ESRCH) ++dead;
  const std::string run = mount + "/tuner/run-" + std::to_string(dead);
  const std::string trial = run + "/trial-7";
  REQUIRE(MakeCgroup(mount + "/tuner").ok());
  REQUIRE(MakeCgroup(run).ok());
  REQUIRE(MakeCgroup(trial).ok());
  REQUIRE(MakeCgroup(trial + "/chief-0").ok());
  // Another trial's group of the same dead run, with nothing inside.
  REQUIRE(MakeCgroup(run + "/trial-8").ok());

  TempDir dir;
  const std::string marker = UniqueMarker();
  // A "rank" of trial 7 in that group, whose grandchild left its process
  // group and dropped the trial's marks: only the cgroup still finds it.
  ChildSpec spec;
  spec.argv = {"/bin/sh", "-c",
               "setsid env -u TUNER_STUDY -u TUNER_TRIAL_ID sleep 600 </dev/null >/dev/null 2>&1 "
               "& exec sleep 600"};
  spec.env = {{"PATH", "/usr/bin:/bin"},
              {"TUNER_STUDY", "reap-cgroup"},
              {"TUNER_TRIAL_ID", "7"},
              {"TUNER_OUTPUT_DIR", dir / "trial-7"},
              {testing::kMarkerVariable, marker}};
  spec.cgroup_procs_fd = ::open((trial + "/chief-0/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(spec.cgroup_procs_fd >= 0);
  absl::StatusOr<pid_t> rank = SpawnInNewProcessGroup(spec);
  ::close(spec.cgroup_procs_fd);
  REQUIRE(rank.ok());
  REQUIRE(Eventually([&] { return CountMarkedProcesses(marker) == 2; }));

  LocalLauncher launcher(Options(true));
  LaunchRequest request;
  request.study = "reap-cgroup";
  request.trial_id = 7;
  request.output_dir = dir / "trial-7";
  launcher.Reap(request, "");  // no handle: found through the cgroup
  int status = 0;
  CHECK(::waitpid(*rank, &status, 0) == *rank);
  CHECK(CountMarkedProcesses(marker) == 0);  // the grandchild too
  CHECK_FALSE(std::filesystem::exists(trial));
  CHECK_FALSE(std::filesystem::exists(run));  // the dead run's empty groups are gone
}

}  // namespace
}  // namespace tuner
