// `tuner run STUDY.json`: run a study to the end with trainer clusters on this
// machine, against an embedded server (default) or a running one (--server).
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "study/study_json.h"
#include "trial_runner/device_pool.h"
#include "trial_runner/local_launcher.h"
#include "trial_runner/slurm_launcher.h"
#include "tuner/cli/commands.h"
#include "tuner/cli/initial_design_notice.h"
#include "tuner/cli/orchestrator.h"
#include "tuner/cli/progress_printer.h"
#include "tuner/cli/result_format.h"
#include "tuner/cli/study_dir.h"
#include "tuner/server/auth.h"
#include "tuner/server/install_paths.h"
#include "tuner/server/remote_study_api.h"
#include "tuner/server/server.h"
#include "tuner/server/token_scope.h"
#include "tuner/service/study_service.h"

namespace tuner {
namespace {

struct RunFlags {
  std::string study_file;
  std::string db = "tuner.db";
  std::string server;
  std::string output_dir;
  std::string http;        // also serve the dashboard here ("" = no)
  std::string tls_cert;    // embedded server
  std::string tls_key;     // embedded server
  std::string token_file;  // the embedded server's, or the one --server expects
  std::string tls_ca;      // clients' CA; default: tls_cert
  double lease_seconds = 600;
  bool json = false;
  std::string devices;  // --devices: the machine's device ids
  bool devices_given = false;
  bool join = false;  // run beside the study's owner (with --server)
};

// Claims the study for this run (docs/lifecycle.md, "One owner per study"):
// the result, or the message to exit with (code 2) when another live run
// owns it. An owner on this host whose process is gone is taken over.
absl::StatusOr<StudyApi::ClaimResult> ClaimForRun(StudyApi& api, const std::string& study,
                                                  StudyApi::RunClaim claim) {
  auto result = api.ClaimStudy(study, claim);
  if (result.ok() && !result->granted && result->held_by.host == claim.host &&
      kill(static_cast<pid_t>(result->held_by.pid), 0) == -1 && errno == ESRCH) {
    claim.take_over = result->held_by.run_id;
    result = api.ClaimStudy(study, claim);
  }
  if (!result.ok() || result->granted) return result;
  const RunRecord& owner = result->held_by;
  return absl::FailedPreconditionError(
      "study \"" + study + "\" is being run by `tuner run` pid " + std::to_string(owner.pid) +
      " on " + owner.host + " since " + UtcTime(owner.start_time) + " (run " + owner.run_id +
      "); wait for it to end, or add --join (with --server) to run trials beside it");
}

int Fail(const std::string& message) {
  std::cerr << "tuner run: " << (message.empty() ? "failed (no message)" : message) << "\n";
  return 1;
}

// Waits for SIGINT, SIGTERM, SIGHUP (and SIGWINCH, a resize) on its own thread (the signals are
// blocked in every other thread) and calls `on_signal`; Finish() ends it. A
// write to a closed pipe (`tuner run ... | head`) raises SIGPIPE in the
// writing thread; its handler turns it into a SIGTERM for the watcher, so the
// run ends its clusters instead of dying with them running.
class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void(int)> on_signal) {
    struct sigaction pipe_action = {};
    pipe_action.sa_handler = [](int) { kill(getpid(), SIGTERM); };
    sigemptyset(&pipe_action.sa_mask);
    sigaction(SIGPIPE, &pipe_action, nullptr);
    sigset_t set = Set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    thread_ = std::thread([this, on_signal, set] {
      int sig = 0;
      while (sigwait(&set, &sig) == 0 && sig != SIGUSR1) on_signal(sig);
    });
  }
  ~SignalWatcher() {
    pthread_kill(thread_.native_handle(), SIGUSR1);
    thread_.join();
    signal(SIGPIPE, SIG_IGN);  // nothing left to stop: a late write just fails
  }

  static sigset_t Set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGWINCH);
    sigaddset(&set, SIGUSR1);
    return set;
  }

 private:
  std::thread thread_;
};

