// LocalLauncher::Reap ends the process groups a dead launcher left behind,
// and only those that carry the trial's marks.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "trial_runner/local_launcher.h"
#include "trial_runner/process_group.h"

namespace tuner {
namespace {

// A `sleep` in a process group of its own with the given environment.
pid_t SpawnGroup(const std::string& study, const std::string& trial) {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    setenv("TUNER_STUDY", study.c_str(), 1);
    setenv("TUNER_TRIAL_ID", trial.c_str(), 1);
    execl("/bin/sleep", "sleep", "1000", static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

bool Reaped(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 200; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) return true;
    usleep(10000);
  }
  return false;
}

TEST_CASE("Reap ends the trial's leftover groups and nothing else", "[local_launcher][reap]") {
  const pid_t ours = SpawnGroup("reap-study", "7");
  const pid_t other_trial = SpawnGroup("reap-study", "8");
  usleep(50000);  // let exec happen so /proc shows the environment
  REQUIRE(ProcessGroupCarries(ours, {{"TUNER_STUDY", "reap-study"}, {"TUNER_TRIAL_ID", "7"}}));

  LocalLauncherOptions options;
  options.grace_period = std::chrono::milliseconds(200);
  LocalLauncher launcher(options);
  LaunchRequest request;
  request.study = "reap-study";
  request.trial_id = 7;
  launcher.Reap(request, "local:" + std::to_string(ours) + "," + std::to_string(other_trial));
  CHECK(Reaped(ours));
  // The other trial's group is not ours to end.
  CHECK(ProcessGroupHasLiveMembers(other_trial));
  kill(-other_trial, SIGKILL);
  CHECK(Reaped(other_trial));
  launcher.Reap(request, "garbage");  // ignored
  launcher.Reap(request, "local:notanumber,1");
}

}  // namespace
}  // namespace tuner
