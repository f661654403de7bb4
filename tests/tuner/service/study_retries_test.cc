// Retries: a trial whose cluster fails runs again as its next attempt
// (trainer.max_retries), with the attempt kept in its record and no budget
// spent; `tuner retry` requeues FAILED and interrupted trials by hand.
#include <catch2/catch.hpp>

#include "storage/sqlite_store.h"
#include "study/study_json.h"
#include "tuner/service/study_policy.h"
#include "tuner/service/study_service.h"

namespace tuner {
namespace {

std::string Spec(int max_retries, int max_failed = 0) {
  return R"({
  "name": "retry",
  "objective": {"metric": "acc", "goal": "maximize"},
  "algorithm": {"name": "random", "seed": 3},
  "max_trials": 2, "max_parallel_trials": 1, "max_failed_trials": )" +
         std::to_string(max_failed) + R"(,
  "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
  "trainer": {"command": ["train"], "max_retries": )" +
         std::to_string(max_retries) + R"(}
})";
}

struct Fixture {
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service{store.get()};
  explicit Fixture(int max_retries, int max_failed = 0) {
    REQUIRE(service.CreateStudy(Spec(max_retries, max_failed)).ok());
  }
  Trial Suggest(const std::string& client) {
    auto s = service.SuggestTrials("retry", 1, client);
    REQUIRE(s.ok());
    REQUIRE(s->trials.size() == 1);
    return s->trials[0];
  }
  Trial Complete(int64_t id, TrialOutcome outcome) {
    auto t = service.CompleteTrial("retry", id, outcome);
    REQUIRE(t.ok());
    return *t;
  }
};

TEST_CASE("trainer.max_retries: parsed, bounded, canonical only when set", "[retries]") {
  StudyParseResult ok = ParseStudy(Spec(3));
  REQUIRE(ok.ok());
  CHECK(ok.spec.trainer.max_retries == 3);
  CHECK(ToCanonicalJson(ok.spec).find("\"max_retries\": 3") != std::string::npos);
  StudyParseResult none = ParseStudy(Spec(0));
  REQUIRE(none.ok());
  CHECK(ToCanonicalJson(none.spec).find("max_retries") == std::string::npos);
  for (const char* bad : {"-1", "101", "1.5", "\"2\""}) {
    std::string text = Spec(0);
    text.replace(text.find("\"max_retries\": 0"), 16, std::string("\"max_retries\": ") + bad);
    StudyParseResult refused = ParseStudy(text);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.faults.front().ToString().find("trainer.max_retries") != std::string::npos);
  }
}

TEST_CASE("A cluster failure with retries left starts the next attempt for the same client",
          "[retries]") {
  Fixture f(/*max_retries=*/2, /*max_failed=*/1);
  const Trial a = f.Suggest("tuner-run:0");
  REQUIRE(f.service.ReportMeasurement("retry", a.id, {.step = 3, .metrics = {{"acc", 0.1}}}).ok());
  const Trial second = f.Complete(a.id, TrialOutcome::ClusterFailed("rank chief:0 exited 1"));
  CHECK(second.state == TrialState::kActive);
  CHECK(second.attempt() == 2);
  REQUIRE(second.attempts.size() == 1);
  CHECK(second.attempts[0].number == 1);
  CHECK(second.attempts[0].outcome == "FAILED");
  CHECK(second.attempts[0].reason == "rank chief:0 exited 1");
  CHECK(second.attempts[0].reports == 1);
  CHECK(second.attempts[0].last_step == 3);
  CHECK(second.measurements.empty());  // the next attempt reports afresh
  CHECK(second.parameters == a.parameters);
  // The slot gets the same trial back; the failed attempt spent no budget
  // (max_failed_trials is 1: a FAILED trial would have ended the study).
  CHECK(f.Suggest("tuner-run:0").id == a.id);
  CHECK(f.store->CountTrials("retry")->failed == 0);
  // The trainer's own failure is not retried.
  const Trial failed = f.Complete(a.id, TrialOutcome::Failed("bad input"));
  CHECK(failed.state == TrialState::kFailed);
  CHECK(failed.attempts.size() == 1);  // kept once final
}

TEST_CASE("Retries run out: the last failure is FAILED with every attempt kept", "[retries]") {
  Fixture f(/*max_retries=*/1);
  const Trial a = f.Suggest("tuner-run:0");
  CHECK(f.Complete(a.id, TrialOutcome::ClusterFailed("exit 1")).state == TrialState::kActive);
  const Trial last = f.Complete(a.id, TrialOutcome::ClusterFailed("exit 2"));
  CHECK(last.state == TrialState::kFailed);
  CHECK(last.reason == "exit 2");
  REQUIRE(last.attempts.size() == 1);
  CHECK(last.attempts[0].reason == "exit 1");
  CHECK(last.attempt() == 2);
}