int Run(const RunFlags& flags) {
  std::ifstream in(flags.study_file);
  if (!in) return Fail("cannot open " + flags.study_file);
  std::stringstream text;
  text << in.rdbuf();
  StudyParseResult parsed = ParseStudy(text.str());
  if (!parsed.ok()) {
    for (const StudyFault& f : parsed.faults) {
      std::cerr << flags.study_file << ": " << f.ToString() << "\n";
    }
    return 2;
  }
  const StudySpec& spec = parsed.spec;
  if (!spec.has_trainer) {
    return Fail(flags.study_file +
                ": the study has no trainer; add \"trainer\" or attach trainers with the "
                "clients (ask/tell)");
  }

  // Devices for trainer.resources.gpus_per_rank: --devices, else found.
  std::vector<std::string> devices;
  if (spec.trainer.resources.gpus_per_rank > 0) {
    std::string source = "--devices";
    if (flags.devices_given) {
      auto parsed_devices = ParseDeviceList(flags.devices);
      if (!parsed_devices.ok()) {
        return Fail("--devices: " + std::string(parsed_devices.status().message()));
      }
      devices = std::move(*parsed_devices);
    } else {
      auto found = FindDevices();
      if (!found.ok()) return Fail(std::string(found.status().message()));
      devices = std::move(found->devices);
      source = found->source;
    }
    std::string list;
    for (const std::string& d : devices) list += (list.empty() ? "" : ",") + d;
    spdlog::info("devices {} (from {}); {} per rank", list.empty() ? "none" : list, source,
                 spec.trainer.resources.gpus_per_rank);
  }

  // Signals are blocked from here on in every thread the run creates.
  std::unique_ptr<Orchestrator> orchestrator;
  std::atomic<bool> interrupted{false};
  std::atomic<ProgressPrinter*> live_printer{nullptr};
  SignalWatcher watcher([&](int sig) {
    if (sig == SIGWINCH) {  // the terminal was resized: redraw the status line
      if (ProgressPrinter* p = live_printer.load()) p->Redraw();
      return;
    }
    spdlog::warn("signal {}: stopping every cluster", sig);
    interrupted = true;
    if (orchestrator) orchestrator->Interrupt();
  });

  if (flags.join && flags.server.empty()) {
    return Fail("--join needs --server ADDR: an embedded server belongs to its run alone");
  }
  std::unique_ptr<Server> server;
  std::string endpoint = flags.server;
  // The dashboard's logs route reads the trial directories ("" = beside the db).
  const std::string trials_dir =
      flags.output_dir.empty() ? "" : std::filesystem::absolute(flags.output_dir).string();
  if (endpoint.empty()) {
    auto started = Server::Start({.db_path = flags.db,
                                  .owner = "tuner run " + flags.study_file,
                                  .listen = "127.0.0.1:0",
                                  .lease_seconds = flags.lease_seconds,
                                  .http_listen = flags.http,
                                  .trials_dir = trials_dir,
                                  .tls_cert_file = flags.tls_cert,
                                  .tls_key_file = flags.tls_key,
                                  .token_file = flags.token_file});
    if (!started.ok()) {
      Fail(std::string(started.status().message()));
      // Someone else runs this db: exit code 2, as for a refused study.
      return started.status().code() == absl::StatusCode::kFailedPrecondition ? 2 : 1;
    }
    server = std::move(*started);
    endpoint = server->address();
  }
  // The trainers' client settings (and the orchestrator's with --server): the
  // embedded server's certificate is its own CA unless --tls-ca says otherwise.
  auto security =
      ClientSecurity(flags.token_file, flags.tls_ca.empty() ? flags.tls_cert : flags.tls_ca);
  if (!security.ok()) return Fail(std::string(security.status().message()));
  if (server && flags.tls_cert.empty()) security->ca_file.clear();  // plain embedded server
  if (!security->ca_file.empty()) {
    security->ca_file = std::filesystem::absolute(security->ca_file).string();
  }
  // The orchestrator talks to the embedded server's service in process, or
  // to --server through the client.
  std::unique_ptr<StudyApi> remote;
  StudyApi* api = nullptr;
  if (server) {
    api = &server->service();
  } else {
    // Ride out a restart of the server: a call waits while it cannot be
    // reached ($TUNER_RETRY_S, default 10 minutes), the status line says
    // since when, and Ctrl-C gives up at once.
    ConnectOptions options = *security;
    options.on_wait = [&, since = std::optional<std::time_t>()](const absl::Status& s) mutable {
      ProgressPrinter* printer = live_printer.load();
      auto notice = [&](const std::string& event, const std::string& condition) {
        if (printer != nullptr) {
          printer->Notice(event, condition);
        } else {
          spdlog::warn(fmt::runtime(event));
        }
      };
      if (s.ok()) {
        if (since) {
          notice("server " + endpoint + " answers again after " +
                     std::to_string(std::time(nullptr) - *since) + " s",
                 "");
        }
        since.reset();
        return true;
      }
      if (!since) {
        since = std::time(nullptr);
        std::tm local{};
        localtime_r(&*since, &local);
        char clock[16];
        std::strftime(clock, sizeof clock, "%H:%M:%S", &local);
        notice("server " + endpoint + " unreachable since " + clock + " (" +
                   std::string(s.message()) +
                   "); waiting for it ($TUNER_RETRY_S, default 600 s; Ctrl-C ends the run)",
               std::string("server unreachable since ") + clock);
      }
      return !interrupted.load();
    };
    auto connected = ConnectStudyApi(endpoint, options);
    if (!connected.ok()) return Fail(std::string(connected.status().message()));
    remote = std::move(*connected);
    api = remote.get();
  }
  // An edited study file becomes the study's next spec version: say so.
  auto versions_of = [](const Study& s) {
    auto v = nlohmann::json::parse(s.spec_versions_json, nullptr, false);
    return v.is_array() ? v : nlohmann::json::array();
  };
  std::optional<size_t> versions_before;
  if (auto parsed = ParseStudyOrError(text.str()); parsed.ok()) {
    if (auto stored = api->GetStudy(parsed->name); stored.ok()) {
      versions_before = versions_of(*stored).size();
    }
  }
  auto study = api->CreateStudy(text.str(), /*resume=*/true);
  if (!study.ok()) return Fail(std::string(study.status().message()));
  if (const nlohmann::json versions = versions_of(*study);
      versions_before && versions.size() > *versions_before) {
    std::string changes;
    for (const auto& c : versions.back().value("changes", nlohmann::json::array())) {
      changes += (changes.empty() ? "" : "; ") + c.get<std::string>();
    }
    std::cerr << "tuner run: study " << study->name << " edited: spec version "
              << versions.back().value("version", 0) << " (" << changes << "); `tuner studies "
              << study->name << " --history` lists the versions\n";
  }

  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const StudyApi::RunClaim claim = {
      .run_id = std::string(host) + ":" + std::to_string(getpid()) + ":" +
                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count()),
      .host = host,
      .pid = getpid(),
      .join = flags.join};
  auto claimed = ClaimForRun(*api, spec.name, claim);
  if (!claimed.ok()) {
    Fail(std::string(claimed.status().message()));
    return claimed.status().code() == absl::StatusCode::kFailedPrecondition ? 2 : 1;
  }
  struct ReleaseOnExit {
    StudyApi* api;
    std::string study, run_id;
    ~ReleaseOnExit() { (void)api->ReleaseStudy(study, run_id); }
  } release{api, spec.name, claim.run_id};

  const std::filesystem::path study_dir = std::filesystem::absolute(flags.study_file).parent_path();
  // Absolute: Slurm's compute nodes do not share this process's cwd.
  std::string output_root =
      flags.output_dir.empty() ? "" : std::filesystem::absolute(flags.output_dir).string();
  if (output_root.empty()) {
    output_root = (std::filesystem::absolute(flags.db).parent_path() / "tuner_trials").string();
  }
  OrchestratorOptions options;
  options.working_dir = study_dir.string();
  options.output_root = output_root;
  // Only the owner touches the study's directory; a joined run's files go
  // into it beside the owner's.
  if (claimed->owner) {
    auto moved = ClaimStudyDir((std::filesystem::path(output_root) / spec.name).string(),
                               study->create_time);
    if (!moved.ok()) return Fail(std::string(moved.status().message()));
    if (!moved->empty()) spdlog::warn(fmt::runtime(*moved));
  }
  options.endpoint = endpoint;
  options.devices = devices;
  // Python trainers find the client package and its generated stubs.
  std::string pythonpath;
  for (const std::string& dir : PythonClientPath()) {
    pythonpath += (pythonpath.empty() ? "" : ":") + dir;
  }
  if (const char* existing = std::getenv("PYTHONPATH"); existing && *existing) {
    pythonpath += std::string(":") + existing;
  }
  options.extra_env["PYTHONPATH"] = pythonpath;
  if (IsMintedToken(security->token)) {
    options.extra_env["TUNER_TOKEN"] = security->token;  // a worker token: passed on as it is
  } else if (!security->token.empty()) {
    // The admin token stays with the run; each trial's ranks get their own.
    options.trial_token = [admin = security->token, study = spec.name](int64_t id) {
      return MintTrialToken(admin, study, id);
    };
  }
  if (!security->ca_file.empty()) options.extra_env["TUNER_TLS_CA"] = security->ca_file;
  const bool live = !flags.json && isatty(STDOUT_FILENO);
  std::FILE* progress_out = flags.json ? stderr : stdout;
  ProgressPrinter printer(progress_out, live, spec.objectives.front().metric);
  options.on_progress = [&printer](const RunProgress& p) { printer.Show(p); };
  live_printer = &printer;
  if (!flags.json) {
    std::fprintf(progress_out, "study %s: %s on %s, up to %d clusters in parallel\n",
                 spec.name.c_str(), ToString(spec.algorithm.name).c_str(), endpoint.c_str(),
                 spec.max_parallel_trials);
    std::fputs(InitialDesignNotice(spec).c_str(), progress_out);
  }
  if (server && !server->http_url().empty()) {
    std::fprintf(progress_out, "dashboard: %s\n", server->http_url().c_str());
    std::fflush(progress_out);
  }

  // trainer.backend picks where the clusters run (docs/slurm.md for slurm).
  std::unique_ptr<Launcher> launcher;
  if (spec.trainer.backend == Backend::kSlurm) {
    launcher = std::make_unique<SlurmLauncher>();
  } else {
    launcher = std::make_unique<LocalLauncher>(LocalLauncherOptions{
        .log = [](const std::string& notice) { spdlog::warn("local launcher: {}", notice); }});
  }
  if (!claimed->owner) {
    // Joined: slots of its own, no reaping (the owner's trials are not ours).
    options.client_prefix = std::string(kJoinedPrefix) + claim.run_id + ":";
    options.recover = false;
    std::fprintf(progress_out, "joined: running trials beside the study's owner\n");
  }
  options.on_heartbeat = [&api, &spec, claim]() -> absl::Status {
    auto renewed = ClaimForRun(*api, spec.name, claim);
    return renewed.ok() ? absl::OkStatus() : renewed.status();
  };
  orchestrator = std::make_unique<Orchestrator>(api, launcher.get(), spec, options);
  if (interrupted) orchestrator->Interrupt();
  auto summary = orchestrator->Run();
  live_printer = nullptr;
  printer.Close();
  if (!summary.ok()) return Fail(std::string(summary.status().message()));

  auto best = api->GetBestTrials(spec.name);
  if (!best.ok()) return Fail(std::string(best.status().message()));
  std::vector<std::string> metrics;
  for (const Objective& o : spec.objectives) metrics.push_back(o.metric);
  if (flags.json) {
    nlohmann::json out = {{"study", spec.name}};
    if (best->empty()) {
      out["best"] = nullptr;
    } else {
      nlohmann::json b = TrialJson(best->front());
      out["best"] = {
          {"trial", b["trial"]}, {"parameters", b["parameters"]}, {"metrics", b["metrics"]}};
    }
    if (spec.objectives.size() > 1) {
      out["pareto"] = nlohmann::json::array();
      for (const Trial& t : *best) out["pareto"].push_back(TrialJson(t));
    }
    out["trials"] = {{"completed", summary->counts.completed},
                     {"failed", summary->counts.failed},
                     {"stopped", summary->counts.stopped},
                     {"infeasible", summary->counts.infeasible}};
    // Trials to run again (interrupted, or their lease expired).
    if (summary->counts.stale > 0) out["trials"]["requeued"] = summary->counts.stale;
    out["interrupted"] = summary->interrupted;
    std::cout << out.dump(2) << std::endl;
  } else {
    std::cout << "\n"
              << summary->counts.completed << " completed, " << summary->counts.failed
              << " failed, " << summary->counts.stopped << " stopped, "
              << summary->counts.infeasible << " infeasible";
    if (summary->counts.stale > 0) {
      std::cout << ", " << summary->counts.stale << " requeued (interrupted or lease expired)";
    }
    std::cout << (summary->interrupted ? " (interrupted: run it again to resume)" : "") << "\n\n";
    if (best->empty()) {
      std::cout << "no trial completed\n";
    } else {
      for (const Trial& t : *best) std::cout << BestTrialText(spec.name, t, metrics);
      if (best->size() == 1 && best->front().parent_trial > 0) {
        if (auto all = api->ListTrials(spec.name, {}); all.ok()) {
          std::cout << ScheduleText(ScheduleOf(*all, best->front()));
        }
      }
    }
  }
  if (summary->interrupted) return 130;
  return best->empty() ? 1 : 0;
}

}  // namespace

