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

}  // namespace
}  // namespace tuner
