// Helpers for tests that run real trainer processes: temporary directories,
// a marker in the environment to find every process of a trial (grandchildren
// included), and a recorder of launcher callbacks.
#ifndef TUNER_TESTS_TRIAL_RUNNER_TEST_PROCESSES_H_
#define TUNER_TESTS_TRIAL_RUNNER_TEST_PROCESSES_H_

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "trial_runner/launcher.h"

namespace tuner::testing {

// The variable that marks the processes of one test's trials.
inline constexpr char kMarkerVariable[] = "TUNER_TEST_MARKER";

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tuner_trial_runner_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A value no other test (or test run) uses.
inline std::string UniqueMarker() {
  static std::atomic<int> counter{0};
  return "m" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

// The file's content; what could be read of it when it vanishes meanwhile
// (as /proc files of exiting processes do).
inline std::string ReadFile(const std::string& path) {
  std::string content;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return content;
  char buffer[4096];
  for (;;) {
    const ssize_t size = ::read(fd, buffer, sizeof buffer);
    if (size < 0 && errno == EINTR) continue;
    if (size <= 0) break;
    content.append(buffer, static_cast<size_t>(size));
  }
  ::close(fd);
  return content;
}

// Processes that are running (zombies have ended) and carry
// TUNER_TEST_MARKER=<marker> in their environment.
inline int CountMarkedProcesses(const std::string& marker) {
  const std::string wanted = std::string(kMarkerVariable) + "=" + marker;
  int count = 0;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return -1;
  while (const dirent* entry = ::readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) continue;
    const std::string dir = std::string("/proc/") + entry->d_name;
    const std::string stat = ReadFile(dir + "/stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) continue;
    const char state = stat[close + 2];
    if (state == 'Z' || state == 'X') continue;
    std::istringstream environ(ReadFile(dir + "/environ"));
    std::string variable;
    while (std::getline(environ, variable, '\0')) {
      if (variable == wanted) {
        ++count;
        break;
      }
    }
  }
  ::closedir(proc);
  return count;
}

// Polls `condition` until it holds or `timeout` passes; whether it held.
template <typename Condition>
bool Eventually(Condition condition,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(20000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Records what a launcher reports for one trial.
class Recorder {
 public:
  Launcher::MeasurementCallback OnMeasurement() {
    return [this](int64_t, const Measurement& measurement) {
      std::lock_guard<std::mutex> lock(mutex_);
      measurements_.push_back(measurement);
    };
  }
  Launcher::ExitCallback OnExit() {
    return [this](int64_t trial_id, const ClusterExit& exit) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++exit_calls_;
        trial_id_ = trial_id;
        exit_ = exit;
        measurements_at_exit_ = measurements_.size();
      }
      changed_.notify_all();
    };
  }

  // The exit, once reported; nullopt after `timeout`.
  std::optional<ClusterExit> WaitForExit(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [this] { return exit_.has_value(); });
    return exit_;
  }
  bool Exited() {
    std::lock_guard<std::mutex> lock(mutex_);
    return exit_.has_value();
  }
  int exit_calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return exit_calls_;
  }
  int64_t trial_id() {
    std::lock_guard<std::mutex> lock(mutex_);
    return trial_id_;
  }
  std::vector<Measurement> measurements() {
    std::lock_guard<std::mutex> lock(mutex_);
    return measurements_;
  }
  size_t measurements_at_exit() {
    std::lock_guard<std::mutex> lock(mutex_);
    return measurements_at_exit_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Measurement> measurements_;
  std::optional<ClusterExit> exit_;
  int exit_calls_ = 0;
  int64_t trial_id_ = 0;
  size_t measurements_at_exit_ = 0;
};

}  // namespace tuner::testing

#endif  // TUNER_TESTS_TRIAL_RUNNER_TEST_PROCESSES_H_