void AddRunCommand(CLI::App& app, CliAction* run) {
  auto* cmd = app.add_subcommand(
      "run", "Run a study to the end: trainer clusters on this machine, progress, best result");
  auto flags = std::make_shared<RunFlags>();
  cmd->add_option("study", flags->study_file, "Study JSON file")->required();
  auto* db = cmd->add_option("--db", flags->db, "SQLite file of the embedded server")
                 ->capture_default_str();
  auto* server =
      cmd->add_option("--server", flags->server, "Use a running server instead (host:port)")
          ->excludes(db);
  cmd->add_option("--http", flags->http,
                  "Also serve the web dashboard on host:port while the study runs, e.g. "
                  "127.0.0.1:8080")
      ->excludes(server);
  auto* tls_cert = cmd->add_option("--tls-cert", flags->tls_cert,
                                   "Embedded server: TLS certificate (chain) PEM file")
                       ->excludes(server);
  cmd->add_option("--tls-key", flags->tls_key, "Embedded server: TLS private key PEM file")
      ->excludes(server)
      ->needs(tls_cert);
  tls_cert->needs(cmd->get_option("--tls-key"));
  cmd->add_option("--token-file", flags->token_file,
                  "File whose first line is the token: the embedded server requires it; with "
                  "--server, the one sent (default: $TUNER_TOKEN)");
  cmd->add_option("--tls-ca", flags->tls_ca,
                  "Connect with TLS trusting this CA PEM file (default with --tls-cert: the "
                  "certificate itself; else $TUNER_TLS_CA)");
  cmd->add_option("--lease-s", flags->lease_seconds,
                  "Embedded server: a trial with no report or heartbeat for this long becomes "
                  "STALE (the run renews the leases of the clusters it runs)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option(
      "--output-dir", flags->output_dir,
      "Trial directories (logs, TUNER_OUTPUT_DIR); default: tuner_trials beside the db");
  cmd->add_flag("--json", flags->json, "Print one JSON object at the end (progress on stderr)");
  auto* devices = cmd->add_option(
      "--devices", flags->devices,
      "The machine's GPU ids, e.g. 0,1,2,3, handed out to trials with "
      "trainer.resources.gpus_per_rank (no two running trials share one); default: $TUNER_GPUS, "
      "else $CUDA_VISIBLE_DEVICES, else what nvidia-smi -L lists");
  cmd->add_flag("--join", flags->join,
                "With --server: run trials beside the run that owns the study (its slots add up "
                "under max_parallel_trials), instead of being refused");
  cmd->callback([run, flags, devices] {
    flags->devices_given = devices->count() > 0;
    *run = [flags] { return Run(*flags); };
  });
}

}  // namespace tuner
