// The Slurm job of a trial without a cluster: sbatch arguments from
// trainer.slurm, the batch script, and the per-task wrapper run by bash with
// the variables srun would set (a fake `scontrol` expands node lists).
#include "trial_runner/slurm_script.h"

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "trial_runner/cgroup.h"
#include "tests/trial_runner/test_processes.h"

namespace tuner {
namespace {

using Json = nlohmann::json;
using testing::ReadFile;
using testing::CountMarkedProcesses;
using testing::TempDir;
using testing::UniqueMarker;

LaunchRequest SlurmRequest(const std::string& output_dir) {
  LaunchRequest request;
  request.study = "digits";
  request.trial_id = 7;
  request.trainer.command = {"/usr/bin/python3", "train.py", "--epochs=10"};
  request.trainer.cluster = {1, 2, 1};
  request.trainer.env = {{"OMP_NUM_THREADS", "1"}, {"QUOTED", "it's \"x\" $HOME"}};
  request.trainer.backend = Backend::kSlurm;
  request.parameters = {{"learning_rate", 0.001}, {"optimizer", std::string("adam")}};
  request.working_dir = "/work/study";
  request.output_dir = output_dir;
  request.endpoint = "10.0.0.5:50051";
  return request;
}

void WriteExecutable(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
}

TEST_CASE("sbatch arguments: the defaults") {
  const std::vector<std::string> args = SbatchArguments(SlurmRequest("/shared/t/7"));
  CHECK(args == std::vector<std::string>{"--parsable", "--job-name=tuner.digits.7",
                                         "--output=/shared/t/7/logs/slurm-%j.log",
                                         "--chdir=/work/study", "--ntasks=4", "--cpus-per-task=1",
                                         "--no-requeue"});
}

TEST_CASE("sbatch arguments: every trainer.slurm key") {
  LaunchRequest request = SlurmRequest("/shared/100%/7");
  request.working_dir = "";
  request.trainer.cluster = {1, 0, 0};
  request.trainer.slurm.partition = "gpu,debug";
  request.trainer.slurm.time_limit = "1:30:00";
  request.trainer.slurm.cpus_per_task = 4;
  request.trainer.slurm.gpus_per_task = 1;
  request.trainer.slurm.extra_args = {"--qos", "high", "--overcommit"};
  CHECK(SbatchArguments(request) ==
        std::vector<std::string>{"--parsable", "--job-name=tuner.digits.7",
                                 "--output=/shared/100%%/7/logs/slurm-%j.log",
                                 "--chdir=/shared/100%/7", "--ntasks=1", "--cpus-per-task=4",
                                 "--gpus-per-task=1", "--partition=gpu,debug", "--time=1:30:00",
                                 "--no-requeue", "--qos", "high", "--overcommit"});
}

TEST_CASE("the batch script exports the shared contract and runs one task per rank") {
  LaunchRequest request = SlurmRequest("/shared/t/7");
  request.trainer.slurm.gpus_per_task = 2;
  const SlurmJobFiles job = BuildSlurmJob(request);
  CHECK(job.job_name == "tuner.digits.7");
  CHECK(job.batch_script_path == "/shared/t/7/slurm/job.sh");
  CHECK(job.task_script_path == "/shared/t/7/slurm/task.sh");
  CHECK(job.sbatch_args.back() == "/shared/t/7/slurm/job.sh");
  const std::string& script = job.batch_script;
  CHECK(script.rfind("#!/bin/bash\n", 0) == 0);
  CHECK_THAT(script, Catch::Contains("export OMP_NUM_THREADS='1'\n"));
  CHECK_THAT(script, Catch::Contains("export QUOTED='it'\\''s \"x\" $HOME'\n"));
  CHECK_THAT(script, Catch::Contains("export TUNER_STUDY='digits'\n"));
  CHECK_THAT(script, Catch::Contains("export TUNER_TRIAL_ID='7'\n"));
  CHECK_THAT(script, Catch::Contains("export TUNER_ENDPOINT='10.0.0.5:50051'\n"));
  CHECK_THAT(script, Catch::Contains("export TUNER_OUTPUT_DIR='/shared/t/7'\n"));
  CHECK_THAT(script, Catch::Contains(
                         R"(export TUNER_PARAMS='{"learning_rate":0.001,"optimizer":"adam"}')"));
  CHECK_THAT(script, Catch::Contains("srun --ntasks=4 --cpus-per-task=1 --gpus-per-task=2 "
                                     "--distribution=block --kill-on-bad-exit=1"));
  CHECK_THAT(job.task_script, Catch::Contains("cmd=('/usr/bin/python3' 'train.py' '--epochs=10' "
                                              "'--learning_rate=0.001' '--optimizer=adam')"));
}

TEST_CASE("ports: one range per job, rank r at base + r") {
  CHECK(SlurmPortBase(0, 3) == 12000);
  CHECK(SlurmPortBase(1, 3) == 12020);
  CHECK(SlurmPortBase(1000, 3) == 12000);  // 20000 / 20 = 1000 ranges
  CHECK(SlurmPortBase(1, 50) == 12050);
  CHECK(SlurmPortBase(999, 3) + 3 <= 32000);
}

// Runs task.sh as srun would for each rank, on a fake two-node step.
class FakeStep {
 public:
  explicit FakeStep(LaunchRequest request) : request_(std::move(request)) {
    std::filesystem::create_directories(dir_.path() / "bin");
    std::filesystem::create_directories(dir_.path() / "out" / "logs");
    WriteExecutable(dir_ / "bin/scontrol",
                    "#!/bin/sh\n[ \"$1 $2 $3\" = 'show hostnames node[1-2]' ] || exit 2\n"
                    "printf 'node1\\nnode2\\n'\n");
    WriteExecutable(dir_ / "bin/scancel", "#!/bin/sh\necho \"$@\" >>\"$SCANCEL_LOG\"\n");
    request_.output_dir = dir_ / "out";
    const SlurmJobFiles job = BuildSlurmJob(request_);
    std::filesystem::create_directories(dir_.path() / "out" / "slurm");
    WriteExecutable(job.task_script_path, job.task_script);
    task_script_ = job.task_script_path;
  }

