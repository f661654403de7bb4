#include "study/trainer_json.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <optional>
#include <regex>

#include "study/identifier.h"
#include "study/json_path.h"

namespace tuner {
namespace {

constexpr int kMaxInt = std::numeric_limits<int>::max();
constexpr int64_t kMinMemory = int64_t{1} << 20;
constexpr int64_t kMaxMemory = int64_t{1} << 62;

void ParseCommand(ObjectReader& reader, FaultList* faults, TrainerSpec* trainer) {
  const Json* command =
      reader.Require("command", "an array of strings: the program, then its arguments");
  if (command == nullptr) return;
  const std::string path = reader.PathOf("command");
  if (!command->is_array()) {
    faults->Add(path, "expected an array of strings, got " + TypeName(*command));
    return;
  }
  if (command->empty()) {
    faults->Add(path, "must not be empty (the program, then its arguments)");
    return;
  }
  std::vector<std::string> words;
  for (size_t i = 0; i < command->size(); ++i) {
    const std::string word_path = IndexPath(path, i);
    std::optional<std::string> word = ReadString((*command)[i], word_path, faults);
    if (!word) continue;
    if (i == 0 && word->empty()) {
      faults->Add(word_path, "the program must not be empty");
      continue;
    }
    words.push_back(std::move(*word));
  }
  if (words.size() == command->size()) trainer->command = std::move(words);
}

void ParseCluster(const Json& value, const std::string& path, FaultList* faults,
                  ClusterSpec* cluster) {
  ObjectReader reader(value, path, {"chief", "worker", "ps"}, faults);
  if (const Json* chief = reader.Find("chief")) {
    const std::string chief_path = reader.PathOf("chief");
    if (std::optional<int64_t> n = ReadInteger(*chief, chief_path, 0, kMaxInt, faults)) {
      if (*n != 1) {
        faults->Add(chief_path, "must be 1 (got " + std::to_string(*n) + ")");
      } else {
        cluster->chief = 1;
      }
    }
  }
  reader.Integer("worker", 0, kMaxInt, &cluster->worker);
  reader.Integer("ps", 0, kMaxInt, &cluster->ps);
}

void ParseEnv(const Json& value, const std::string& path, FaultList* faults,
              std::map<std::string, std::string>* env) {
  for (const auto& [name, v] : value.items()) {
    const std::string var_path = KeyPath(path, name);
    if (!IsIdentifier(name)) {
      faults->Add(var_path,
                  "not a valid environment variable name (a letter or '_', then letters, digits "
                  "or '_')");
      continue;
    }
    if (!v.is_string()) {
      faults->Add(var_path,
                  "expected a string, got " + TypeName(v) +
                      (v.is_number() ? " (write it in quotes: \"" + v.dump() + "\")" : ""));
      continue;
    }
    (*env)[name] = v.get<std::string>();
  }
}

// A metric name as the default stdout pattern reads it.
bool IsMetricName(const std::string& text) {
  static const std::regex* pattern = new std::regex(R"([A-Za-z_][\w./-]*)");
  return std::regex_match(text, *pattern);
}

void ParseMetricNames(const Json& value, const std::string& path, FaultList* faults,
                      std::vector<std::string>* names) {
  if (!value.is_array()) {
    faults->Add(path, "expected an array of metric names, got " + TypeName(value));
    return;
  }
  if (value.empty()) {
    faults->Add(path, "must not be empty (leave it out for the objectives' metrics)");
    return;
  }
  std::vector<std::string> read;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string name_path = IndexPath(path, i);
    std::optional<std::string> name = ReadString(value[i], name_path, faults);
    if (!name) continue;
    if (!IsMetricName(*name)) {
      faults->Add(name_path,
                  "expected a metric name (a letter or '_', then letters, digits, '_', '.', '/' "
                  "or '-'), got " +
                      Quote(*name));
    } else if (std::find(read.begin(), read.end(), *name) != read.end()) {
      faults->Add(name_path, "duplicate metric name " + Quote(*name));
    } else {
      read.push_back(std::move(*name));
      continue;
    }
    return;
  }
  if (read.size() == value.size()) *names = std::move(read);
}

void ParseMetrics(const Json& value, const std::string& path, FaultList* faults,
                  MetricsSpec* metrics) {
  ObjectReader reader(value, path, {"source", "names", "step_key", "pattern"}, faults);
  const bool source_ok = reader.Find("source") == nullptr ||
                         reader.Choice("source", MetricSourceChoices(), &metrics->source);
  const bool stdout_source = metrics->source == MetricSource::kStdout;
  if (const Json* names = reader.Find("names")) {
    const std::string names_path = reader.PathOf("names");
    if (source_ok && metrics->source == MetricSource::kGrpc) {
      faults->Add(names_path,
                  "only allowed with source \"stdout\" or \"hypertune\" (a gRPC trainer reports "
                  "what it chooses)");
    } else {
      ParseMetricNames(*names, names_path, faults, &metrics->names);
    }
  }
  if (const Json* step_key = reader.Find("step_key")) {
    const std::string key_path = reader.PathOf("step_key");
    std::optional<std::string> text = ReadString(*step_key, key_path, faults);
    if (text && source_ok) {
      if (!stdout_source) {
        faults->Add(key_path,
                    metrics->source == MetricSource::kHypertune
                        ? "only allowed with source \"stdout\" (hypertune's step is global_step)"
                        : "only allowed with source \"stdout\"");
      } else if (!IsMetricName(*text)) {
        faults->Add(key_path,
                    "expected a name (a letter or '_', then letters, digits, '_', '.', '/' or "
                    "'-'), got " +
                        Quote(*text));
      } else {
        metrics->step_key = std::move(*text);
      }
    }
  }
  if (stdout_source && std::find(metrics->names.begin(), metrics->names.end(), metrics->step_key) !=
                           metrics->names.end()) {
    faults->Add(reader.PathOf("names"), "holds the step key " + Quote(metrics->step_key) +
                                            ", which is the step of a line, not a metric");
    metrics->names.clear();
  }
  const Json* pattern = reader.Find("pattern");
  if (pattern == nullptr) return;
  const std::string pattern_path = reader.PathOf("pattern");
  std::optional<std::string> text = ReadString(*pattern, pattern_path, faults);
  if (!text || !source_ok) return;
  if (!stdout_source) {
    faults->Add(pattern_path, "only allowed with source \"stdout\"");
    return;
  }
  if (text->empty()) {
    faults->Add(pattern_path, "must not be empty (leave it out for name=value pairs)");
    return;
  }
  try {
    std::regex re(*text, std::regex::ECMAScript);
    if (re.mark_count() < 2) {
      faults->Add(pattern_path,
                  "must have at least 2 capture groups (1 = metric name, 2 = value), got " +
                      std::to_string(re.mark_count()));
      return;
    }
  } catch (const std::regex_error& e) {
    faults->Add(pattern_path,
                std::string("not a valid regular expression (ECMAScript): ") + e.what());
    return;
  }
  metrics->pattern = std::move(*text);
}

// Slurm's time formats: minutes, minutes:seconds, hours:minutes:seconds,
// days-hours, days-hours:minutes, days-hours:minutes:seconds; or UNLIMITED.
bool IsSlurmTimeLimit(const std::string& text) {
  static const std::regex* pattern =
      new std::regex(R"(\d+(:\d+){0,2}|\d+-\d+(:\d+){0,2}|UNLIMITED|INFINITE|unlimited|infinite)");
  return std::regex_match(text, *pattern);
}

bool IsPartitionList(const std::string& text) {
  static const std::regex* pattern = new std::regex(R"([A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*)");
  return std::regex_match(text, *pattern);
}

// sbatch options the launcher sets itself (docs/slurm.md).
const std::vector<std::string>& LauncherOwnedOptions() {
  static const std::vector<std::string>* options =
      new std::vector<std::string>{"--ntasks",    "-n",
                                   "--job-name",  "-J",
                                   "--output",    "-o",
                                   "--error",     "-e",
                                   "--chdir",     "-D",
                                   "--parsable",  "--wrap",
                                   "--export",    "--array",
                                   "-a",          "--cpus-per-task",
                                   "-c",          "--gpus-per-task",
                                   "--partition", "-p",
                                   "--time",      "-t",
                                   "--hold",      "-H",
                                   "--wait",      "-W"};
  return *options;
}

void ParseSlurm(const Json& value, const std::string& path, FaultList* faults, SlurmSpec* slurm) {
  ObjectReader reader(value, path,
                      {"partition", "time_limit", "cpus_per_task", "gpus_per_task", "extra_args"},
                      faults);
  std::string partition;
  if (reader.String("partition", &partition)) {
    if (!IsPartitionList(partition)) {
      faults->Add(reader.PathOf("partition"),
                  "expected a partition name, or several separated by ',' (letters, digits, '_', "
                  "'.', '-'), got " +
                      Quote(partition));
    } else {
      slurm->partition = partition;
    }
  }
  if (const Json* limit = reader.Find("time_limit")) {
    const std::string limit_path = reader.PathOf("time_limit");
    if (limit->is_number()) {
      faults->Add(limit_path,
                  "expected a string in Slurm's time format, got number (write it in "
                  "quotes: \"" +
                      limit->dump() + "\" for minutes)");
    } else if (std::optional<std::string> text = ReadString(*limit, limit_path, faults)) {
      if (!IsSlurmTimeLimit(*text)) {
        faults->Add(limit_path,
                    "expected Slurm's time format: minutes, \"minutes:seconds\", "
                    "\"hours:minutes:seconds\", \"days-hours[:minutes[:seconds]]\" or "
                    "\"UNLIMITED\", got " +
                        Quote(*text));
      } else {
        slurm->time_limit = *text;
      }
    }
  }
  reader.Integer("cpus_per_task", 1, 1 << 20, &slurm->cpus_per_task);
  reader.Integer("gpus_per_task", 0, 1 << 16, &slurm->gpus_per_task);
  const Json* extra = reader.Find("extra_args");
  if (extra == nullptr) return;
  const std::string extra_path = reader.PathOf("extra_args");
  if (!extra->is_array()) {
    faults->Add(extra_path,
                "expected an array of strings (sbatch options), got " + TypeName(*extra));
    return;
  }
  std::vector<std::string> args;
  bool value_may_follow = false;  // the previous element was an option without "=value"
  for (size_t i = 0; i < extra->size(); ++i) {
    const std::string arg_path = IndexPath(extra_path, i);
    std::optional<std::string> arg = ReadString((*extra)[i], arg_path, faults);
    if (!arg) {
      value_may_follow = false;
      continue;
    }
    const bool is_option = arg->size() >= 2 && (*arg)[0] == '-';
    if (!is_option) {
      // A value may follow its option as the next element ("--qos", "high").
      if (!value_may_follow) {
        faults->Add(arg_path, "expected an sbatch option starting with '-', got " + Quote(*arg));
      }
      value_may_follow = false;
    } else {
      value_may_follow = arg->find('=') == std::string::npos;
      const std::string name = arg->substr(0, arg->find('='));
      for (const std::string& owned : LauncherOwnedOptions()) {
        const bool short_with_value =
            owned.size() == 2 && name.size() > 2 && name.rfind(owned, 0) == 0 && (*arg)[1] != '-';
        if (name == owned || short_with_value) {
          faults->Add(arg_path, Quote(owned) +
                                    " is set by the launcher (use trainer.cluster, "
                                    "trainer.slurm's other keys or trainer.timeout_s)");
          break;
        }
      }
    }
    args.push_back(std::move(*arg));
  }
  if (args.size() == extra->size()) slurm->extra_args = std::move(args);
}

// "512M", "4G", "1T", "1048576": bytes, with a binary suffix K, M, G or T.
std::optional<int64_t> ParseMemory(const std::string& text) {
  static const std::regex* pattern = new std::regex(R"((\d{1,19})([KMGT]?))");
  std::smatch match;
  if (!std::regex_match(text, match, *pattern)) return std::nullopt;
  const int shift =
      match[2].str().empty() ? 0 : 10 * (1 + std::string("KMGT").find(match[2].str()[0]));
  errno = 0;
  const unsigned long long number = std::strtoull(match[1].str().c_str(), nullptr, 10);
  if (errno != 0 || number > (static_cast<unsigned long long>(kMaxMemory) >> shift)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(number << shift);
}

// trainer.resources.memory: bytes (an integer), or a string with a suffix.
std::optional<int64_t> ReadMemory(const Json& value, const std::string& path, FaultList* faults) {
  std::optional<int64_t> bytes;
  if (value.is_number()) {
    bytes = ReadInteger(value, path, 0, kMaxMemory, faults);
  } else if (std::optional<std::string> text = ReadString(value, path, faults)) {
    bytes = ParseMemory(*text);
    if (!bytes) {
      faults->Add(path,
                  "expected bytes, or a number with K, M, G or T (binary units: \"512M\", "
                  "\"4G\"), at most 2^62 bytes, got " +
                      Quote(*text));
    }
  }
  if (bytes && *bytes < kMinMemory) {
    faults->Add(path,
                "must be at least 1M (1048576 bytes), got " + std::to_string(*bytes) + " bytes");
    return std::nullopt;
  }
  return bytes;
}

void ParseResources(const Json& value, const std::string& path, FaultList* faults,
                    ResourcesSpec* resources) {
  ObjectReader reader(value, path, {"memory", "cpus_per_rank", "gpus_per_rank"}, faults);
  reader.Integer("gpus_per_rank", 0, 1 << 16, &resources->gpus_per_rank);
  if (const Json* memory = reader.Find("memory")) {
    if (std::optional<int64_t> bytes = ReadMemory(*memory, reader.PathOf("memory"), faults)) {
      resources->memory = *bytes;
    }
  }
  if (const Json* cpus = reader.Find("cpus_per_rank")) {
    const std::string cpus_path = reader.PathOf("cpus_per_rank");
    if (std::optional<double> n = ReadNumber(*cpus, cpus_path, faults)) {
      if (!(*n > 0) || *n > 4096) {
        faults->Add(cpus_path,
                    "must be more than 0 and at most 4096 (got " + Describe(*cpus) + ")");
      } else {
        resources->cpus_per_rank = *n;
      }
    }
  }
}

}  // namespace

void ParseTrainer(const Json& value, const std::string& path, FaultList* faults,
                  TrainerSpec* trainer) {
  if (!value.is_object()) {
    faults->Add(path, "expected an object, got " + TypeName(value));
    return;
  }
  ObjectReader reader(value, path,
                      {"command", "cluster", "env", "backend", "timeout_s", "max_retries",
                       "keep_checkpoints", "metrics", "job_dir", "slurm", "resources"},
                      faults);
  ParseCommand(reader, faults, trainer);
  if (const Json* cluster = reader.Object("cluster")) {
    ParseCluster(*cluster, reader.PathOf("cluster"), faults, &trainer->cluster);
  }
  if (const Json* env = reader.Object("env")) {
    ParseEnv(*env, reader.PathOf("env"), faults, &trainer->env);
  }
  const bool backend_ok = reader.Find("backend") == nullptr ||
                          reader.Choice("backend", BackendChoices(), &trainer->backend);
  if (const Json* timeout = reader.Find("timeout_s")) {
    const std::string timeout_path = reader.PathOf("timeout_s");
    if (std::optional<double> t = ReadNumber(*timeout, timeout_path, faults)) {
      if (*t < 0) {
        faults->Add(timeout_path,
                    "must be at least 0 (got " + Describe(*timeout) + "); 0 means no timeout");
      } else {
        trainer->timeout_s = *t;
      }
    }
  }
  // Integer() names the path and the bounds in its fault.
  reader.Integer("max_retries", 0, kMaxTrainerRetries, &trainer->max_retries);
  reader.Integer("keep_checkpoints", 0, kMaxKeepCheckpoints, &trainer->keep_checkpoints);
  if (const Json* metrics = reader.Object("metrics")) {
    ParseMetrics(*metrics, reader.PathOf("metrics"), faults, &trainer->metrics);
    if (backend_ok && trainer->backend != Backend::kLocal &&
        trainer->metrics.source == MetricSource::kHypertune) {
      faults->Add(reader.PathOf("metrics") + ".source",
                  "\"hypertune\" is only available with backend \"local\"");
    }
  }
  if (const Json* job_dir = reader.Find("job_dir")) {
    if (job_dir->is_boolean()) {
      trainer->job_dir = job_dir->get<bool>();
    } else {
      faults->Add(reader.PathOf("job_dir"), "expected true or false, got " + Describe(*job_dir));
    }
  }
  if (const Json* slurm = reader.Object("slurm")) {
    if (backend_ok && trainer->backend != Backend::kSlurm) {
      faults->Add(reader.PathOf("slurm"), "only allowed with backend \"slurm\"");
    } else {
      ParseSlurm(*slurm, reader.PathOf("slurm"), faults, &trainer->slurm);
    }
  }
  if (const Json* resources = reader.Object("resources")) {
    if (backend_ok && trainer->backend != Backend::kLocal) {
      faults->Add(reader.PathOf("resources"),
                  "only allowed with backend \"local\" (with slurm: trainer.slurm.cpus_per_task, "
                  "and extra_args such as \"--mem=4G\")");
    } else {
      ParseResources(*resources, reader.PathOf("resources"), faults, &trainer->resources);
    }
  }
}

}  // namespace tuner
