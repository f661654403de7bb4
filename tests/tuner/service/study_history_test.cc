// StudyHistory: after every Refresh the cache (and its counts) equals the
// store's trials, and a Refresh reads only the rows that can have changed (open, new, newly
// final), not the whole study.
#include "tuner/service/study_history.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "storage/sqlite_store.h"
#include "tests/storage/store_test_util.h"
#include "tests/tuner/service/counting_store.h"

namespace tuner {
namespace {

using testing::CountingStore;

struct Fixture {
  CountingStore store{*OpenSqliteStore(":memory:")};
  Fixture() {
    StudyRecord record;
    record.name = "s";
    record.spec_json = R"({"name":"s"})";
    REQUIRE(store.CreateStudy(record).ok());
  }
  std::vector<Trial> Add(int n) {
    std::vector<Trial> trials(n);
    for (int i = 0; i < n; ++i) trials[i].parameters = {{"x", 0.01 * i}, {"opt", std::string("a")}};
    auto stored = store.AddTrials("s", std::move(trials));
    REQUIRE(stored.ok());
    return *stored;
  }
  void Finish(int64_t id, TrialState state) {
    Trial t = *store.GetTrial("s", id);
    t.state = state;
    if (state == TrialState::kCompleted || state == TrialState::kStopped) {
      t.final_measurement = Measurement{.step = 3, .metrics = {{"acc", 0.5}}};
    }
    if (state != TrialState::kCompleted) t.reason = "because " + std::string(ToString(state));
    REQUIRE(store.UpdateTrial("s", t).ok());
  }
  // The cache equals a full read of the store (which is not counted).
  void CheckSame(const StudyHistory& history) {
    const int64_t before = store.rows_read;
    auto all = store.ListTrials("s", {.with_measurements = false});
    store.rows_read = before;
    REQUIRE(all.ok());
    REQUIRE(history.trials().size() == all->size());
    for (size_t i = 0; i < all->size(); ++i) {
      testing::CheckSameTrial(*history.trials()[i], (*all)[i]);
      CHECK(history.trials()[i]->runner == (*all)[i].runner);
    }
    auto counts = store.CountTrials("s");
    REQUIRE(counts.ok());
    const TrialCounts& c = history.counts();
    CHECK(c.total == counts->total);
    CHECK(c.active == counts->active);
    CHECK(c.stopping == counts->stopping);
    CHECK(c.completed == counts->completed);
    CHECK(c.stopped == counts->stopped);
    CHECK(c.failed == counts->failed);
    CHECK(c.infeasible == counts->infeasible);
    CHECK(c.stale == counts->stale);
  }
};

TEST_CASE("study history: a refresh reads only open, new and newly final trials") {
  Fixture f;
  StudyHistory history;
  REQUIRE(history.Refresh(&f.store, "s").ok());
  CHECK(history.trials().empty());

  f.Add(200);
  for (int64_t id = 1; id <= 196; ++id) f.Finish(id, TrialState::kCompleted);
  f.store.rows_read = 0;
  REQUIRE(history.Refresh(&f.store, "s").ok());
  f.CheckSame(history);
  CHECK(f.store.rows_read == 200 + 4);  // every trial once, the 4 open ones again

  // Nothing changed: only the 4 open trials are read.
  f.store.rows_read = 0;
  REQUIRE(history.Refresh(&f.store, "s").ok());
  CHECK(f.store.rows_read == 4);

  // One finishes, one is stopping, two are new: 3 still open + 2 new + 1 newly final.
  f.Finish(197, TrialState::kFailed);
  Trial stopping = *f.store.GetTrial("s", 198);
  stopping.state = TrialState::kStopping;
  stopping.reason = "stop requested";
  REQUIRE(f.store.UpdateTrial("s", stopping).ok());
  REQUIRE(f.store.SetTrialRunner("s", 199, "local:42").ok());
  f.Add(2);
  f.store.rows_read = 0;
  REQUIRE(history.Refresh(&f.store, "s").ok());
  f.CheckSame(history);
  CHECK(f.store.rows_read == (3 + 2) + 2 + 1);  // open now (incl. the new), new, newly final
}

TEST_CASE("study history: equals the store after any sequence of changes") {
  Fixture f;
  StudyHistory history;
  std::mt19937_64 engine(7);
  const TrialState finals[] = {TrialState::kCompleted, TrialState::kStopped, TrialState::kFailed,
                               TrialState::kInfeasible, TrialState::kStale};
  std::vector<int64_t> open;
  for (int round = 0; round < 60; ++round) {
    INFO("round " << round);
    const int changes = static_cast<int>(engine() % 5);
    for (int c = 0; c < changes; ++c) {
      const int op = static_cast<int>(engine() % 4);
      if (op == 0 || open.empty()) {
        for (const Trial& t : f.Add(1 + static_cast<int>(engine() % 3))) open.push_back(t.id);
      } else {
        const size_t i = engine() % open.size();
        const int64_t id = open[i];
        if (op == 1) {
          f.Finish(id, finals[engine() % 5]);
          open.erase(open.begin() + static_cast<std::ptrdiff_t>(i));
        } else if (op == 2) {
          Trial t = *f.store.GetTrial("s", id);
          t.state = TrialState::kStopping;
          t.reason = "round " + std::to_string(round);
          REQUIRE(f.store.UpdateTrial("s", t).ok());
        } else {
          REQUIRE(f.store.SetTrialRunner("s", id, "local:" + std::to_string(round)).ok());
        }
      }
    }
    // Refresh every other round, so changes pile up between some refreshes.
    if (round % 2 == 1) {
      REQUIRE(history.Refresh(&f.store, "s").ok());
      f.CheckSame(history);
    }
  }
}

}  // namespace
}  // namespace tuner