  // The exit code of rank `procid`'s task.
  int Run(int procid, const std::string& tasks_per_node = "2(x2)") {
    const int status = std::system(Command(procid, tasks_per_node).c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // The shell command that runs rank `procid`'s task in the foreground, with
  // `env` (NAME=value words) added to its environment, last (they win).
  std::string Command(int procid, const std::string& tasks_per_node = "2(x2)",
                      const std::string& env = "") const {
    return "env -i PATH=" + (dir_ / "bin") +
           ":/usr/bin:/bin SLURM_PROCID=" + std::to_string(procid) +
        " SLURM_JOB_ID=4242 SLURM_STEP_ID=0 SLURM_STEP_NODELIST='node[1-2]' "
        "SLURM_STEP_TASKS_PER_NODE='" +
        tasks_per_node + "' SCANCEL_LOG=" + (dir_ / "scancel.log") +
        " RANK=99 TUNER_OUTPUT_DIR=" + request_.output_dir + " " + env + " /bin/bash " +
           task_script_ + " 2>" +
        (dir_ / "stderr");
  }

  std::string out(const std::string& name) const { return request_.output_dir + "/" + name; }
  std::string path(const std::string& name) const { return dir_ / name; }

 private:
  TempDir dir_;
  LaunchRequest request_;
  std::string task_script_;
};

constexpr char kNoGroupNote[] = "tuner task.sh: no cgroup for this rank";

// A rank's log without the line task.sh writes where it has no cgroup.
std::string TrainerLog(const std::string& path) {
  const std::string log = ReadFile(path);
  if (log.rfind(kNoGroupNote, 0) != 0) return log;
  return log.substr(log.find('\n') + 1);
}

// A trainer that saves its environment as JSON in <out>/env-<type>-<index>.json.
LaunchRequest EnvDumpingRequest() {
  LaunchRequest request = SlurmRequest("");
  request.trainer.command = {
      "/bin/sh", "-c",
      "python3 -c 'import json,os; print(json.dumps(dict(os.environ)))' "
      "> \"$TUNER_OUTPUT_DIR/env-$TUNER_TASK_TYPE-$TUNER_TASK_INDEX.json\"; echo done"};
  request.trainer.command[0] = "/bin/sh";
  return request;
}

Json ReadJson(const std::string& path) {
  const std::string text = ReadFile(path);
  INFO(path);
  REQUIRE(!text.empty());
  return Json::parse(text);
}

TEST_CASE("task.sh gives each rank its role, TF_CONFIG with real hosts, RANK and logs") {
  FakeStep step(EnvDumpingRequest());
  for (int procid = 0; procid < 4; ++procid) {
    INFO("procid " << procid << ": " << ReadFile(step.path("stderr")));
    REQUIRE(step.Run(procid) == 0);
  }
  const int base = SlurmPortBase(4242, 4);
  auto address = [&](const std::string& host, int rank) {
    return host + ":" + std::to_string(base + rank);
  };
  const Json cluster = {{"chief", {address("node1", 0)}},
                        {"worker", {address("node1", 1), address("node2", 2)}},
                        {"ps", {address("node2", 3)}}};
  struct Expected {
    std::string type;
    int index;
    std::string rank;  // "" = none
  };
  const std::vector<Expected> ranks = {
      {"chief", 0, "0"}, {"worker", 0, "1"}, {"worker", 1, "2"}, {"ps", 0, ""}};
  for (const Expected& e : ranks) {
    const std::string name = e.type + "-" + std::to_string(e.index);
    const Json env = ReadJson(step.out("env-" + name + ".json"));
    INFO(name);
    CHECK(env["TUNER_TASK_TYPE"] == e.type);
    CHECK(env["TUNER_TASK_INDEX"] == std::to_string(e.index));
    const Json tf_config = Json::parse(env["TF_CONFIG"].get<std::string>());
    CHECK(tf_config["cluster"] == cluster);
    CHECK(tf_config["task"] == Json{{"type", e.type}, {"index", e.index}, {"trial", "7"}});
    CHECK(tf_config["environment"] == "cloud");
    CHECK(env["MASTER_ADDR"] == "node1");
    CHECK(env["MASTER_PORT"] == std::to_string(base));
    CHECK(env["WORLD_SIZE"] == "3");
    if (e.rank.empty()) {
      CHECK_FALSE(env.contains("RANK"));
    } else {
      CHECK(env["RANK"] == e.rank);
    }
    CHECK(TrainerLog(step.out("logs/" + name + ".log")) == "done\n");
    CHECK(ReadFile(step.out("slurm/exit/" + name)) == "0\n");
  }
  // The chief's clean exit ends the step, so that the other ranks end too.
  CHECK(ReadFile(step.path("scancel.log")) == "--quiet 4242.0\n");
}

TEST_CASE("task.sh: TF_CONFIG keys in the order rank_env.h writes them") {
  LaunchRequest request = EnvDumpingRequest();
  request.trainer.cluster = {1, 1, 0};
  FakeStep step(request);
  REQUIRE(step.Run(1, "1,1") == 0);
  const Json env = ReadJson(step.out("env-worker-0.json"));
  const int base = SlurmPortBase(4242, 2);
  CHECK(env["TF_CONFIG"] == "{\"cluster\":{\"chief\":[\"node1:" + std::to_string(base) +
                                "\"],\"worker\":[\"node2:" + std::to_string(base + 1) +
                                "\"]},\"task\":{\"type\":\"worker\",\"index\":0,\"trial\":\"7\"},"
                                "\"environment\":\"cloud\"}");
}

TEST_CASE("task.sh records a failing rank's exit code and does not end the step") {
  LaunchRequest request = SlurmRequest("");
  request.trainer.command = {"/bin/sh", "-c", "echo boom >&2; exit 3"};
  FakeStep step(request);
  CHECK(step.Run(0) == 3);
  CHECK(ReadFile(step.out("slurm/exit/chief-0")) == "3\n");
  CHECK(TrainerLog(step.out("logs/chief-0.log")) == "boom\n");
  CHECK(ReadFile(step.path("scancel.log")).empty());
}

TEST_CASE("task.sh refuses a step with fewer tasks than ranks") {
  FakeStep step(EnvDumpingRequest());
  CHECK(step.Run(3, "1,1") == 1);
  CHECK_THAT(ReadFile(step.path("stderr")), Catch::Contains("rank 3 of 4"));
}

// Whether this process may make cgroup v2 groups with cgroup.kill (root on CI).
bool CgroupsWritable() {
  const std::string mount = CurrentCgroup2Mount();
  if (mount.empty()) return false;
  const std::string probe = mount + "/tuner-probe-" + std::to_string(::getpid());
  if (!MakeCgroup(probe).ok()) return false;
  const bool kill = std::filesystem::exists(probe + "/cgroup.kill");
  (void)RemoveCgroup(probe);
  return kill;
}

// The groups task.sh made for job `job` that are still there.
int LeftGroups(const std::string& job) {
  const std::string mount = CurrentCgroup2Mount();
  int count = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(mount, error)) {
    if (entry.path().filename().string().rfind("tuner-" + job + ".", 0) == 0) ++count;
  }
  return count;
}

pid_t ReadPid(const std::string& path) { return std::atoi(ReadFile(path).c_str()); }

// A rank that starts a grandchild in a session of its own (which leaves the
// rank's process group) and saves its pid, then runs `rest`.
LaunchRequest GrandchildRequest(const std::string& rest) {
  LaunchRequest request = SlurmRequest("");
  request.trainer.command = {"/bin/sh", "-c",
                             "setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $! "
                             ">\"$TUNER_OUTPUT_DIR/grandchild\"; echo started; " +
                                 rest};
  return request;
}

TEST_CASE("task.sh ends a rank's setsid grandchild with the rank (cgroup v2)") {
  if (!CgroupsWritable()) {
    WARN("cgroup v2 is not writable here: skipped");
    return;
  }
  const std::string marker = UniqueMarker();
  FakeStep step(GrandchildRequest("exit 0"));
  // A job id of its own: tests run in parallel.
  const std::string job = std::to_string(100000 + ::getpid());
  const std::string env =
      std::string(testing::kMarkerVariable) + "=" + marker + " SLURM_JOB_ID=" + job;
  REQUIRE(std::system(step.Command(1, "2(x2)", env).c_str()) == 0);
  CHECK(ReadPid(step.out("grandchild")) > 1);
  CHECK(CountMarkedProcesses(marker) == 0);
  CHECK(ReadFile(step.out("logs/worker-0.log")) == "started\n");
  CHECK(LeftGroups(job) == 0);
}

TEST_CASE("task.sh ends a rank's setsid grandchild when Slurm signals the step (cgroup v2)") {
  if (!CgroupsWritable()) {
    WARN("cgroup v2 is not writable here: skipped");
    return;
  }
  const std::string marker = UniqueMarker();
  FakeStep step(GrandchildRequest("exec sleep 600"));
  const std::string job = std::to_string(100000 + ::getpid());
  const std::string env =
      std::string(testing::kMarkerVariable) + "=" + marker + " SLURM_JOB_ID=" + job;
  // SIGTERM to the wrapper once the grandchild runs, as slurmstepd sends it.
  const std::string script = step.path("signal.sh");
  std::ofstream(script) << step.Command(1, "2(x2)", env) << " & task=$!\nuntil [ -s "
                        << step.out("grandchild") << " ]; do sleep 0.02; done\n"
                        << "kill -TERM $task\nwait $task\n";
  const int status = std::system(("/bin/bash " + script).c_str());
  CHECK((WIFEXITED(status) ? WEXITSTATUS(status) : -1) == 143);
  CHECK(ReadPid(step.out("grandchild")) > 1);
  CHECK(CountMarkedProcesses(marker) == 0);
  CHECK(ReadFile(step.out("slurm/exit/worker-0")) == "143\n");
  CHECK(LeftGroups(job) == 0);
}

TEST_CASE("task.sh without a cgroup says so once in the rank's log") {
  const std::string marker = UniqueMarker();
  FakeStep step(GrandchildRequest("exit 0"));
  const std::string env =
      std::string(testing::kMarkerVariable) + "=" + marker + " TUNER_SLURM_CGROUP=0";
  REQUIRE(std::system(step.Command(1, "2(x2)", env).c_str()) == 0);
  const pid_t grandchild = ReadPid(step.out("grandchild"));
  REQUIRE(grandchild > 1);
  // Process groups alone do not reach it: it outlives the rank (the known
  // limit of the fallback), and the log says why, once.
  CHECK(CountMarkedProcesses(marker) == 1);
  ::kill(grandchild, SIGKILL);
  const std::string log = ReadFile(step.out("logs/worker-0.log"));
  CHECK(log == std::string(kNoGroupNote) +
                   " (TUNER_SLURM_CGROUP=0): processes that leave its process group (setsid, "
                   "double forks) may outlive the trial (docs/slurm.md)\nstarted\n");
}

}  // namespace
}  // namespace tuner
