// The `tuner` command line: each Add*Command registers one subcommand on
// `app`; when it is chosen, its callback stores the action in `*run`, which
// main() calls after parsing and whose result is the exit code.
// Errors go to stderr with a non-zero exit code.
#ifndef TUNER_TUNER_CLI_COMMANDS_H_
#define TUNER_TUNER_CLI_COMMANDS_H_

#include <functional>

namespace CLI {
class App;
}

namespace tuner {

using CliAction = std::function<int()>;

void AddValidateCommand(CLI::App& app, CliAction* run);
void AddServeCommand(CLI::App& app, CliAction* run);
void AddRunCommand(CLI::App& app, CliAction* run);
// studies, trials, best
void AddInspectCommands(CLI::App& app, CliAction* run);
// dashboard: the web dashboard of a db file, read-only
void AddDashboardCommand(CLI::App& app, CliAction* run);
// stop, retry, delete
void AddManageCommands(CLI::App& app, CliAction* run);
// logs: a trial's rank logs
void AddLogsCommand(CLI::App& app, CliAction* run);
// rerun: a trial's command, again, outside the study
void AddRerunCommand(CLI::App& app, CliAction* run);
// db check, db backup
void AddDbCommands(CLI::App& app, CliAction* run);
// token worker, token trial: scoped tokens
void AddTokenCommand(CLI::App& app, CliAction* run);
// artifacts, export, verify-export (docs/artifacts.md)
void AddArtifactsCommands(CLI::App& app, CliAction* run);

}  // namespace tuner

#endif  // TUNER_TUNER_CLI_COMMANDS_H_
