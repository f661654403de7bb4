#include "trial_runner/slurm_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "trial_runner/child_process.h"
#include "trial_runner/process_group.h"

namespace tuner {
namespace {

using Clock = std::chrono::steady_clock;

bool StartsWith(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

std::string CommandResult::ErrorText() const {
  std::string text = errors.empty() ? output : errors;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (timed_out) return "timed out" + (text.empty() ? "" : ": " + text);
  if (!text.empty()) return text;
  return exit_code < 0 ? "killed by a signal" : "exit code " + std::to_string(exit_code);
}

std::map<std::string, std::string> SlurmClientEnvironment(
    const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : env) {
    const bool slurm = StartsWith(name, "SLURM_") && name != "SLURM_CONF";
    if (slurm || StartsWith(name, "SBATCH_") || StartsWith(name, "SALLOC_") ||
        StartsWith(name, "SRUN_")) {
      continue;
    }
    out[name] = value;
  }
  return out;
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout) {
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    return absl::Status(absl::ErrnoToStatusCode(errno), std::string("pipe: ") + strerror(errno));
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    const int saved = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return absl::Status(absl::ErrnoToStatusCode(saved), std::string("pipe: ") + strerror(saved));
  }
  ChildSpec spec;
  spec.argv = argv;
  spec.env = SlurmClientEnvironment(CurrentEnvironment());
  spec.stdout_fd = out_pipe[1];
  spec.stderr_fd = err_pipe[1];
  absl::StatusOr<pid_t> pid = SpawnInNewProcessGroup(spec);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (!pid.ok()) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return pid.status();
  }

  CommandResult result;
  const auto deadline = Clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.output, &result.errors};
  int open_fds = 2;
  char buffer[8192];
  while (open_fds > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      result.timed_out = true;
      SignalProcessGroup(*pid, SIGKILL);
      break;
    }
    const int ready = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (ready < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t size = ::read(fds[i].fd, buffer, sizeof buffer);
      if (size < 0 && errno == EINTR) continue;
      if (size <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      sinks[i]->append(buffer, static_cast<size_t>(size));
    }
  }
  for (pollfd& fd : fds) {
    if (fd.fd >= 0) ::close(fd.fd);
  }
  int status = 0;
  pid_t waited;
  do {
    waited = ::waitpid(*pid, &status, 0);
  } while (waited < 0 && errno == EINTR);
  if (waited == *pid && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else {
    result.exit_code = -1;
  }
  return result;
}

}  // namespace tuner
