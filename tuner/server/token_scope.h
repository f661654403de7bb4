// Scoped tokens (docs/security.md, "Roles"). The admin token (--token-file)
// may do everything. From it the holder mints narrower tokens, checked by the
// server without any stored state:
//
//   trial  — report, heartbeat and complete one trial, read that trial and its
//            study. `tuner run` gives each launched trial its own.
//   worker — for ask/tell workers: suggest, create, report, heartbeat,
//            complete, stop and read trials, and read the studies, of the
//            studies named in it. `tuner token worker --study S…` prints one.
//
// A minted token is "t1:<role>:<hex scope>:<hex HMAC-SHA256(admin token,
// role and scope)>", so changing the admin token revokes every token minted
// from it. Pure functions, no gRPC or HTTP.
#ifndef TUNER_TUNER_SERVER_TOKEN_SCOPE_H_
#define TUNER_TUNER_SERVER_TOKEN_SCOPE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace tuner {

enum class Role { kAdmin, kWorker, kTrial };
const char* ToString(Role role);

// What a presented token may do.
struct Grant {
  Role role = Role::kAdmin;
  std::vector<std::string> studies;  // worker: its studies; trial: the one study
  int64_t trial_id = 0;              // trial: its trial
};

// What a call does, as far as permissions go.
enum class Action {
  kManageStudies,  // create, delete, stop or list studies; the whole dashboard
  kReadStudy,      // a study's spec and state
  kReadTrials,     // list trials, best trials, a study's dashboard pages
  kReadTrial,      // one trial
  kRunTrials,      // suggest, create and stop trials, record a trial's launcher
  kReportTrial,    // report, heartbeat, complete one trial
  kOpenDashboard,  // the dashboard's own files (any valid token)
};

std::string MintTrialToken(std::string_view admin_token, std::string_view study, int64_t trial_id);
std::string MintWorkerToken(std::string_view admin_token, const std::vector<std::string>& studies);

// Whether `token` is a minted one ("t1:…"), which cannot mint others.
bool IsMintedToken(std::string_view token);

// The grant of `presented` against `admin_token` (non-empty): the admin
// token itself, or a token minted from it; nullopt otherwise (compared in
// constant time).
std::optional<Grant> Authenticate(std::string_view admin_token, std::string_view presented);

// OK when `grant` allows `action` on `study` (and `trial_id`, for trial
// actions); PermissionDenied naming the role and what it may do otherwise.
absl::Status Authorize(const Grant& grant, Action action, std::string_view study,
                       int64_t trial_id = 0);

// The action, study and trial of a dashboard HTTP target ("/api/studies/s/
// trials/3?x=y"): study-less API routes and /metrics need kManageStudies, the dashboard's
// own files (not /api/) kOpenDashboard.
struct HttpScope {
  Action action = Action::kManageStudies;
  std::string study;
  int64_t trial_id = 0;
};
HttpScope ScopeOfHttpTarget(std::string_view target);

}  // namespace tuner

#endif  // TUNER_TUNER_SERVER_TOKEN_SCOPE_H_
