// `tuner logs STUDY TRIAL [--rank chief:0] [--attempt K] [--follow]`: a
// trial's rank logs, read from its trial directory
// (<output root>/<study>/trial-<id>/logs/; attempt k >= 2 of a retried trial
// in trial-<id>/attempt-<k>/logs/).
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
#include "tuner/cli/orchestrator.h"
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
  int attempt = 0;  // 0 = every attempt
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

// The log files of one attempt: `--rank`'s, or every rank's (chief first,
// then workers, then ps, each by index). Empty with a message when missing.
std::vector<fs::path> AttemptLogs(const fs::path& logs, const std::string& rank,
                                  std::string* missing) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!rank.empty()) {
    files.push_back(logs / LogFileOf(rank));
    if (!fs::exists(files.back(), ec)) {
      *missing = "no log " + files.back().string();
      files.clear();
    }
    return files;
  }
  for (const auto& entry : fs::directory_iterator(logs, ec)) {
    if (entry.path().extension() == ".log") files.push_back(entry.path());
  }
  if (ec || files.empty()) *missing = "no logs in " + logs.string();
  auto order = [](const fs::path& p) {
    const std::string n = p.filename().string();
    return std::make_pair(n.rfind("chief", 0) == 0 ? 0 : n.rfind("worker", 0) == 0 ? 1 : 2, n);
  };
  std::sort(files.begin(), files.end(),
            [&](const fs::path& a, const fs::path& b) { return order(a) < order(b); });
  return files;
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
  const int current = trial->attempt();
  if (flags.attempt < 0 || flags.attempt > current) {
    return Fail("trial " + std::to_string(flags.trial) + " has " + std::to_string(current) +
                " attempt(s); --attempt must be between 1 and " + std::to_string(current));
  }
  const std::string trial_dir = (fs::path(dir) / ("trial-" + std::to_string(flags.trial))).string();
  // Every attempt's logs (a retried trial has several), or --attempt's; each
  // under a header naming the attempt when there are several.
  const int first = flags.attempt > 0 ? flags.attempt : 1;
  const int last = flags.attempt > 0 ? flags.attempt : current;
  std::vector<fs::path> files;  // the last attempt's, followed with --follow
  std::map<std::string, std::streamoff> offsets;
  bool headers = false;
  auto print_new = [&](const std::vector<fs::path>& list) {
    for (const fs::path& f : list) {
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
  for (int attempt = first; attempt <= last; ++attempt) {
    std::string missing;
    files =
        AttemptLogs(fs::path(TrialAttemptDir(trial_dir, attempt)) / "logs", flags.rank, &missing);
    if (current > 1) {
      std::cout << "=== attempt " << attempt << " of " << current;
      if (attempt < current) {
        const TrialAttempt& a = trial->attempts[attempt - 1];
        std::cout << ": " << a.outcome
                  << (a.reason.empty() ? "" : " (" + a.reason.substr(0, a.reason.find('\n')) + ")");
      } else {
        std::cout << ": " << ToString(trial->state);
      }
      std::cout << " ===\n";
    }
    if (files.empty()) {
      if (current == 1 || flags.attempt > 0) return Fail(missing);
      std::cout << "(" << missing << ")\n";
      continue;
    }
    headers = files.size() > 1;
    print_new(files);
  }
  if (!flags.follow || last != current) return 0;
  // Follow the current attempt until the trial is final, then print what is left.
  while (!IsFinal(trial->state)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    print_new(files);
    trial = (*api)->GetTrial(flags.study, flags.trial);
    if (!trial.ok()) return Fail(std::string(trial.status().message()));
    if (trial->attempt() != current) break;  // retried: its next attempt has its own logs
  }
  print_new(files);
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
  cmd->add_option("--attempt", flags->attempt,
                  "Only this attempt of a retried trial (default: every attempt, each under a "
                  "header)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--output-dir", flags->source.output_dir,
                  "Where the trial directories are (default: tuner_trials beside the db)");
  AddSourceFlags(cmd, &flags->source);
  cmd->callback([run, flags] { *run = [flags] { return Logs(*flags); }; });
}

}  // namespace tuner
