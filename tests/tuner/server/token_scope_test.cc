#include "tuner/server/token_scope.h"

#include <catch2/catch.hpp>

namespace tuner {
namespace {

constexpr const char* kAdmin = "admin-secret";

TEST_CASE("Minted tokens carry their role and scope, and only their admin's", "[token_scope]") {
  const std::string trial = MintTrialToken(kAdmin, "s:1", 7);
  const std::string worker = MintWorkerToken(kAdmin, {"a", "b c"});
  CHECK(IsMintedToken(trial));
  CHECK(IsMintedToken(worker));
  CHECK_FALSE(IsMintedToken(kAdmin));

  auto t = Authenticate(kAdmin, trial);
  REQUIRE(t);
  CHECK(t->role == Role::kTrial);
  CHECK(t->studies == std::vector<std::string>{"s:1"});
  CHECK(t->trial_id == 7);
  auto w = Authenticate(kAdmin, worker);
  REQUIRE(w);
  CHECK(w->role == Role::kWorker);
  CHECK(w->studies == std::vector<std::string>{"a", "b c"});
  auto a = Authenticate(kAdmin, kAdmin);
  REQUIRE(a);
  CHECK(a->role == Role::kAdmin);

  // Another admin token, a changed scope or role, a cut MAC: refused.
  CHECK_FALSE(Authenticate("other-admin", trial));
  CHECK_FALSE(Authenticate(kAdmin, MintTrialToken("other-admin", "s:1", 7)));
  std::string other_trial = trial;
  other_trial.replace(other_trial.find(':', 3) + 1, 2, "74");  // first scope byte 's' -> 't'
  CHECK_FALSE(Authenticate(kAdmin, other_trial));
  std::string promoted = worker;
  promoted.replace(3, 6, "trial");
  CHECK_FALSE(Authenticate(kAdmin, promoted));
  CHECK_FALSE(Authenticate(kAdmin, trial.substr(0, trial.size() - 1)));
  CHECK_FALSE(Authenticate(kAdmin, "t1:admin:00:00"));
  CHECK_FALSE(Authenticate(kAdmin, ""));
  CHECK_FALSE(Authenticate("", kAdmin));
}

TEST_CASE("Each role may do what docs/security.md says, and nothing else", "[token_scope]") {
  const Grant admin{};
  const Grant worker{Role::kWorker, {"a", "b"}, 0};
  const Grant trial{Role::kTrial, {"a"}, 7};
  struct Case {
    Action action;
    const char* study;
    int64_t trial_id;
    bool admin, worker, trial;
  };
  const Case cases[] = {
      {Action::kManageStudies, "", 0, true, false, false},
      {Action::kManageStudies, "a", 0, true, false, false},
      {Action::kReadStudy, "a", 0, true, true, true},
      {Action::kReadStudy, "c", 0, true, false, false},
      {Action::kReadTrials, "a", 0, true, true, false},
      {Action::kReadTrials, "c", 0, true, false, false},
      {Action::kReadTrial, "a", 7, true, true, true},
      {Action::kReadTrial, "a", 8, true, true, false},
      {Action::kReadTrial, "c", 7, true, false, false},
      {Action::kRunTrials, "b", 0, true, true, false},
      {Action::kRunTrials, "a", 7, true, true, false},
      {Action::kReportTrial, "a", 7, true, true, true},
      {Action::kReportTrial, "a", 8, true, true, false},
      {Action::kReportTrial, "c", 7, true, false, false},
      {Action::kOpenDashboard, "", 0, true, true, true},
  };
  for (const Case& c : cases) {
    INFO("action " << static_cast<int>(c.action) << " on " << c.study << "/" << c.trial_id);
    CHECK(Authorize(admin, c.action, c.study, c.trial_id).ok() == c.admin);
    CHECK(Authorize(worker, c.action, c.study, c.trial_id).ok() == c.worker);
    CHECK(Authorize(trial, c.action, c.study, c.trial_id).ok() == c.trial);
  }
  absl::Status denied = Authorize(trial, Action::kRunTrials, "a", 7);
  CHECK(denied.code() == absl::StatusCode::kPermissionDenied);
  CHECK_THAT(std::string(denied.message()), Catch::Contains("trial 7"));
  CHECK_THAT(std::string(Authorize(worker, Action::kManageStudies, "").message()),
             Catch::Contains("admin token"));
}

TEST_CASE("Dashboard targets map to actions", "[token_scope]") {
  auto scope = ScopeOfHttpTarget("/api/studies");
  CHECK(scope.action == Action::kManageStudies);
  scope = ScopeOfHttpTarget("/api/studies/my%20study?x=1");
  CHECK(scope.action == Action::kReadStudy);
  CHECK(scope.study == "my study");
  scope = ScopeOfHttpTarget("/api/studies/s/trials/12/measurements");
  CHECK(scope.action == Action::kReadTrial);
  CHECK(scope.trial_id == 12);
  CHECK(ScopeOfHttpTarget("/api/studies/s/trials?offset=0").action == Action::kReadTrials);
  CHECK(ScopeOfHttpTarget("/api/studies/s/curves").action == Action::kReadTrials);
  CHECK(ScopeOfHttpTarget("/api/other").action == Action::kManageStudies);
  CHECK(ScopeOfHttpTarget("/metrics").action == Action::kManageStudies);
  CHECK(ScopeOfHttpTarget("/").action == Action::kOpenDashboard);
  CHECK(ScopeOfHttpTarget("/app.js").action == Action::kOpenDashboard);
}

}  // namespace
}  // namespace tuner
