#include "trial_runner/child_process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <set>

#include "trial_runner/free_port.h"

namespace tuner {
namespace {

TEST_CASE("DescribeWaitStatus names the exit code or the signal") {
  CHECK(DescribeWaitStatus(3 << 8) == "exited with code 3");
  CHECK(DescribeWaitStatus(SIGKILL) == "killed by signal 9 (Killed)");
  CHECK(ExitedCleanly(0));
  CHECK_FALSE(ExitedCleanly(1 << 8));
  CHECK_FALSE(ExitedCleanly(SIGTERM));
}

TEST_CASE("ResolveProgram searches the child's PATH") {
  CHECK(*ResolveProgram("sh", "/nonexistent:/bin") == "/bin/sh");
  CHECK(*ResolveProgram("./train.sh", "") == "./train.sh");
  CHECK(ResolveProgram("sh", "/nonexistent").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("a spawned child leads its own process group") {
  ChildSpec spec;
  spec.argv = {"sh", "-c", "exit 5"};
  spec.env = {{"PATH", "/usr/bin:/bin"}};
  absl::StatusOr<pid_t> pid = SpawnInNewProcessGroup(spec);
  REQUIRE(pid.ok());
  CHECK(::getpgid(*pid) == *pid);
  int status = 0;
  REQUIRE(::waitpid(*pid, &status, 0) == *pid);
  CHECK(DescribeWaitStatus(status) == "exited with code 5");
}

TEST_CASE("a program that cannot run is an error, not a child") {
  ChildSpec spec;
  spec.argv = {"/nonexistent/trainer"};
  absl::StatusOr<pid_t> pid = SpawnInNewProcessGroup(spec);
  REQUIRE_FALSE(pid.ok());
  CHECK(pid.status().code() == absl::StatusCode::kNotFound);
  int status = 0;
  CHECK(::waitpid(-1, &status, WNOHANG) == -1);  // no child at all
}

TEST_CASE("free loopback ports are distinct") {
  absl::StatusOr<std::vector<int>> ports = PickFreeLoopbackPorts(8);
  REQUIRE(ports.ok());
  REQUIRE(ports->size() == 8);
  std::set<int> distinct(ports->begin(), ports->end());
  CHECK(distinct.size() == 8);
  absl::StatusOr<std::vector<int>> more = PickFreeLoopbackPorts(8);
  REQUIRE(more.ok());
  for (int port : *more) CHECK(distinct.count(port) == 0);  // recently handed out
}

}  // namespace
}  // namespace tuner
