// The command a trial's ranks run, built in one place: the launcher uses it
// for the argv it execs, and everything that shows a trial's "re-run it" line
// (`tuner best`, `tuner trials --json`, the dashboard) uses it too, so the
// line shown is the line launched.
//
//   argv = trainer.command, then --name=value per parameter (name order,
//          values as FormatValue prints them), then extra_args.
//
// Pure functions of their inputs.
#ifndef TUNER_STUDY_TRAINER_COMMAND_H_
#define TUNER_STUDY_TRAINER_COMMAND_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "algorithms/search_space.h"

namespace tuner {

// "--name=value" per parameter, in name order.
std::vector<std::string> ParameterArguments(const Assignment& parameters);

// `command` followed by ParameterArguments(parameters) and `extra_args`.
std::vector<std::string> TrainerArgv(const std::vector<std::string>& command,
                                     const Assignment& parameters,
                                     const std::vector<std::string>& extra_args = {});

// `arg` quoted for a POSIX shell: unchanged when it holds only characters
// that need no quoting (letters, digits, and @%+=:,./_-), else in single
// quotes with each ' written as '\''. "" becomes ''.
std::string ShellQuote(std::string_view arg);

// The words joined by spaces, each ShellQuote'd; `env` (NAME=value, each
// value quoted) goes first, as a shell reads it.
std::string ShellCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {});

}  // namespace tuner

#endif  // TUNER_STUDY_TRAINER_COMMAND_H_
