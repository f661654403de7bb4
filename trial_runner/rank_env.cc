#include "trial_runner/rank_env.h"

#include <algorithm>
#include <string>
#include <variant>

#include "algorithms/search_space.h"
#include "nlohmann/json.hpp"
#include "study/study_json.h"
#include "study/trainer_command.h"

namespace tuner {
namespace {

constexpr char kLoopback[] = "127.0.0.1";

const std::vector<int>& PortsOf(const ClusterPorts& ports, TaskType type) {
  switch (type) {
    case TaskType::kChief:
      return ports.chief;
    case TaskType::kWorker:
      return ports.worker;
    case TaskType::kPs:
      return ports.ps;
  }
  return ports.chief;
}

std::string Address(int port) { return std::string(kLoopback) + ":" + std::to_string(port); }

}  // namespace

const char* ToString(TaskType type) {
  switch (type) {
    case TaskType::kChief:
      return "chief";
    case TaskType::kWorker:
      return "worker";
    case TaskType::kPs:
      return "ps";
  }
  return "unknown";
}

std::string RankId::Name() const {
  return std::string(ToString(type)) + ":" + std::to_string(index);
}

std::string RankId::LogFileName() const {
  return std::string(ToString(type)) + "-" + std::to_string(index) + ".log";
}

std::vector<RankId> ClusterRanks(const ClusterSpec& cluster) {
  std::vector<RankId> ranks;
  for (int i = 0; i < cluster.chief; ++i) ranks.push_back({TaskType::kChief, i});
  for (int i = 0; i < cluster.worker; ++i) ranks.push_back({TaskType::kWorker, i});
  for (int i = 0; i < cluster.ps; ++i) ranks.push_back({TaskType::kPs, i});
  return ranks;
}

std::vector<std::string> TrainerArguments(const LaunchRequest& request) {
  return TrainerArgv(request.trainer.command, request.parameters, request.extra_args);
}

std::string ParamsJson(const Assignment& parameters) { return AssignmentToJson(parameters); }

std::string TfConfigJson(const ClusterPorts& ports, const RankId& rank, int64_t trial_id) {
  nlohmann::ordered_json cluster = nlohmann::ordered_json::object();
  for (TaskType type : {TaskType::kChief, TaskType::kWorker, TaskType::kPs}) {
    const std::vector<int>& role_ports = PortsOf(ports, type);
    if (role_ports.empty()) continue;
    nlohmann::ordered_json addresses = nlohmann::ordered_json::array();
    for (int port : role_ports) addresses.push_back(Address(port));
    cluster[ToString(type)] = std::move(addresses);
  }
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  config["cluster"] = std::move(cluster);
  config["task"] = {
      {"type", ToString(rank.type)}, {"index", rank.index}, {"trial", std::to_string(trial_id)}};
  config["environment"] = "cloud";
  return config.dump();
}

std::string HypertuneMetricFile(const std::string& output_dir, const RankId& rank) {
  return output_dir + "/hypertune/" + ToString(rank.type) + "-" + std::to_string(rank.index) +
         ".metrics";
}

std::string RankDevices(const LaunchRequest& request, const RankId& rank) {
  const ClusterSpec& cluster = request.trainer.cluster;
  const size_t per_rank = static_cast<size_t>(std::max(request.trainer.resources.gpus_per_rank, 0));
  size_t position = static_cast<size_t>(rank.index);
  if (rank.type != TaskType::kChief) position += static_cast<size_t>(cluster.chief);
  if (rank.type == TaskType::kPs) position += static_cast<size_t>(cluster.worker);
  std::string out;
  for (size_t i = position * per_rank; i < (position + 1) * per_rank; ++i) {
    if (i >= request.devices.size()) break;
    out += (out.empty() ? "" : ",") + request.devices[i];
  }
  return out;
}

RankCommand BuildRankCommand(const LaunchRequest& request, const ClusterPorts& ports,
                             const RankId& rank,
                             const std::map<std::string, std::string>& base_env) {
  RankCommand out;
  out.argv = TrainerArguments(request);

  std::map<std::string, std::string>& env = out.env;
  env = base_env;
  for (const auto& [name, value] : request.trainer.env) env[name] = value;

  env["TUNER_PARAMS"] = ParamsJson(request.parameters);
  env["TUNER_ENDPOINT"] = request.endpoint;
  env["TUNER_STUDY"] = request.study;
  env["TUNER_TRIAL_ID"] = std::to_string(request.trial_id);
  env["TUNER_TASK_TYPE"] = ToString(rank.type);
  env["TUNER_TASK_INDEX"] = std::to_string(rank.index);
  env["TUNER_OUTPUT_DIR"] = request.output_dir;
  env["TF_CONFIG"] = TfConfigJson(ports, rank, request.trial_id);

  env["MASTER_ADDR"] = kLoopback;
  env["MASTER_PORT"] = ports.chief.empty() ? "" : std::to_string(ports.chief.front());
  env["WORLD_SIZE"] = std::to_string(ports.chief.size() + ports.worker.size());
  // Every rank runs on this machine: the local ranks are the ranks (torchrun's
  // LOCAL_RANK, LOCAL_WORLD_SIZE).
  env["LOCAL_WORLD_SIZE"] = env["WORLD_SIZE"];
  switch (rank.type) {
    case TaskType::kChief:
      env["RANK"] = env["LOCAL_RANK"] = std::to_string(rank.index);
      break;
    case TaskType::kWorker:
      env["RANK"] = env["LOCAL_RANK"] = std::to_string(ports.chief.size() + rank.index);
      break;
    case TaskType::kPs:
      // Not in the world, even if the server's env has them.
      env.erase("RANK");
      env.erase("LOCAL_RANK");
      env.erase("LOCAL_WORLD_SIZE");
      break;
  }
  if (!request.devices.empty()) env["CUDA_VISIBLE_DEVICES"] = RankDevices(request, rank);
  if (request.trainer.metrics.source == MetricSource::kHypertune) {
    env["CLOUD_ML_HP_METRIC_FILE"] = HypertuneMetricFile(request.output_dir, rank);
    env["CLOUD_ML_TRIAL_ID"] = std::to_string(request.trial_id);
  }
  env.emplace("PYTHONUNBUFFERED", "1");  // only when neither env set it
  return out;
}

}  // namespace tuner
