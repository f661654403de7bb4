// A Launcher for orchestrator tests: no processes. Each launched trial runs a
// scripted "trainer" on the fake's own thread: the script may report and
// complete through a real client, emit stdout measurements, and says how the
// cluster exits. Stop() ends a running script with kStopped.
#ifndef TUNER_TESTS_TUNER_FAKE_LAUNCHER_H_
#define TUNER_TESTS_TUNER_FAKE_LAUNCHER_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "trial_runner/launcher.h"

namespace tuner {

class FakeLauncher : public Launcher {
 public:
  struct Context {
    const LaunchRequest& request;
    MeasurementCallback emit;              // a stdout measurement
    std::function<bool()> stop_requested;  // Stop() was called
  };
  // Runs the trial; returns how its cluster exits (ignored after Stop()).
  using Script = std::function<ClusterExit(Context&)>;

  explicit FakeLauncher(Script script) : script_(std::move(script)) {}
  ~FakeLauncher() override { StopAll(); }

  absl::Status Launch(const LaunchRequest& request, MeasurementCallback on_measurement,
                      ExitCallback on_exit) override {
    std::lock_guard<std::mutex> lock(mu_);
    launched_.push_back(request.trial_id);
    ++running_;
    max_running_ = std::max(max_running_, running_);
    threads_.emplace_back([this, request, on_measurement, on_exit] {
      Context ctx{request, on_measurement, [this, id = request.trial_id] {
                    std::lock_guard<std::mutex> lock(mu_);
                    return stopped_.contains(id);
                  }};
      ClusterExit exit = script_(ctx);
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopped_.contains(request.trial_id)) exit = {ClusterExit::Kind::kStopped, "stopped"};
        --running_;
      }
      on_exit(request.trial_id, exit);
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++exited_;
      }
      cv_.notify_all();
    });
    return absl::OkStatus();
  }

  void Stop(int64_t trial_id, const std::string&) override {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_.insert(trial_id);
  }

  void StopAll() override {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int64_t id : launched_) stopped_.insert(id);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

  std::string Handle(int64_t trial_id) override { return "fake:" + std::to_string(trial_id); }
  void Reap(const LaunchRequest& request, const std::string& handle) override {
    std::lock_guard<std::mutex> lock(mu_);
    reaped_.push_back(std::to_string(request.trial_id) + "=" + handle);
  }
  std::vector<std::string> reaped() {
    std::lock_guard<std::mutex> lock(mu_);
    return reaped_;
  }

  std::vector<int64_t> launched() {
    std::lock_guard<std::mutex> lock(mu_);
    return launched_;
  }
  int max_running() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_running_;
  }

 private:
  Script script_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> threads_;                // guarded by mu_
  std::vector<int64_t> launched_;                   // guarded by mu_
  std::set<int64_t> stopped_;                       // guarded by mu_
  std::vector<std::string> reaped_;                 // guarded by mu_
  int running_ = 0, max_running_ = 0, exited_ = 0;  // guarded by mu_
};

}  // namespace tuner

#endif  // TUNER_TESTS_TUNER_FAKE_LAUNCHER_H_
