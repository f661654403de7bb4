// `tuner serve --db FILE --listen ADDR [--config FILE]`
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "tuner/cli/commands.h"
#include "tuner/cli/json_log_formatter.h"
#include "tuner/server/server.h"

namespace tuner {
namespace {

// Fills the options of `cmd` that the command line did not give from the
// TOML file `path`, read with CLI11's own parser (CLI11 reads a config file
// only for the top-level app, not for a subcommand). An unknown key or a
// [section] is an error; values go through each option's checks.
void ApplyConfigFile(CLI::App* cmd, const std::string& path) {
  for (const CLI::ConfigItem& item : CLI::ConfigTOML().from_file(path)) {
    if (item.name == "++" || item.name == "--") continue;  // CLI11's section markers
    if (!item.parents.empty()) {
      throw CLI::ConfigError(path + ": [" + item.parents.front() +
                             "]: sections are not supported; put every key at the top");
    }
    CLI::Option* option = cmd->get_option_no_throw("--" + item.name);
    if (option == nullptr || item.name == "config" || item.name == "help") {
      throw CLI::ConfigError(path + ": unknown key \"" + item.name +
                             "\" (the keys are the long options of tuner serve, without --)");
    }
    if (option->count() > 0) continue;  // the command line wins
    option->add_result(item.inputs);
    option->run_callback();
  }
}

}  // namespace

void AddServeCommand(CLI::App& app, CliAction* run) {
  auto* cmd = app.add_subcommand("serve", "Run the study server until SIGINT or SIGTERM");
  auto options = std::make_shared<ServerOptions>();
  cmd->add_option("--db", options->db_path, "SQLite file (created when missing)")
      ->capture_default_str();
  cmd->add_option("--listen", options->listen, "host:port to listen on; port 0 picks a free one")
      ->capture_default_str();
  cmd->add_option("--lease-s", options->lease_seconds,
                  "A running trial with no report or heartbeat for this long becomes STALE and "
                  "is offered again; 0 = no leases")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--http", options->http_listen,
                  "Also serve the web dashboard on host:port, e.g. 127.0.0.1:8080 (port 0 picks "
                  "a free one)");
  cmd->add_option("--tls-cert", options->tls_cert_file,
                  "TLS for gRPC and HTTP: PEM certificate (chain) file; needs --tls-key");
  cmd->add_option("--tls-key", options->tls_key_file, "TLS: PEM private key file");
  cmd->add_option("--token-file", options->token_file,
                  "Require the token on the file's first line on every RPC and HTTP request "
                  "but GET /healthz (docs/security.md)");
  cmd->add_option("--dashboard-dir", options->dashboard_dir,
                  "The dashboard's files (default: $TUNER_DASHBOARD_DIR, else the installed "
                  "or the build tree's dashboard/)");
  auto log_format = std::make_shared<std::string>("text");
  cmd->add_option("--log-format", *log_format,
                  "text (default) or json: each log line on stderr as one JSON object with "
                  "time, level, logger, thread and message (docs/observability.md)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  // Every option above as a key of a TOML file (`listen = "0.0.0.0:50051"`,
  // `lease-s = 300`); options on the command line win. docs/observability.md.
  auto config = std::make_shared<std::string>();
  cmd->add_option("--config", *config,
                  "Read options from this TOML file (keys: the long option names without --, "
                  "e.g. http = \"127.0.0.1:8080\"); flags override it (docs/observability.md)")
      ->check(CLI::ExistingFile);
  cmd->callback([run, options, cmd, config, log_format] {
    if (!config->empty()) ApplyConfigFile(cmd, *config);
    *run = [options, log_format] {
      if (*log_format == "json") UseJsonLogs();
      // Block the stop signals in every thread; this one waits for them.
      sigset_t signals;
      sigemptyset(&signals);
      sigaddset(&signals, SIGINT);
      sigaddset(&signals, SIGTERM);
      pthread_sigmask(SIG_BLOCK, &signals, nullptr);
      auto server = Server::Start(*options);
      if (!server.ok()) {
        std::cerr << "tuner serve: " << server.status().message() << "\n";
        return 1;
      }
      std::cout << "listening on " << (*server)->address() << std::endl;
      if (!(*server)->http_url().empty()) {
        std::cout << "dashboard: " << (*server)->http_url() << std::endl;
      }
      spdlog::info("serving {} on {}", options->db_path, (*server)->address());
      int sig = 0;
      sigwait(&signals, &sig);
      spdlog::info("signal {}: shutting down", sig);
      (*server)->Shutdown();
      return 0;
    };
  });
}

}  // namespace tuner
