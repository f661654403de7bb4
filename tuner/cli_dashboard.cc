// `tuner dashboard --db FILE [--http 127.0.0.1:8080]`: the web dashboard of a
// db file, read-only (a study that another process is running stays live).
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "storage/sqlite_store.h"
#include "tuner/cli.h"
#include "tuner/http_server.h"
#include "tuner/study_service.h"

namespace tuner {
namespace {

struct DashboardFlags {
  std::string db = "tuner.db";
  std::string http = "127.0.0.1:8080";
  std::string dashboard_dir;
};

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
  StudyService service(store->get());
  auto server = HttpServer::Start(
      &service, {.listen = flags.http, .api = {.dashboard_dir = flags.dashboard_dir}});
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
                  "The dashboard's files (default: $TUNER_DASHBOARD_DIR, else the source "
                  "tree's dashboard/)");
  cmd->callback([run, flags] { *run = [flags] { return Dashboard(*flags); }; });
}

}  // namespace tuner
