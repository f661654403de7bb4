// Checkpoint retention and the latest checkpoint (pure), and LogArtifacts in
// the service: validation, the current attempt filled in, retention by
// trainer.keep_checkpoints.
#include "tuner/service/artifact_retention.h"

#include <catch2/catch.hpp>
#include <string>

#include "storage/sqlite_store.h"
#include "tuner/service/study_service.h"

namespace tuner {
namespace {

ArtifactRecord Ckpt(int64_t step, const std::string& file, int attempt = 1) {
  return {.path = "checkpoints/" + std::to_string(step) + "/" + file,
          .kind = "checkpoint",
          .step = step,
          .size = 1,
          .sha256 = std::string(64, 'a'),
          .attempt = attempt,
          .checkpoint = "checkpoints/" + std::to_string(step)};
}

TEST_CASE("CheckpointsPastRetention keeps the last N steps, every file of each",
          "[artifact_retention]") {
  ArtifactRecord model{.path = "artifacts/model/m", .kind = "model"};
  std::vector<ArtifactRecord> all = {Ckpt(1, "a"), Ckpt(1, "b"), model,
                                     Ckpt(2, "a"), Ckpt(3, "a"), Ckpt(3, "b")};
  CHECK(CheckpointsPastRetention(all, 2) == std::vector<size_t>{0, 1});
  CHECK(CheckpointsPastRetention(all, 1) == std::vector<size_t>{0, 1, 3});
  CHECK(CheckpointsPastRetention(all, 3).empty());
  CHECK(CheckpointsPastRetention(all, 0).empty());  // keep everything
  all[0].removed = all[1].removed = true;           // already gone: not counted, not returned
  CHECK(CheckpointsPastRetention(all, 2).empty());
  CHECK(CheckpointsPastRetention(all, 1) == std::vector<size_t>{3});
}

TEST_CASE("LatestCheckpoint: the highest kept step, the latest attempt on a tie",
          "[artifact_retention]") {
  CHECK_FALSE(LatestCheckpoint({}).has_value());
  std::vector<ArtifactRecord> all = {Ckpt(4, "a", 1), Ckpt(9, "a", 1), Ckpt(9, "a", 2)};
  REQUIRE(LatestCheckpoint(all).has_value());
  CHECK(LatestCheckpoint(all)->step == 9);
  CHECK(LatestCheckpoint(all)->attempt == 2);
  all[1].removed = all[2].removed = true;
  CHECK(LatestCheckpoint(all)->step == 4);
}

const char* kSpec = R"({
  "name": "art",
  "objective": {"metric": "acc", "goal": "maximize"},
  "algorithm": {"name": "random", "seed": 3},
  "max_trials": 4,
  "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
  "trainer": {"command": ["true"], "keep_checkpoints": 2, "max_retries": 1}
})";

TEST_CASE("LogArtifacts records files, fills in the attempt and applies keep_checkpoints",
          "[artifact_retention]") {
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service{store.get()};
  REQUIRE(service.CreateStudy(kSpec).ok());
  auto s = service.SuggestTrials("art", 1, "c");
  REQUIRE(s.ok());
  const int64_t id = s->trials.at(0).id;

  auto removed = service.LogArtifacts("art", id, {Ckpt(10, "a", 0), Ckpt(20, "a", 0)});
  REQUIRE(removed.ok());
  CHECK(removed->empty());
  removed = service.LogArtifacts("art", id, {Ckpt(30, "a", 0), Ckpt(30, "b", 0)});
  REQUIRE(removed.ok());
  REQUIRE(removed->size() == 1);
  CHECK((*removed)[0].step == 10);
  CHECK((*removed)[0].removed);
  auto all = service.ListArtifacts("art", id);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 4);
  for (const ArtifactRecord& a : *all) {
    CHECK(a.attempt == 1);
    CHECK(a.removed == (a.step == 10));
  }

  // Bad records write nothing.
  ArtifactRecord bad = Ckpt(40, "a", 0);
  bad.sha256 = "xyz";
  CHECK(service.LogArtifacts("art", id, {Ckpt(50, "a", 0), bad}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  ArtifactRecord escape = Ckpt(40, "a", 0);
  escape.path = "../../etc/passwd";
  CHECK(service.LogArtifacts("art", id, {escape}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  ArtifactRecord no_kind = Ckpt(40, "a", 0);
  no_kind.kind = "";
  CHECK(service.LogArtifacts("art", id, {no_kind}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(service.ListArtifacts("art", id)->size() == 4);
  CHECK(service.LogArtifacts("art", 99, {Ckpt(1, "a", 0)}).status().code() ==
        absl::StatusCode::kNotFound);

  // A retried trial's records carry its next attempt.
  auto failed = service.CompleteTrial("art", id, TrialOutcome::ClusterFailed("rank died"));
  REQUIRE(failed.ok());
  REQUIRE(failed->attempt() == 2);
  REQUIRE(service.LogArtifacts("art", id, {Ckpt(40, "a", 0)}).ok());
  all = service.ListArtifacts("art", id);
  REQUIRE(all.ok());
  CHECK(all->back().attempt == 2);
  CHECK(all->back().step == 40);
}

}  // namespace
}  // namespace tuner
