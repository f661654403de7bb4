#include "trial_runner/free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>

#include "absl/status/status.h"

namespace tuner {
namespace {

constexpr size_t kRememberedPorts = 512;
constexpr int kMaxAttemptsPerPort = 64;

std::mutex recent_mutex;
std::deque<int> recent_ports;  // guarded by recent_mutex

absl::Status ErrnoError(const std::string& what, int error) {
  return absl::Status(absl::ErrnoToStatusCode(error), what + ": " + std::strerror(error));
}

// Binds a new socket to 127.0.0.1:0; the fd (kept open so the port stays
// taken) and its port.
absl::StatusOr<std::pair<int, int>> BindEphemeral() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket", errno);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    ::close(fd);
    return ErrnoError("bind 127.0.0.1:0", error);
  }
  return std::make_pair(fd, static_cast<int>(ntohs(address.sin_port)));
}

}  // namespace

absl::StatusOr<std::vector<int>> PickFreeLoopbackPorts(int count) {
  std::vector<int> fds;  // every socket stays bound until the end
  std::vector<int> ports;
  absl::Status status;
  {
    std::lock_guard<std::mutex> lock(recent_mutex);
    for (int i = 0; i < count && status.ok(); ++i) {
      for (int attempt = 0;; ++attempt) {
        absl::StatusOr<std::pair<int, int>> bound = BindEphemeral();
        if (!bound.ok()) {
          status = bound.status();
          break;
        }
        fds.push_back(bound->first);
        const int port = bound->second;
        const bool recent =
            std::find(recent_ports.begin(), recent_ports.end(), port) != recent_ports.end();
        if (!recent || attempt + 1 >= kMaxAttemptsPerPort) {
          ports.push_back(port);
          break;
        }
      }
    }
    if (status.ok()) {
      for (int port : ports) {
        recent_ports.push_back(port);
        if (recent_ports.size() > kRememberedPorts) recent_ports.pop_front();
      }
    }
  }
  for (int fd : fds) ::close(fd);
  if (!status.ok()) return status;
  return ports;
}

}  // namespace tuner
