// Reports per second end to end through the ReportMetrics stream, each
// answered with a median-rule decision and durable (SQLite, WAL, group
// commit) before it is acknowledged; next to Optuna 3.1 with SQLite storage
// doing trial.report + trial.should_prune (bench/optuna_report_rate.py), run
// in the same process tree.
//
//   build/bench_report_throughput [--trainers 32] [--reports 400] [--runs 3]
//
// Also measures the cost of report ids (exactly-once reports): the same runs
// with clients that send none, alternating with the normal ones.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "clients/cpp/tuner_client.h"
#include "tuner/server/server.h"
#include "tuner/service/study_service.h"

namespace {

using Clock = std::chrono::steady_clock;

const char* kSpec = R"({"name": "bench", "objective": {"metric": "acc", "goal": "maximize"},
  "max_trials": 100000, "max_parallel_trials": 64,
  "early_stopping": {"rule": "median", "min_trials": 5, "grace_steps": 2},
  "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})";

struct RunResult {
  double reports_per_s = 0, p50_ms = 0, p99_ms = 0;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

RunResult RunOnce(int trainers, int reports, int run, bool report_ids) {
  const std::string db =
      (std::filesystem::temp_directory_path() /
       ("tuner_bench_reports_" + std::to_string(getpid()) + "_" + std::to_string(run) + ".db"))
          .string();
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db + s);
  auto server = tuner::Server::Start({.db_path = db, .listen = "127.0.0.1:0"});
  if (!server.ok()) {
    std::fprintf(stderr, "server: %s\n", std::string(server.status().message()).c_str());
    std::exit(1);
  }
  tuner::StudyService& service = (*server)->service();
  if (!service.CreateStudy(kSpec).ok()) std::exit(1);
  // Completed curves so that the median rule decides from the start.
  std::mt19937_64 rng(run);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 10; ++i) {
    auto t = service.SuggestTrials("bench", 1, "warmup");
    const int64_t id = t->trials[0].id;
    for (int step = 1; step <= reports; ++step) {
      (void)service.ReportMeasurement("bench", id, {.step = step, .metrics = {{"acc", u(rng)}}});
    }
    (void)service.CompleteTrial("bench", id, {});
  }

  std::vector<std::vector<double>> latencies(trainers);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int w = 0; w < trainers; ++w) {
    threads.emplace_back([&, w] {
      auto client = tuner::TunerClient::Connect((*server)->address(), {.report_ids = report_ids});
      auto s = (*client)->SuggestTrials("bench", 1, "trainer-" + std::to_string(w));
      const int64_t id = s->trials[0].id();
      std::mt19937_64 local(w);
      latencies[w].reserve(reports);
      for (int step = 1; step <= reports; ++step) {
        const auto t0 = Clock::now();
        auto decision = (*client)->Report("bench", id, step, {{"acc", u(local)}});
        if (!decision.ok()) {
          std::fprintf(stderr, "report: %s\n", std::string(decision.status().message()).c_str());
          std::exit(1);
        }
        latencies[w].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  (*server)->Shutdown();
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db + s);
  return {static_cast<double>(trainers) * reports / seconds, Percentile(all, 0.5),
          Percentile(all, 0.99)};
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int trainers = 32, reports = 400, runs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--trainers") trainers = value;
    if (flag == "--reports") reports = value;
    if (flag == "--runs") runs = value;
  }
  // With report ids (the default: exactly once across retries) and without,
  // alternating so that both see the same machine load.
  std::vector<double> rate, p50, p99, plain_rate, plain_p50, plain_p99;
  for (int r = 0; r < runs; ++r) {
    RunResult result = RunOnce(trainers, reports, r, true);
    rate.push_back(result.reports_per_s);
    p50.push_back(result.p50_ms);
    p99.push_back(result.p99_ms);
    RunResult plain = RunOnce(trainers, reports, r, false);
    plain_rate.push_back(plain.reports_per_s);
    plain_p50.push_back(plain.p50_ms);
    plain_p99.push_back(plain.p99_ms);
  }
  // The peer, in the same run: Optuna 3.1, SQLite storage, MedianPruner.
  double optuna_rate = 0;
  const std::string script = std::string(TUNER_SOURCE_DIR) + "/bench/optuna_report_rate.py";
  const std::string command = "/usr/bin/python3 " + script + " --runs " + std::to_string(runs);
  if (std::FILE* pipe = popen(command.c_str(), "r")) {
    if (std::fscanf(pipe, "%lf", &optuna_rate) != 1) optuna_rate = 0;
    pclose(pipe);
  }
  std::printf("report throughput, median of %d runs (%d trainers x %d reports, median rule)\n\n",
              runs, trainers, reports);
  std::printf("%-34s %14s %10s %10s\n", "system", "reports/s", "p50 ms", "p99 ms");
  std::printf("%-34s %14.0f %10.2f %10.2f\n", "tuner (gRPC stream, SQLite WAL)", Median(rate),
              Median(p50), Median(p99));
  std::printf("%-34s %14.0f %10.2f %10.2f\n", "tuner, reports without report ids",
              Median(plain_rate), Median(plain_p50), Median(plain_p99));
  if (optuna_rate > 0) {
    std::printf("%-34s %14.0f %10s %10s\n", "optuna 3.1 (SQLite, MedianPruner)", optuna_rate, "-",
                "-");
    std::printf("\nratio tuner / optuna: %.1fx\n", Median(rate) / optuna_rate);
  } else {
    std::printf("optuna 3.1: not measured (install python3-optuna)\n");
  }
  return 0;
}
