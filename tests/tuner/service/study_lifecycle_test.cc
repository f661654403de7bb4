// The study's lifecycle in the service: stopping a whole study, reopening it
// by running it again, interruptions that cost no budget, one parse per spec,
// and the launch command kept with a trial.
#include <catch2/catch.hpp>

#include "storage/sqlite_store.h"
#include "tuner/service/study_service.h"

namespace tuner {
namespace {

const char* kSpec = R"({
  "name": "life",
  "objective": {"metric": "acc", "goal": "maximize"},
  "algorithm": {"name": "random", "seed": 3},
  "max_trials": 4, "max_parallel_trials": 2,
  "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]
})";

struct Fixture {
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service{store.get()};
  Fixture() { REQUIRE(service.CreateStudy(kSpec).ok()); }
  Trial Suggest(const std::string& client) {
    auto s = service.SuggestTrials("life", 1, client);
    REQUIRE(s.ok());
    REQUIRE(s->trials.size() == 1);
    return s->trials[0];
  }
};

TEST_CASE("StopStudy: running trials stop, no new trials, running it again reopens it",
          "[study_lifecycle]") {
  Fixture f;
  const Trial a = f.Suggest("a");
  REQUIRE(f.service.ReportMeasurement("life", a.id, {.step = 1, .metrics = {{"acc", 0.5}}}).ok());
  auto stopped = f.service.StopStudy("life", "enough");
  REQUIRE(stopped.ok());
  CHECK(stopped->state == StudyState::kCompleted);
  CHECK(f.service.GetTrial("life", a.id)->state == TrialState::kStopping);
  CHECK(f.service.GetTrial("life", a.id)->reason == "enough");
  auto report = f.service.ReportMeasurement("life", a.id, {.step = 2, .metrics = {{"acc", 0.6}}});
  REQUIRE(report.ok());
  CHECK(report->stop);
  auto none = f.service.SuggestTrials("life", 1, "b");
  REQUIRE(none.ok());
  CHECK(none->trials.empty());
  CHECK(none->study_done);
  auto done = f.service.CompleteTrial("life", a.id, TrialOutcome::Completed({}));
  REQUIRE(done.ok());
  CHECK(done->state == TrialState::kStopped);
  CHECK(f.service.StopStudy("life", "").ok());  // idempotent

  // Running the same study again reopens it.
  auto again = f.service.CreateStudy(kSpec, /*resume=*/true);
  REQUIRE(again.ok());
  CHECK(again->state == StudyState::kActive);
  CHECK(f.Suggest("b").id == a.id + 1);
  CHECK(f.service.StopStudy("missing", "").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("An interrupted trial is STALE, costs no budget, and its parameters run again",
          "[study_lifecycle]") {
  Fixture f;
  const Trial a = f.Suggest("tuner-run:0");
  auto interrupted = f.service.CompleteTrial("life", a.id, TrialOutcome::Interrupted("ctrl-c"));
  REQUIRE(interrupted.ok());
  CHECK(interrupted->state == TrialState::kStale);
  CHECK(interrupted->reason == "ctrl-c");
  const Trial again = f.Suggest("tuner-run:0");
  CHECK(again.id != a.id);
  CHECK(again.parameters == a.parameters);  // requeued
  for (int i = 0; i < 4; ++i) {
    const Trial t = i == 0 ? again : f.Suggest("w");
    REQUIRE(
        f.service.CompleteTrial("life", t.id, TrialOutcome::Completed({.metrics = {{"acc", 1}}}))
            .ok());
  }
  auto counts = f.store->CountTrials("life");
  CHECK(counts->completed == 4);  // max_trials done, the interruption not counted
  CHECK(counts->stale == 1);
}

TEST_CASE("A study carries its parsed spec, shared between calls", "[study_lifecycle]") {
  Fixture f;
  auto a = f.service.GetStudy("life");
  auto b = f.service.GetStudy("life");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a->spec != nullptr);
  CHECK(a->spec == b->spec);  // parsed once
  CHECK(a->spec->max_trials == 4);
  auto list = f.service.ListStudies();
  REQUIRE(list.ok());
  CHECK(list->front().spec == a->spec);
}

TEST_CASE("The launch command is kept with the trial", "[study_lifecycle]") {
  Fixture f;
  const Trial a = f.Suggest("w");
  auto set = f.service.SetTrialRunner("life", a.id, "local:1", "cd /x && python3 t.py --x=1");
  REQUIRE(set.ok());
  CHECK(set->command == "cd /x && python3 t.py --x=1");
  // A later handle alone (a relaunch adopting it) keeps the command.
  CHECK(f.service.SetTrialRunner("life", a.id, "local:2")->command ==
        "cd /x && python3 t.py --x=1");
  CHECK(f.service.GetTrial("life", a.id)->runner == "local:2");
}

TEST_CASE("One owner per study: a second run is refused, a joined one shares it",
          "[study_lifecycle][runs]") {
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service{store.get(), {.run_lease_seconds = 3600}};
  REQUIRE(service.CreateStudy(kSpec).ok());
  const StudyApi::RunClaim first{.run_id = "h:1:1", .host = "h", .pid = 1};
  auto owner = service.ClaimStudy("life", first);
  REQUIRE(owner.ok());
  CHECK(owner->granted);
  CHECK(owner->owner);

  StudyApi::RunClaim second{.run_id = "h:2:2", .host = "h", .pid = 2};
  auto refused = service.ClaimStudy("life", second);
  REQUIRE(refused.ok());
  CHECK_FALSE(refused->granted);
  CHECK(refused->held_by.run_id == "h:1:1");
  CHECK(refused->held_by.pid == 1);
  CHECK(store->ListRuns("life")->size() == 1);  // a refused claim leaves nothing

  second.join = true;
  auto joined = service.ClaimStudy("life", second);
  REQUIRE(joined.ok());
  CHECK(joined->granted);
  CHECK_FALSE(joined->owner);
  // Renewals keep each run's role.
  CHECK(service.ClaimStudy("life", first)->owner);
  CHECK_FALSE(service.ClaimStudy("life", second)->owner);

  SECTION("a dead owner is taken over; its old claim is then refused") {
    StudyApi::RunClaim third{.run_id = "h:3:3", .host = "h", .pid = 3, .take_over = "h:1:1"};
    auto taken = service.ClaimStudy("life", third);
    REQUIRE(taken.ok());
    CHECK(taken->owner);
    auto late = service.ClaimStudy("life", first);  // the old owner was not dead after all
    REQUIRE(late.ok());
    CHECK_FALSE(late->granted);
    CHECK(late->held_by.run_id == "h:3:3");
  }
  SECTION("a released study can be claimed again") {
    REQUIRE(service.ReleaseStudy("life", "h:1:1").ok());
    REQUIRE(service.ReleaseStudy("life", "h:1:1").ok());  // twice is fine
    StudyApi::RunClaim third{.run_id = "h:3:3", .host = "h", .pid = 3};
    CHECK(service.ClaimStudy("life", third)->owner);
  }
}

TEST_CASE("A run's claim lapses when not renewed", "[study_lifecycle][runs]") {
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service{store.get(), {.run_lease_seconds = -1}};  // lapses at once
  REQUIRE(service.CreateStudy(kSpec).ok());
  REQUIRE(service.ClaimStudy("life", {.run_id = "a", .host = "h1", .pid = 1})->owner);
  auto next = service.ClaimStudy("life", {.run_id = "b", .host = "h2", .pid = 2});
  REQUIRE(next.ok());
  CHECK(next->owner);
  CHECK(store->ListRuns("life")->size() == 1);
}

TEST_CASE("SuggestTrials with max_running caps the study's running trials", "[study_lifecycle]") {
  Fixture f;
  auto a = f.service.SuggestTrials("life", 1, "run-a:0", 2);
  auto b = f.service.SuggestTrials("life", 1, "run-b:0", 2);
  REQUIRE(a->trials.size() == 1);
  REQUIRE(b->trials.size() == 1);
  auto c = f.service.SuggestTrials("life", 1, "run-b:1", 2);
  REQUIRE(c.ok());
  CHECK(c->trials.empty());  // two run already: wait
  CHECK_FALSE(c->study_done);
  // The running trial of a client still comes back, and without a cap there is room.
  CHECK(f.service.SuggestTrials("life", 1, "run-a:0", 2)->trials.size() == 1);
  CHECK(f.service.SuggestTrials("life", 1, "other", 0)->trials.size() == 1);
}

}  // namespace
}  // namespace tuner