TEST_CASE("No retries by default, and none for a trial asked to stop", "[retries]") {
  Fixture none(/*max_retries=*/0);
  const Trial a = none.Suggest("tuner-run:0");
  CHECK(none.Complete(a.id, TrialOutcome::ClusterFailed("exit 1")).state == TrialState::kFailed);

  Fixture f(/*max_retries=*/3);
  const Trial b = f.Suggest("tuner-run:0");
  REQUIRE(f.service.StopTrial("retry", b.id, "enough").ok());
  const Trial stopped = f.Complete(b.id, TrialOutcome::ClusterFailed("killed by signal 15"));
  CHECK(stopped.state == TrialState::kFailed);
  CHECK(stopped.attempts.empty());
}

TEST_CASE("StudyPolicy::ShouldRetry counts automatic retries since the last requeue by hand",
          "[retries]") {
  StudyParseResult parsed = ParseStudy(Spec(1));
  REQUIRE(parsed.ok());
  auto policy = StudyPolicy::Create(parsed.spec, false, {}, {});
  REQUIRE(policy.ok());
  Trial t;
  t.id = 1;
  const TrialOutcome cluster = TrialOutcome::ClusterFailed("x");
  CHECK((*policy)->ShouldRetry(t, cluster));
  CHECK_FALSE((*policy)->ShouldRetry(t, TrialOutcome::Failed("x")));
  t.attempts.push_back({.number = 1, .outcome = "FAILED", .reason = "x"});
  CHECK_FALSE((*policy)->ShouldRetry(t, cluster));  // its one retry is used
  t.attempts.push_back({.number = 2,
                        .outcome = "FAILED",
                        .reason = std::string(StudyPolicy::kRequeuedByHand) + "x"});
  CHECK((*policy)->ShouldRetry(t, cluster));  // requeued by hand: a fresh retry
  t.state = TrialState::kStopping;
  CHECK_FALSE((*policy)->ShouldRetry(t, cluster));

  Trial interrupted;
  interrupted.state = TrialState::kStale;
  interrupted.reason = "interrupted: the run was stopped";
  CHECK_FALSE(StudyPolicy::WhyNotRequeue(interrupted).has_value());
  interrupted.state = TrialState::kStopped;  // as older versions left it
  CHECK_FALSE(StudyPolicy::WhyNotRequeue(interrupted).has_value());
  Trial expired;
  expired.id = 4;
  expired.state = TrialState::kStale;
  expired.reason = "lease expired";
  CHECK(StudyPolicy::WhyNotRequeue(expired).value().find("trial 4 is STALE") == 0);
}

