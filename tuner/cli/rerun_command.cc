// `tuner rerun STUDY TRIAL [-- extra args]`: runs a trial's command again,
// exactly as its cluster's chief was launched (working directory, the study's
// environment, program and arguments), outside the study: nothing is
// reported (the tuner_client calls print instead). A PBT copy, and a retry of
// an interrupted trial, run with TUNER_RESTORE_FROM set to the copy of the
// checkpoint `tuner run` started them from (in their directory), so that they
// continue where they started.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "study/trainer_command.h"
#include "tuner/cli/commands.h"
#include "tuner/cli/orchestrator.h"
#include "tuner/cli/study_source.h"

namespace tuner {
namespace {

struct RerunFlags {
  SourceFlags source;
  std::string study;
  int64_t trial = 0;
  std::vector<std::string> extra;
  bool print = false;
};

// The checkpoint `tuner run` copied into the trial's directory to start it
// from (Orchestrator::CopyCheckpoint): a retry's copy of the interrupted
// trial's, else a PBT copy's of its parent's; latest attempt first; "" when
// none.
std::string InheritedCheckpointCopy(const RerunFlags& flags, const Trial& trial) {
  namespace fs = std::filesystem;
  const std::string trials_dir = StudyTrialsDir(flags.source, flags.study);
  if (trials_dir.empty()) return "";
  const std::string trial_dir =
      (fs::path(trials_dir) / ("trial-" + std::to_string(trial.id))).string();
  for (int attempt = trial.attempt(); attempt >= 1; --attempt) {
    for (const char* folder : {"retried-checkpoint", "parent-checkpoint"}) {
      std::error_code ec;
      for (const fs::directory_entry& source :
           fs::directory_iterator(fs::path(TrialAttemptDir(trial_dir, attempt)) / folder, ec)) {
        for (const fs::directory_entry& e : fs::directory_iterator(source.path(), ec)) {
          return fs::absolute(e.path()).string();  // the one file or directory copied
        }
      }
    }
  }
  return "";
}

int Rerun(const RerunFlags& flags) {
  auto api = OpenSource(flags.source);
  if (!api.ok()) {
    std::cerr << "tuner rerun: " << api.status().message() << "\n";
    return 1;
  }
  auto trial = (*api)->GetTrial(flags.study, flags.trial);
  if (!trial.ok()) {
    std::cerr << "tuner rerun: " << trial.status().message() << "\n";
    return 1;
  }
  if (trial->command.empty()) {
    std::cerr << "tuner rerun: trial " << flags.trial
              << " has no recorded command (it was not launched by `tuner run`); its "
                 "arguments: "
              << ShellCommand(ParameterArguments(trial->parameters)) << "\n";
    return 1;
  }
  std::string command = trial->command;
  for (const std::string& arg : flags.extra) command += " " + ShellQuote(arg);
  if (trial->parent_trial > 0 || trial->retry_of > 0) {
    const std::string restore = InheritedCheckpointCopy(flags, *trial);
    if (restore.empty() && trial->parent_trial > 0) {
      std::cerr << "tuner rerun: trial " << trial->id << " continued trial " << trial->parent_trial
                << " (PBT) but the copy of its checkpoint is not in "
                << "its directory: it runs from the start\n";
    } else if (!restore.empty()) {
      // The recorded command starts with `cd DIR && `: the variable goes after it.
      const size_t cd = command.find(" && ");
      const std::string assignment = "TUNER_RESTORE_FROM=" + ShellQuote(restore) + " ";
      command.insert(cd == std::string::npos ? 0 : cd + 4, assignment);
    }
  }
  if (flags.print) {
    std::cout << command << "\n";
    return 0;
  }
  std::cerr << "tuner rerun: " << command << "\n";
  // Outside the study: the trainer must not find a server to report to.
  for (const char* name : {"TUNER_ENDPOINT", "TUNER_STUDY", "TUNER_TRIAL_ID", "TUNER_TOKEN"}) {
    unsetenv(name);
  }
  execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
  std::cerr << "tuner rerun: cannot run /bin/sh\n";
  return 127;
}

}  // namespace

void AddRerunCommand(CLI::App& app, CliAction* run) {
  auto flags = std::make_shared<RerunFlags>();
  auto* cmd = app.add_subcommand(
      "rerun", "Run a trial's command again, as it was launched, outside the study");
  cmd->add_option("study", flags->study, "Study name")->required();
  cmd->add_option("trial", flags->trial, "Trial id")->required();
  cmd->add_option("extra", flags->extra, "More arguments for the trainer (after --)");
  cmd->add_flag("--print", flags->print, "Print the command instead of running it");
  AddSourceFlags(cmd, &flags->source);
  cmd->add_option(
      "--output-dir", flags->source.output_dir,
      "Where the trial directories are (for the checkpoint a PBT copy or a retry started "
      "from; default: tuner_trials beside the db)");
  cmd->callback([run, flags] { *run = [flags] { return Rerun(*flags); }; });
}

}  // namespace tuner
