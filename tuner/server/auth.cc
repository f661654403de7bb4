#include "tuner/server/auth.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tuner {
namespace {

std::string_view Trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("token file " + path + ": cannot be read");
  std::string line;
  std::getline(in, line);
  const std::string token(Trim(line));
  if (token.empty())
    return absl::InvalidArgumentError("token file " + path + ": the first line is empty");
  return token;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool TokensEqual(std::string_view a, std::string_view b) {
  // Every byte of the longer one is visited whatever the contents.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

std::string_view BearerToken(std::string_view authorization) {
  authorization = Trim(authorization);
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() < kScheme.size()) return "";
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return "";
  }
  return Trim(authorization.substr(kScheme.size()));
}

bool BearerMatches(std::string_view authorization, std::string_view token) {
  return !token.empty() && TokensEqual(BearerToken(authorization), token);
}

std::string CookieValue(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    const size_t semi = cookie_header.find(';');
    std::string_view pair = Trim(cookie_header.substr(0, semi));
    cookie_header = semi == std::string_view::npos ? "" : cookie_header.substr(semi + 1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && Trim(pair.substr(0, eq)) == name) {
      return std::string(Trim(pair.substr(eq + 1)));
    }
  }
  return "";
}

bool IsLoopbackHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

bool WarnIfExposed(const std::string& listen, bool has_token, std::string_view what) {
  const size_t colon = listen.rfind(':');
  const std::string_view host = colon == std::string::npos
                                    ? std::string_view(listen)
                                    : std::string_view(listen).substr(0, colon);
  if (has_token || IsLoopbackHost(host)) return false;
  spdlog::warn("************************************************************************");
  spdlog::warn("* {} on {} is reachable beyond this machine WITHOUT authentication:", what, listen);
  spdlog::warn("* anyone who can reach it can read and change every study.");
  spdlog::warn("* Pass --token-file (and --tls-cert/--tls-key), or listen on 127.0.0.1.");
  spdlog::warn("************************************************************************");
  return true;
}

absl::StatusOr<ConnectOptions> ClientSecurity(const std::string& token_file,
                                              const std::string& ca_file) {
  ConnectOptions options;
  if (!token_file.empty()) {
    auto token = ReadTokenFile(token_file);
    if (!token.ok()) return token.status();
    options.token = std::move(*token);
  } else if (const char* env = std::getenv("TUNER_TOKEN")) {
    options.token = std::string(Trim(env));
  }
  options.ca_file = ca_file;
  if (const char* env = std::getenv("TUNER_TLS_CA"); ca_file.empty() && env != nullptr) {
    options.ca_file = env;
  }
  return options;
}

}  // namespace tuner
