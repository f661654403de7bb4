// `tuner rerun STUDY TRIAL [-- extra args]`: runs a trial's command again,
// exactly as its cluster's chief was launched (working directory, the study's
// environment, program and arguments), outside the study: nothing is
// reported (the tuner_client calls print instead).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "study/trainer_command.h"
#include "tuner/cli/commands.h"
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
  cmd->callback([run, flags] { *run = [flags] { return Rerun(*flags); }; });
}

}  // namespace tuner
