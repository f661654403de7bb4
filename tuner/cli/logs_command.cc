// `tuner logs STUDY TRIAL [--rank chief:0] [--follow]`: a trial's rank logs,
// read from its trial directory (<output root>/<study>/trial-<id>/logs/).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tuner/cli/commands.h"
#include "tuner/cli/study_source.h"

namespace tuner {
namespace {

namespace fs = std::filesystem;

struct LogsFlags {
  SourceFlags source;
  std::string study;
  int64_t trial = 0;
  std::string rank;  // "chief:0"; "" = every rank
  bool follow = false;
};

int Fail(const std::string& message) {
  std::cerr << "tuner logs: " << message << "\n";
  return 1;
}

// "chief:0" -> "chief-0.log" (trial_runner's RankId::LogFileName).
std::string LogFileOf(const std::string& rank) {
  std::string name = rank;
  std::replace(name.begin(), name.end(), ':', '-');
  return name + ".log";
}

int Logs(const LogsFlags& flags) {
  const std::string dir = StudyTrialsDir(flags.source, flags.study);
  if (dir.empty()) {
    return Fail("with --server, say where the trial directories are with --output-dir");
  }
  auto api = OpenSource(flags.source);
  if (!api.ok()) return Fail(std::string(api.status().message()));
  auto trial = (*api)->GetTrial(flags.study, flags.trial);
  if (!trial.ok()) return Fail(std::string(trial.status().message()));
  const fs::path logs = fs::path(dir) / ("trial-" + std::to_string(flags.trial)) / "logs";
  std::vector<fs::path> files;
  std::error_code ec;
  if (!flags.rank.empty()) {
    files.push_back(logs / LogFileOf(flags.rank));
    if (!fs::exists(files.back(), ec)) return Fail("no log " + files.back().string());
  } else {
    for (const auto& entry : fs::directory_iterator(logs, ec)) {
      if (entry.path().extension() == ".log") files.push_back(entry.path());
    }
    if (ec || files.empty()) return Fail("no logs in " + logs.string());
    // chief first, then workers, then ps, each by index.
    auto order = [](const fs::path& p) {
      const std::string n = p.filename().string();
      return std::make_pair(n.rfind("chief", 0) == 0 ? 0 : n.rfind("worker", 0) == 0 ? 1 : 2, n);
    };
    std::sort(files.begin(), files.end(),
              [&](const fs::path& a, const fs::path& b) { return order(a) < order(b); });
  }
  std::map<std::string, std::streamoff> offsets;
  auto print_new = [&](bool headers) {
    for (const fs::path& f : files) {
      std::ifstream in(f, std::ios::binary);
      if (!in) continue;
      std::streamoff& offset = offsets[f.string()];
      in.seekg(offset);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (text.empty()) continue;
      if (headers) std::cout << "==> " << f.filename().string() << " <==\n";
      std::cout << text << std::flush;
      offset += static_cast<std::streamoff>(text.size());
    }
  };
  print_new(files.size() > 1);
  if (!flags.follow) return 0;
  // Follow until the trial is final, then print what is left.
  while (!IsFinal(trial->state)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    print_new(files.size() > 1);
    trial = (*api)->GetTrial(flags.study, flags.trial);
    if (!trial.ok()) return Fail(std::string(trial.status().message()));
  }
  print_new(files.size() > 1);
  return 0;
}

}  // namespace

void AddLogsCommand(CLI::App& app, CliAction* run) {
  auto flags = std::make_shared<LogsFlags>();
  auto* cmd = app.add_subcommand("logs", "Print a trial's rank logs (every rank by default)");
  cmd->add_option("study", flags->study, "Study name")->required();
  cmd->add_option("trial", flags->trial, "Trial id")->required();
  cmd->add_option("--rank", flags->rank, "One rank, e.g. chief:0 or worker:1");
  cmd->add_flag("--follow,-f", flags->follow, "Keep printing until the trial ends");
  cmd->add_option("--output-dir", flags->source.output_dir,
                  "Where the trial directories are (default: tuner_trials beside the db)");
  AddSourceFlags(cmd, &flags->source);
  cmd->callback([run, flags] { *run = [flags] { return Logs(*flags); }; });
}

}  // namespace tuner
