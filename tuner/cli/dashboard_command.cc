// `tuner dashboard --db FILE [--http 127.0.0.1:8080]`: the web dashboard of a
// db file, read-only (a study that another process is running stays live).
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "storage/sqlite_store.h"
#include "tuner/cli/commands.h"
#include "tuner/server/auth.h"
#include "tuner/server/http_server.h"
#include "tuner/service/study_service.h"

namespace tuner {
namespace {

struct DashboardFlags {
  std::string db = "tuner.db";
  std::string http = "127.0.0.1:8080";
  std::string dashboard_dir;
  std::string tls_cert;
  std::string tls_key;
  std::string token_file;
  std::string output_dir;  // "" = tuner_trials beside the db
};

std::string TrialsDir(const DashboardFlags& flags) {
  namespace fs = std::filesystem;
  return flags.output_dir.empty() ? (fs::absolute(flags.db).parent_path() / "tuner_trials").string()
                                  : fs::absolute(flags.output_dir).string();
}

int Dashboard(const DashboardFlags& flags) {
  // Block the stop signals in every thread; this one waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto store = OpenSqliteStore(flags.db, {.read_only = true});
  if (!store.ok()) {
    std::cerr << "tuner dashboard: " << flags.db << ": " << store.status().message() << "\n";
    return 1;
  }
  std::string token;
  if (!flags.token_file.empty()) {
    auto read = ReadTokenFile(flags.token_file);
    if (!read.ok()) {
      std::cerr << "tuner dashboard: " << read.status().message() << "\n";
      return 1;
    }
    token = std::move(*read);
  }
  StudyService service(store->get());
  auto server = HttpServer::Start(
      &service, {.listen = flags.http,
                 .api = {.dashboard_dir = flags.dashboard_dir, .trials_dir = TrialsDir(flags)},
                 .tls_cert_file = flags.tls_cert,
                 .tls_key_file = flags.tls_key,
                 .token = token});
  if (!server.ok()) {
    std::cerr << "tuner dashboard: " << server.status().message() << "\n";
    return 1;
  }
  std::cout << "dashboard: " << (*server)->url() << std::endl;
  spdlog::info("dashboard of {} (read-only) on {}", flags.db, (*server)->url());
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: shutting down", sig);
  (*server)->Shutdown();
  return 0;
}

}  // namespace

void AddDashboardCommand(CLI::App& app, CliAction* run) {
  auto* cmd = app.add_subcommand(
      "dashboard", "Serve the web dashboard of a db file, read-only, until SIGINT or SIGTERM");
  auto flags = std::make_shared<DashboardFlags>();
  cmd->add_option("--db", flags->db, "SQLite file to show (opened read-only)")
      ->capture_default_str();
  cmd->add_option("--http", flags->http, "host:port to serve on; port 0 picks a free one")
      ->capture_default_str();
  cmd->add_option("--dashboard-dir", flags->dashboard_dir,
                  "The dashboard's files (default: $TUNER_DASHBOARD_DIR, else the installed "
                  "or the build tree's dashboard/)");
  cmd->add_option("--tls-cert", flags->tls_cert, "HTTPS: PEM certificate (chain) file");
  cmd->add_option("--tls-key", flags->tls_key, "HTTPS: PEM private key file");
  cmd->add_option("--token-file", flags->token_file,
                  "Require the token on the file's first line (open the dashboard once with "
                  "?token=...; docs/security.md)");
  cmd->add_option("--output-dir", flags->output_dir,
                  "Where the trial directories are, for the trials' logs (default: tuner_trials "
                  "beside the db)");
  cmd->callback([run, flags] { *run = [flags] { return Dashboard(*flags); }; });
}

}  // namespace tuner