TEST_CASE("RetryTrials requeues FAILED trials for the next client and reopens the study",
          "[retries]") {
  Fixture f(/*max_retries=*/0, /*max_failed=*/1);
  const Trial a = f.Suggest("tuner-run:0");
  REQUIRE(f.service.ReportMeasurement("retry", a.id, {.step = 1, .metrics = {{"acc", 0.1}}}).ok());
  CHECK(f.Complete(a.id, TrialOutcome::ClusterFailed("exit 1")).state == TrialState::kFailed);
  CHECK(f.service.GetStudy("retry")->state == StudyState::kCompleted);  // max_failed_trials
  CHECK(f.service.SuggestTrials("retry", 1, "tuner-run:0")->study_done);

  // An unknown trial: NotFound, nothing changes.
  auto refused = f.service.RetryTrials("retry", {a.id + 5});
  CHECK(refused.status().code() == absl::StatusCode::kNotFound);

  auto requeued = f.service.RetryTrials("retry", {});  // every FAILED trial
  REQUIRE(requeued.ok());
  REQUIRE(requeued->size() == 1);
  const Trial& r = requeued->front();
  CHECK(r.id == a.id);
  CHECK(r.state == TrialState::kActive);
  CHECK(r.client_id.empty());
  CHECK(r.attempt() == 2);
  CHECK(r.attempts[0].outcome == "FAILED");
  CHECK(r.attempts[0].reason == "requeued by hand: exit 1");
  CHECK(r.attempts[0].reports == 1);
  CHECK(f.service.GetStudy("retry")->state == StudyState::kActive);

  // Any client takes it first, with its parameters; then it completes.
  const Trial taken = f.Suggest("tuner-run:1");
  CHECK(taken.id == a.id);
  CHECK(taken.client_id == "tuner-run:1");
  CHECK(taken.parameters == a.parameters);
  const Trial done = f.Complete(a.id, TrialOutcome::Completed({.metrics = {{"acc", 0.9}}}));
  CHECK(done.state == TrialState::kCompleted);
  CHECK(done.attempts.size() == 1);
  auto counts = f.store->CountTrials("retry");
  CHECK(counts->failed == 0);
  CHECK(counts->completed == 1);

  // A COMPLETED trial is refused, naming it.
  auto completed = f.service.RetryTrials("retry", {a.id});
  CHECK(completed.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(completed.status().message().find("trial 1 is COMPLETED") != std::string::npos);
}

TEST_CASE("A requeued trial survives a restart of the service and StopStudy sets it aside",
          "[retries]") {
  Fixture f(/*max_retries=*/0);
  const Trial a = f.Suggest("tuner-run:0");
  f.Complete(a.id, TrialOutcome::ClusterFailed("exit 1"));
  REQUIRE(f.service.RetryTrials("retry", {a.id}).ok());
  {
    StudyService restarted(f.store.get());  // rebuilt from the store: no lease on it
    auto s = restarted.SuggestTrials("retry", 1, "tuner-run:0");
    REQUIRE(s.ok());
    REQUIRE(s->trials.size() == 1);
    CHECK(s->trials[0].id == a.id);
  }
  const Trial b = f.Suggest("tuner-run:1");  // a new one: the requeued trial is taken
  CHECK(b.id == a.id + 1);
  // Stopping the study: a requeued trial nobody took goes back to STALE.
  REQUIRE(f.service.CompleteTrial("retry", a.id, TrialOutcome::ClusterFailed("again")).ok());
  REQUIRE(f.service.RetryTrials("retry", {a.id}).ok());
  REQUIRE(f.service.StopStudy("retry", "enough").ok());
  const Trial aside = *f.service.GetTrial("retry", a.id);
  CHECK(aside.state == TrialState::kStale);
  CHECK(aside.reason.find("interrupted: enough") == 0);
}

TEST_CASE("Retrying needs budget left; each trial is requeued once per call", "[retries]") {
  Fixture f(/*max_retries=*/0);  // max_trials 2: two failures end the study
  const Trial a = f.Suggest("x");
  f.Complete(a.id, TrialOutcome::ClusterFailed("exit 1"));
  const Trial b = f.Suggest("x");
  f.Complete(b.id, TrialOutcome::ClusterFailed("exit 1"));
  CHECK(f.service.GetStudy("retry")->state == StudyState::kCompleted);
  REQUIRE(f.service.RetryTrials("retry", {a.id, b.id, a.id})->size() == 2);  // once each
  CHECK(f.service.GetStudy("retry")->state == StudyState::kActive);
  CHECK(f.Suggest("y").id == a.id);
  CHECK(f.Suggest("z").id == b.id);
  f.Complete(a.id, TrialOutcome::Completed({.metrics = {{"acc", 1}}}));
  f.Complete(b.id, TrialOutcome::ClusterFailed("exit 2"));
  const Trial c = f.Suggest("y");  // a new trial for the last of the budget
  CHECK(c.id == 3);
  f.Complete(c.id, TrialOutcome::Completed({.metrics = {{"acc", 1}}}));
  CHECK(f.service.GetStudy("retry")->state == StudyState::kCompleted);
  // max_trials are done: a retry would wait for ever, so it is refused.
  auto refused = f.service.RetryTrials("retry", {b.id});
  CHECK(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(refused.status().message().find("raise max_trials") != std::string::npos);
  CHECK(f.service.GetTrial("retry", b.id)->state == TrialState::kFailed);
}

TEST_CASE("A requeued trial nobody takes before the budget is spent is set aside", "[retries]") {
  Fixture f(/*max_retries=*/0);  // max_trials 2, parallel 1
  const Trial a = f.Suggest("x");
  f.Complete(a.id, TrialOutcome::ClusterFailed("exit 1"));
  const Trial b = f.Suggest("x");
  const Trial c = f.Suggest("y");  // not limited by max_parallel_trials in the service
  REQUIRE(f.service.RetryTrials("retry", {a.id}).ok());
  f.Complete(b.id, TrialOutcome::Completed({.metrics = {{"acc", 1}}}));
  f.Complete(c.id, TrialOutcome::Completed({.metrics = {{"acc", 1}}}));
  const Trial aside = *f.service.GetTrial("retry", a.id);
  CHECK(aside.state == TrialState::kStale);
  CHECK(aside.reason == "interrupted: the budget was spent before its retry ran");
  CHECK(f.service.GetStudy("retry")->state == StudyState::kCompleted);
}

}  // namespace
}  // namespace tuner
