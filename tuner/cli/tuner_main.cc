// `tuner`: validate studies, serve them, inspect results. See `tuner --help`.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "tuner/cli/commands.h"
#include "tuner/server/install_paths.h"

int main(int argc, char** argv) {
  CLI::App app{"tuner: a hyperparameter tuning service (studies in JSON, trials over gRPC)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", tuner::VersionString(), "Print the version and the git commit");
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  tuner::CliAction run;
  tuner::AddValidateCommand(app, &run);
  tuner::AddServeCommand(app, &run);
  tuner::AddRunCommand(app, &run);
  tuner::AddInspectCommands(app, &run);
  tuner::AddDashboardCommand(app, &run);
  tuner::AddManageCommands(app, &run);
  tuner::AddLogsCommand(app, &run);
  tuner::AddRerunCommand(app, &run);
  tuner::AddDbCommands(app, &run);
  tuner::AddTokenCommand(app, &run);
  tuner::AddArtifactsCommands(app, &run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("tuner"));
  spdlog::set_level(spdlog::level::from_str(log_level));
  return run ? run() : 0;
}
