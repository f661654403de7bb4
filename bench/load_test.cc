// Load test: N concurrent trainers (default 64) stream reports to one
// `tuner serve` child process for a fixed time. Each trainer takes a trial
// (SuggestTrials with its own client id), reports step after step on the
// ReportMetrics stream, and completes the trial every --per-trial reports (or
// when told to stop by the median rule). Afterwards every trial's stored
// measurements are counted against what the trainers sent and had
// acknowledged: lost = acknowledged but not stored, duplicated = stored more
// often than sent. Prints reports/s, p50/p99 report latency and the server's
// RSS (VmRSS of the child) every interval, and whether memory stayed flat
// (the last RSS within 20% of the RSS after warm-up).
//
//   build/bench_load_test [--seconds 60] [--trainers 64] [--per-trial 50]
//                         [--interval 5] [--rule median|none] [--tuner PATH]
// Exit code 1 when a measurement was lost or duplicated, or a report failed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "clients/cpp/tuner_client.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string Spec(bool median_rule) {
  return std::string(R"({"name": "load", "objective": {"metric": "acc", "goal": "maximize"},
  "max_trials": 100000000, "max_parallel_trials": 1000,)") +
         (median_rule
              ? R"("early_stopping": {"rule": "median", "min_trials": 5, "grace_steps": 10},)"
              : "") +
         R"("parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})";
}

struct Flags {
  double seconds = 60;
  int trainers = 64;
  int per_trial = 50;
  double interval = 5;
  bool median_rule = true;  // --rule median|none
  std::string tuner = TUNER_BIN;
};

// What one trainer sent and had acknowledged, per trial; its latencies.
struct Trainer {
  std::mutex mu;  // guards latencies (the monitor reads them)
  std::vector<double> latencies_ms;
  std::map<int64_t, int64_t> sent, acked;
  std::atomic<int64_t> trials{0};  // taken so far (the monitor reads it)
  int64_t errors = 0;
  std::string first_error;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// VmRSS of `pid` in MiB; 0 when unreadable.
double RssMib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  }
  return 0;
}

// Starts `tuner serve` on `db`; returns its pid and fills `address` from the
// "listening on ADDR" line it prints.
pid_t StartServer(const Flags& flags, const std::string& db, std::string* address) {
  int out[2];
  if (pipe(out) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execl(flags.tuner.c_str(), flags.tuner.c_str(), "serve", "--db", db.c_str(), "--listen",
          "127.0.0.1:0", static_cast<char*>(nullptr));
    std::perror("exec tuner");
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
  close(out[0]);  // the server's later output goes nowhere (SIGPIPE-safe: it logs to stderr)
  const std::string prefix = "listening on ";
  if (line.rfind(prefix, 0) != 0) return -1;
  *address = line.substr(prefix.size());
  return pid;
}

void ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--seconds") {
      flags->seconds = std::atof(value.c_str());
    } else if (flag == "--trainers") {
      flags->trainers = std::atoi(value.c_str());
    } else if (flag == "--per-trial") {
      flags->per_trial = std::atoi(value.c_str());
    } else if (flag == "--interval") {
      flags->interval = std::atof(value.c_str());
    } else if (flag == "--rule") {
      flags->median_rule = value != "none";
    } else if (flag == "--tuner") {
      flags->tuner = value;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  if (flags->seconds <= 0 || flags->trainers < 1 || flags->per_trial < 1) {
    std::fprintf(stderr, "--seconds, --trainers and --per-trial must be positive\n");
    std::exit(2);
  }
  flags->interval = std::clamp(flags->interval, 0.5, flags->seconds);
}

