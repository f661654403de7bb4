#include "trial_runner/rank_env.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>

#include "nlohmann/json.hpp"

namespace tuner {
namespace {

using Json = nlohmann::json;

LaunchRequest ClusterRequest() {
  LaunchRequest request;
  request.study = "digits";
  request.trial_id = 7;
  request.trainer.command = {"/usr/bin/python3", "train.py", "--epochs=10"};
  request.trainer.cluster = {1, 2, 1};
  request.trainer.env = {{"OMP_NUM_THREADS", "1"}, {"HOME", "/trainer-home"}};
  request.parameters = {
      {"learning_rate", 0.001}, {"layers", int64_t{3}}, {"optimizer", std::string("adam")}};
  request.extra_args = {"--resume"};
  request.output_dir = "/tmp/out/7";
  request.endpoint = "127.0.0.1:50051";
  return request;
}

const ClusterPorts kPorts = {{41000}, {41001, 41002}, {41003}};

const std::map<std::string, std::string> kServerEnv = {
    {"HOME", "/server-home"}, {"PATH", "/usr/bin:/bin"}, {"RANK", "99"}, {"TF_CONFIG", "{}"}};

TEST_CASE("ClusterRanks lists chief, workers, then ps") {
  const std::vector<RankId> ranks = ClusterRanks({1, 2, 1});
  std::vector<std::string> names;
  for (const RankId& rank : ranks) names.push_back(rank.Name());
  CHECK(names == std::vector<std::string>{"chief:0", "worker:0", "worker:1", "ps:0"});
  CHECK(ranks[2].LogFileName() == "worker-1.log");
}

TEST_CASE("every rank gets the command, the parameters in name order, then extra args") {
  const LaunchRequest request = ClusterRequest();
  for (const RankId& rank : ClusterRanks(request.trainer.cluster)) {
    const RankCommand command = BuildRankCommand(request, kPorts, rank, kServerEnv);
    CHECK(command.argv == std::vector<std::string>{"/usr/bin/python3", "train.py", "--epochs=10",
                                                   "--layers=3", "--learning_rate=0.001",
                                                   "--optimizer=adam", "--resume"});
  }
}

TEST_CASE("environment layers: server, then trainer.env, then the tuner's variables") {
  const RankCommand command =
      BuildRankCommand(ClusterRequest(), kPorts, {TaskType::kWorker, 1}, kServerEnv);
  const auto& env = command.env;
  CHECK(env.at("PATH") == "/usr/bin:/bin");
  CHECK(env.at("HOME") == "/trainer-home");
  CHECK(env.at("OMP_NUM_THREADS") == "1");
  CHECK(env.at("TUNER_STUDY") == "digits");
  CHECK(env.at("TUNER_TRIAL_ID") == "7");
  CHECK(env.at("TUNER_ENDPOINT") == "127.0.0.1:50051");
  CHECK(env.at("TUNER_TASK_TYPE") == "worker");
  CHECK(env.at("TUNER_TASK_INDEX") == "1");
  CHECK(env.at("TUNER_OUTPUT_DIR") == "/tmp/out/7");
  CHECK(env.at("PYTHONUNBUFFERED") == "1");

  const Json params = Json::parse(env.at("TUNER_PARAMS"));
  CHECK(params == Json{{"learning_rate", 0.001}, {"layers", 3}, {"optimizer", "adam"}});
  CHECK(params["layers"].is_number_integer());
  CHECK(params["learning_rate"].is_number_float());
}

TEST_CASE("a PYTHONUNBUFFERED the user set is kept") {
  LaunchRequest request = ClusterRequest();
  request.trainer.env["PYTHONUNBUFFERED"] = "0";
  const RankCommand command = BuildRankCommand(request, kPorts, {TaskType::kChief, 0}, kServerEnv);
  CHECK(command.env.at("PYTHONUNBUFFERED") == "0");
}

TEST_CASE("TF_CONFIG is one cluster seen by every rank, each with its own task") {
  const LaunchRequest request = ClusterRequest();
  const Json expected_cluster = {
      {"chief", {"127.0.0.1:41000"}},
      {"worker", {"127.0.0.1:41001", "127.0.0.1:41002"}},
      {"ps", {"127.0.0.1:41003"}},
  };
  std::set<std::string> tasks;
  for (const RankId& rank : ClusterRanks(request.trainer.cluster)) {
    const RankCommand command = BuildRankCommand(request, kPorts, rank, kServerEnv);
    const Json config = Json::parse(command.env.at("TF_CONFIG"));
    CHECK(config["cluster"] == expected_cluster);
    CHECK(config["environment"] == "cloud");
    CHECK(config["task"]["type"] == ToString(rank.type));
    CHECK(config["task"]["index"] == rank.index);
    CHECK(config["task"]["trial"] == "7");
    tasks.insert(config["task"].dump());
  }
  CHECK(tasks.size() == 4);
}

TEST_CASE("TF_CONFIG leaves out roles without ranks") {
  const Json config = Json::parse(TfConfigJson({{5000}, {}, {}}, {TaskType::kChief, 0}, 3));
  CHECK(config["cluster"] == Json{{"chief", {"127.0.0.1:5000"}}});
  CHECK(config["task"] == Json{{"type", "chief"}, {"index", 0}, {"trial", "3"}});
}

TEST_CASE("PyTorch variables: world of chief + workers, ps outside it") {
  const LaunchRequest request = ClusterRequest();
  std::map<std::string, std::string> ranks;
  for (const RankId& rank : ClusterRanks(request.trainer.cluster)) {
    const RankCommand command = BuildRankCommand(request, kPorts, rank, kServerEnv);
    const auto& env = command.env;
    CHECK(env.at("MASTER_ADDR") == "127.0.0.1");
    CHECK(env.at("MASTER_PORT") == "41000");
    CHECK(env.at("WORLD_SIZE") == "3");
    ranks[rank.Name()] = env.count("RANK") ? env.at("RANK") : "<none>";
  }
  CHECK(ranks == std::map<std::string, std::string>{
                     {"chief:0", "0"}, {"worker:0", "1"}, {"worker:1", "2"}, {"ps:0", "<none>"}});
}

TEST_CASE("LOCAL_RANK and LOCAL_WORLD_SIZE as torchrun sets them, none for ps") {
  const LaunchRequest request = ClusterRequest();
  std::map<std::string, std::string> local;
  for (const RankId& rank : ClusterRanks(request.trainer.cluster)) {
    std::map<std::string, std::string> server_env = kServerEnv;
    server_env["LOCAL_RANK"] = "9";
    const auto env = BuildRankCommand(request, kPorts, rank, server_env).env;
    local[rank.Name()] = env.count("LOCAL_RANK")
                             ? env.at("LOCAL_RANK") + "/" + env.at("LOCAL_WORLD_SIZE")
                             : "<none>";
    CHECK(env.count("LOCAL_WORLD_SIZE") == env.count("LOCAL_RANK"));
  }
  CHECK(local ==
        std::map<std::string, std::string>{
            {"chief:0", "0/3"}, {"worker:0", "1/3"}, {"worker:1", "2/3"}, {"ps:0", "<none>"}});
}

TEST_CASE("CUDA_VISIBLE_DEVICES: each rank its own slice of the trial's devices") {
  LaunchRequest request = ClusterRequest();  // chief, 2 workers, 1 ps
  std::map<std::string, std::string> server_env = kServerEnv;
  server_env["CUDA_VISIBLE_DEVICES"] = "0,1,2,3,4,5,6,7";
  // No devices in the request: the variable is left as it is.
  CHECK(BuildRankCommand(request, kPorts, {TaskType::kChief, 0}, server_env)
            .env.at("CUDA_VISIBLE_DEVICES") == "0,1,2,3,4,5,6,7");
  request.trainer.resources.gpus_per_rank = 2;
  request.devices = {"7", "6", "5", "4", "3", "2", "1", "0"};
  std::map<std::string, std::string> got;
  for (const RankId& rank : ClusterRanks(request.trainer.cluster)) {
    got[rank.Name()] =
        BuildRankCommand(request, kPorts, rank, server_env).env.at("CUDA_VISIBLE_DEVICES");
  }
  CHECK(got == std::map<std::string, std::string>{
                   {"chief:0", "7,6"}, {"worker:0", "5,4"}, {"worker:1", "3,2"}, {"ps:0", "1,0"}});
}

TEST_CASE("hypertune: each rank its own CLOUD_ML_HP_METRIC_FILE, and the trial id") {
  LaunchRequest request = ClusterRequest();
  CHECK(BuildRankCommand(request, kPorts, {TaskType::kChief, 0}, kServerEnv)
            .env.count("CLOUD_ML_HP_METRIC_FILE") == 0);
  request.trainer.metrics.source = MetricSource::kHypertune;
  std::set<std::string> files;
  for (const RankId& rank : ClusterRanks(request.trainer.cluster)) {
    const auto env = BuildRankCommand(request, kPorts, rank, kServerEnv).env;
    CHECK(env.at("CLOUD_ML_TRIAL_ID") == "7");
    files.insert(env.at("CLOUD_ML_HP_METRIC_FILE"));
  }
  CHECK(files == std::set<std::string>{"/tmp/out/7/hypertune/chief-0.metrics",
                                       "/tmp/out/7/hypertune/ps-0.metrics",
                                       "/tmp/out/7/hypertune/worker-0.metrics",
                                       "/tmp/out/7/hypertune/worker-1.metrics"});
}

TEST_CASE("TUNER_PARAMS of no parameters is an empty object") { CHECK(ParamsJson({}) == "{}"); }

}  // namespace
}  // namespace tuner
