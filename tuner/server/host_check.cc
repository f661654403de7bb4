#include "tuner/server/host_check.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace tuner {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view StripBrackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

bool HostAllowed(std::string_view host_header, std::string_view bound_host, int bound_port,
                 int default_port) {
  // Split "name:port", "[v6]:port", "name", "[v6]".
  std::string_view host = host_header;
  int port = default_port;
  const size_t close = host.rfind(']');
  const size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
    const std::string_view digits = host.substr(colon + 1);
    if (digits.empty() || digits.size() > 5) return false;
    port = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      port = port * 10 + (c - '0');
    }
    host = host.substr(0, colon);
  }
  if (port != bound_port) return false;
  if (host.find(':') != std::string_view::npos && host.front() != '[') return false;  // bare v6
  const std::string name = Lower(StripBrackets(host));
  if (name.empty()) return false;
  const std::string bound = Lower(StripBrackets(bound_host));
  if (name == bound || name == "localhost" || name == "127.0.0.1" || name == "::1") return true;
  return (bound == "0.0.0.0" || bound == "::") && IsIpLiteral(name);
}

}  // namespace tuner