void RunTrainer(const std::string& address, const Flags& flags, int index, Clock::time_point end,
                Trainer* me) {
  auto client = tuner::TunerClient::Connect(address);
  if (!client.ok()) {
    me->errors++;
    me->first_error = std::string(client.status().message());
    return;
  }
  const std::string client_id = "trainer-" + std::to_string(index);
  uint64_t seed = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(index + 1);
  auto uniform = [&seed] {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    return static_cast<double>(seed >> 11) / 9007199254740992.0;
  };
  while (Clock::now() < end) {
    auto suggestion = (*client)->SuggestTrials("load", 1, client_id);
    if (!suggestion.ok() || suggestion->trials.empty()) {
      me->errors++;
      if (me->first_error.empty()) {
        me->first_error =
            suggestion.ok() ? "no trial suggested" : std::string(suggestion.status().message());
      }
      return;
    }
    const int64_t id = suggestion->trials[0].id();
    me->trials++;
    const double quality = uniform();
    for (int step = 1; step <= flags.per_trial && Clock::now() < end; ++step) {
      const double acc = quality * (1.0 - 1.0 / (step + 1)) + 0.01 * uniform();
      me->sent[id]++;
      const auto t0 = Clock::now();
      auto stop = (*client)->Report("load", id, step, {{"acc", acc}, {"loss", 1 - acc}});
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (!stop.ok()) {
        me->errors++;
        if (me->first_error.empty()) me->first_error = std::string(stop.status().message());
        continue;
      }
      me->acked[id]++;
      {
        std::lock_guard<std::mutex> lock(me->mu);
        me->latencies_ms.push_back(ms);
      }
      if (*stop) break;
    }
    if (me->sent[id] == 0) break;  // the time ran out before the first report
    auto done = (*client)->Complete("load", id, {});
    if (!done.ok()) {
      me->errors++;
      if (me->first_error.empty()) me->first_error = std::string(done.status().message());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  ParseFlags(argc, argv, &flags);
  signal(SIGPIPE, SIG_IGN);
  const std::string db =
      (std::filesystem::temp_directory_path() / ("tuner_load_" + std::to_string(getpid()) + ".db"))
          .string();
  auto remove_db = [&db] {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db + s);
  };
  remove_db();
  std::string address;
  const pid_t server = StartServer(flags, db, &address);
  if (server < 0) {
    std::fprintf(stderr, "could not start %s serve\n", flags.tuner.c_str());
    return 1;
  }
  auto stop_server = [server] {
    kill(server, SIGTERM);
    int status = 0;
    waitpid(server, &status, 0);
  };
  auto admin = tuner::TunerClient::Connect(address);
  if (!admin.ok() || !(*admin)->CreateStudy(Spec(flags.median_rule)).ok()) {
    std::fprintf(stderr, "could not create the study on %s\n", address.c_str());
    stop_server();
    return 1;
  }
  std::printf("load test: %d trainers, %.0f s, %d reports per trial, %s, server pid %d on %s\n\n",
              flags.trainers, flags.seconds, flags.per_trial,
              flags.median_rule ? "median rule" : "no stopping rule", static_cast<int>(server),
              address.c_str());
  std::printf("%8s %12s %10s %10s %10s\n", "t (s)", "reports/s", "p50 ms", "p99 ms", "RSS MiB");
  std::printf("%8.1f %12s %10s %10s %10.1f\n", 0.0, "-", "-", "-", RssMib(server));
  std::fflush(stdout);

  std::vector<Trainer> trainers(flags.trainers);
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(flags.seconds));
  std::vector<std::thread> threads;
  for (int i = 0; i < flags.trainers; ++i) {
    threads.emplace_back(RunTrainer, address, std::cref(flags), i, end, &trainers[i]);
  }

  // The monitor: one row per interval, from the latencies added since the last.
  std::vector<size_t> seen(flags.trainers, 0);
  std::vector<double> rss_series;
  const double warmup_s = std::min(10.0, flags.seconds / 3);
  double rss_after_warmup = 0;
  int64_t trials_at_warmup = 0;
  for (int k = 1;; ++k) {
    const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(k * flags.interval));
    const bool last = due >= end;
    std::this_thread::sleep_until(std::min(due, end));
    std::vector<double> window;
    for (int i = 0; i < flags.trainers; ++i) {
      std::lock_guard<std::mutex> lock(trainers[i].mu);
      const auto& l = trainers[i].latencies_ms;
      window.insert(window.end(), l.begin() + static_cast<std::ptrdiff_t>(seen[i]), l.end());
      seen[i] = l.size();
    }
    const double t = std::chrono::duration<double>(Clock::now() - start).count();
    const double span = std::min(flags.interval, t - (k - 1) * flags.interval);
    const double rss = RssMib(server);
    rss_series.push_back(rss);
    if (rss_after_warmup == 0 && t >= warmup_s - 1e-6) {
      rss_after_warmup = rss;
      for (const Trainer& tr : trainers) trials_at_warmup += tr.trials;
    }
    std::printf("%8.1f %12.0f %10.2f %10.2f %10.1f\n", t,
                static_cast<double>(window.size()) / std::max(span, 1e-3), Percentile(window, 0.5),
                Percentile(window, 0.99), rss);
    std::fflush(stdout);
    if (last) break;
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double rss_end = RssMib(server);

  // Count what the server stored against what the trainers sent and had acked.
  std::map<int64_t, int64_t> sent, acked;
  std::vector<double> all;
  int64_t errors = 0;
  for (auto& tr : trainers) {
    for (const auto& [id, n] : tr.sent) sent[id] += n;
    for (const auto& [id, n] : tr.acked) acked[id] += n;
    all.insert(all.end(), tr.latencies_ms.begin(), tr.latencies_ms.end());
    errors += tr.errors;
    if (!tr.first_error.empty())
      std::fprintf(stderr, "trainer error: %s\n", tr.first_error.c_str());
  }
  const auto count_start = Clock::now();
  auto stored_trials = (*admin)->ListTrials("load");
  if (!stored_trials.ok()) {
    std::fprintf(stderr, "ListTrials: %s\n", std::string(stored_trials.status().message()).c_str());
    stop_server();
    remove_db();
    return 1;
  }
  const double count_s = std::chrono::duration<double>(Clock::now() - count_start).count();
  int64_t stored_total = 0, lost = 0, duplicated = 0, sent_total = 0, acked_total = 0;
  std::map<int64_t, int64_t> stored;
  for (const auto& t : *stored_trials) stored[t.id()] = t.measurements_size();
  for (const auto& [id, n] : stored) {
    stored_total += n;
    duplicated += std::max<int64_t>(0, n - (sent.count(id) ? sent[id] : 0));
  }
  for (const auto& [id, n] : acked) {
    acked_total += n;
    lost += std::max<int64_t>(0, n - (stored.count(id) ? stored[id] : 0));
  }
  for (const auto& [id, n] : sent) sent_total += n;
  const bool flat = rss_after_warmup > 0 && rss_end <= 1.2 * rss_after_warmup;

  std::printf("\n%-34s %12.0f\n", "reports/s (whole run)",
              static_cast<double>(all.size()) / elapsed);
  std::printf("%-34s %12.2f\n", "p50 report latency (ms)", Percentile(all, 0.5));
  std::printf("%-34s %12.2f\n", "p99 report latency (ms)", Percentile(all, 0.99));
  std::printf("%-34s %12zu\n", "trials", stored.size());
  std::printf("%-34s %12lld\n", "reports sent", static_cast<long long>(sent_total));
  std::printf("%-34s %12lld\n", "reports acknowledged", static_cast<long long>(acked_total));
  std::printf("%-34s %12lld\n", "measurements stored", static_cast<long long>(stored_total));
  std::printf("%-34s %12lld\n", "lost (acked, not stored)", static_cast<long long>(lost));
  std::printf("%-34s %12lld\n", "duplicated (stored > sent)", static_cast<long long>(duplicated));
  std::printf("%-34s %12lld\n", "client errors", static_cast<long long>(errors));
  std::printf("%-34s %12.2f\n", "ListTrials of everything (s)", count_s);
  std::printf("%-34s %12.1f\n", "RSS after warm-up (MiB)", rss_after_warmup);
  std::printf("%-34s %12.1f\n", "RSS at the end (MiB)", rss_end);
  std::printf("memory: %s (end %.0f%% of warm-up; flat = within 20%%)\n", flat ? "flat" : "GROWING",
              rss_after_warmup > 0 ? 100.0 * rss_end / rss_after_warmup : 0.0);
  // The server keeps each study's trials in memory (the designer's history)
  // and the stopping rule's evidence, so RSS grows with trials, not reports.
  const int64_t new_trials = static_cast<int64_t>(stored.size()) - trials_at_warmup;
  if (new_trials > 0) {
    std::printf("%-34s %12.2f\n", "RSS growth per trial (KiB)",
                (rss_end - rss_after_warmup) * 1024.0 / static_cast<double>(new_trials));
  }
  std::printf("verdict: %s\n", lost == 0 && duplicated == 0 && errors == 0
                                   ? "no measurement lost or duplicated"
                                   : "FAILED");
  stop_server();
  remove_db();
  return lost == 0 && duplicated == 0 && errors == 0 ? 0 : 1;
}
