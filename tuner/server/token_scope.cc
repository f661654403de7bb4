#include "tuner/server/token_scope.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tuner/server/auth.h"

namespace tuner {
namespace {

constexpr std::string_view kPrefix = "t1";

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::optional<std::string> Unhex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

// Hex HMAC-SHA256 of "<role>\n<scope>" under the admin token.
std::string Mac(std::string_view admin_token, std::string_view role, std::string_view scope) {
  const std::string message = std::string(role) + "\n" + std::string(scope);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), admin_token.data(), static_cast<int>(admin_token.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &length);
  return Hex(std::string_view(reinterpret_cast<const char*>(out), length));
}

std::string Mint(std::string_view admin_token, std::string_view role, std::string_view scope) {
  return std::string(kPrefix) + ":" + std::string(role) + ":" + Hex(scope) + ":" +
         Mac(admin_token, role, scope);
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

bool ParseId(std::string_view text, int64_t* id) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *id);
  return error == std::errc() && end == text.data() + text.size();
}

bool Contains(const std::vector<std::string>& studies, std::string_view study) {
  for (const std::string& s : studies) {
    if (s == study) return true;
  }
  return false;
}

std::string PercentDecoded(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      if (auto byte = Unhex(absl::AsciiStrToLower(std::string(text.substr(i + 1, 2))))) {
        out += *byte;
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

}  // namespace

const char* ToString(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kWorker:
      return "worker";
    case Role::kTrial:
      return "trial";
  }
  return "?";
}

std::string MintTrialToken(std::string_view admin_token, std::string_view study, int64_t trial_id) {
  return Mint(admin_token, "trial", std::string(study) + "\n" + std::to_string(trial_id));
}

std::string MintWorkerToken(std::string_view admin_token, const std::vector<std::string>& studies) {
  return Mint(admin_token, "worker", absl::StrJoin(studies, "\n"));
}

bool IsMintedToken(std::string_view token) { return token.starts_with("t1:"); }

std::optional<Grant> Authenticate(std::string_view admin_token, std::string_view presented) {
  if (admin_token.empty()) return std::nullopt;
  if (!IsMintedToken(presented)) {
    if (TokensEqual(presented, admin_token)) return Grant{};
    return std::nullopt;
  }
  const std::vector<std::string_view> parts = Split(presented, ':');
  if (parts.size() != 4) return std::nullopt;
  const std::string_view role = parts[1];
  if (role != "trial" && role != "worker") return std::nullopt;
  std::optional<std::string> scope = Unhex(parts[2]);
  if (!scope || !TokensEqual(parts[3], Mac(admin_token, role, *scope))) return std::nullopt;
  Grant grant;
  for (std::string_view study : Split(*scope, '\n')) grant.studies.emplace_back(study);
  if (role == "worker") {
    grant.role = Role::kWorker;
    return grant;
  }
  grant.role = Role::kTrial;
  if (grant.studies.size() != 2 || !ParseId(grant.studies[1], &grant.trial_id)) {
    return std::nullopt;
  }
  grant.studies.pop_back();
  return grant;
}

absl::Status Authorize(const Grant& grant, Action action, std::string_view study,
                       int64_t trial_id) {
  bool allowed = false;
  switch (grant.role) {
    case Role::kAdmin:
      allowed = true;
      break;
    case Role::kWorker:
      allowed = action == Action::kOpenDashboard ||
                (action != Action::kManageStudies && Contains(grant.studies, study));
      break;
    case Role::kTrial: {
      const bool own_study = Contains(grant.studies, study);
      const bool own_trial = own_study && trial_id == grant.trial_id;
      allowed = action == Action::kOpenDashboard || (action == Action::kReadStudy && own_study) ||
                ((action == Action::kReadTrial || action == Action::kReportTrial) && own_trial);
      break;
    }
  }
  if (allowed) return absl::OkStatus();
  if (grant.role == Role::kTrial) {
    return absl::PermissionDeniedError(absl::StrCat(
        "a trial token may only report, heartbeat, complete and read its own trial (study \"",
        grant.studies.front(), "\", trial ", grant.trial_id, ") and read its study"));
  }
  return absl::PermissionDeniedError(
      absl::StrCat("a worker token may only run and read trials of its studies (",
                   absl::StrJoin(grant.studies, ", "),
                   "); creating, deleting, stopping and listing studies needs the admin token"));
}

HttpScope ScopeOfHttpTarget(std::string_view target) {
  target = target.substr(0, target.find('?'));
  HttpScope scope;
  if (target == "/metrics" || target == "/metrics/") return scope;  // the whole server's figures
  if (!target.starts_with("/api/")) {
    scope.action = Action::kOpenDashboard;
    return scope;
  }
  constexpr std::string_view kStudies = "/api/studies/";
  if (!target.starts_with(kStudies)) return scope;  // /api/studies and the like
  const std::vector<std::string_view> parts = Split(target.substr(kStudies.size()), '/');
  scope.study = PercentDecoded(parts[0]);
  if (parts.size() == 1) {
    scope.action = Action::kReadStudy;
  } else if (parts[1] == "trials" && parts.size() >= 3 && ParseId(parts[2], &scope.trial_id)) {
    scope.action = Action::kReadTrial;
  } else {
    scope.action = Action::kReadTrials;
  }
  return scope;
}

}  // namespace tuner
