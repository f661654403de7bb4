// Tests that only make sense for the SQLite store on a file: reopening,
// schema versions, WAL, read-only opening, several connections on one file.
// Everything else is in store_conformance_test.cc.
#include "storage/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/storage/store_test_util.h"

namespace tuner {
namespace {

using testing::CheckSameStudy;
using testing::CheckSameTrial;
using testing::TempDir;

// Runs `sql` on the file through a separate raw connection; returns the first
// column of the first row as text ("" if none).
std::string RawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  INFO(sql << ": " << sqlite3_errmsg(db));
  REQUIRE(rc == SQLITE_OK);
  std::string result;
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
    result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  CHECK((rc == SQLITE_ROW || rc == SQLITE_DONE));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

std::unique_ptr<Store> OpenOrDie(const std::string& path, bool read_only = false) {
  SqliteStoreOptions options;
  options.read_only = read_only;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path, options);
  TUNER_REQUIRE_OK(store);
  return *std::move(store);
}

StudyRecord MakeStudy(const std::string& name) {
  StudyRecord study;
  study.name = name;
  study.spec_json = R"({"name":")" + name + R"("})";
  study.create_time = 1700000000;
  return study;
}

Trial MakeTrial(int64_t i) {
  Trial trial;
  trial.parameters = {{"lr", 0.001 * static_cast<double>(i)},
                      {"units", i * 32},
                      {"optimizer", std::string(i % 2 ? "adam" : "sgd")}};
  trial.client_id = "client-" + std::to_string(i % 3);
  trial.create_time = 1700000000 + static_cast<double>(i);
  return trial;
}

Measurement MakeMeasurement(int64_t step) {
  Measurement m;
  m.step = step;
  m.elapsed_secs = 1.5 * static_cast<double>(step);
  m.metrics = {{"loss", 1.0 / static_cast<double>(step + 1)}};
  return m;
}

// Two studies with trials in every state and measurements; returns what the
// store reports afterwards, for comparison after reopening.
struct Snapshot {
  std::vector<StudyRecord> studies;
  std::vector<std::vector<Trial>> trials;  // per study, in `studies` order
};

Snapshot TakeSnapshot(Store& store) {
  Snapshot snapshot;
  absl::StatusOr<std::vector<StudyRecord>> studies = store.ListStudies();
  TUNER_REQUIRE_OK(studies);
  snapshot.studies = *studies;
  for (const StudyRecord& study : snapshot.studies) {
    absl::StatusOr<std::vector<Trial>> trials = store.ListTrials(study.name, {});
    TUNER_REQUIRE_OK(trials);
    snapshot.trials.push_back(*trials);
  }
  return snapshot;
}

void Populate(Store& store) {
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("first")));
  StudyRecord second = MakeStudy("second");
  second.state = StudyState::kCompleted;
  TUNER_REQUIRE_OK(store.CreateStudy(second));
  std::vector<Trial> trials;
  for (int64_t i = 1; i <= 6; ++i) trials.push_back(MakeTrial(i));
  TUNER_REQUIRE_OK(store.AddTrials("first", trials));
  TUNER_REQUIRE_OK(store.AddTrials("second", {MakeTrial(7)}));
  const TrialState states[] = {TrialState::kActive,    TrialState::kStopping,
                               TrialState::kCompleted, TrialState::kStopped,
                               TrialState::kFailed,    TrialState::kInfeasible};
  for (int64_t id = 1; id <= 6; ++id) {
    TUNER_REQUIRE_OK(store.AddMeasurements("first", id, {MakeMeasurement(1), MakeMeasurement(2)}));
    absl::StatusOr<Trial> trial = store.GetTrial("first", id);
    TUNER_REQUIRE_OK(trial);
    trial->state = states[id - 1];
    trial->reason = "reason " + std::to_string(id);
    if (trial->state == TrialState::kCompleted || trial->state == TrialState::kStopped) {
      trial->final_measurement = MakeMeasurement(2);
    }
    if (IsFinal(trial->state)) trial->end_time = 1700001000 + static_cast<double>(id);
    TUNER_REQUIRE_OK(store.UpdateTrial("first", *trial));
  }
}

void CheckSameSnapshot(const Snapshot& a, const Snapshot& b) {
  REQUIRE(a.studies.size() == b.studies.size());
  for (size_t i = 0; i < a.studies.size(); ++i) {
    CheckSameStudy(a.studies[i], b.studies[i]);
    REQUIRE(a.trials[i].size() == b.trials[i].size());
    for (size_t j = 0; j < a.trials[i].size(); ++j) CheckSameTrial(a.trials[i][j], b.trials[i][j]);
  }
}

TEST_CASE("SqliteStore: closing and reopening loses nothing", "[sqlite]") {
  TempDir dir("reopen");
  const std::string path = dir.File("store.db");
  Snapshot before;
  {
    std::unique_ptr<Store> store = OpenOrDie(path);
    Populate(*store);
    before = TakeSnapshot(*store);
  }
  REQUIRE(before.studies.size() == 2);
  REQUIRE(before.trials[0].size() == 6);
  REQUIRE(before.trials[0][2].final_measurement.has_value());

  std::unique_ptr<Store> store = OpenOrDie(path);
  CheckSameSnapshot(TakeSnapshot(*store), before);
  // Ids continue after a reopen; finished trials stay immutable.
  absl::StatusOr<std::vector<Trial>> added = store->AddTrials("first", {MakeTrial(8)});
  TUNER_REQUIRE_OK(added);
  CHECK((*added)[0].id == 7);
  CHECK(store->AddMeasurements("first", 3, {MakeMeasurement(3)}).code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("SqliteStore: schema version, WAL and durability settings", "[sqlite]") {
  TempDir dir("schema");
  const std::string path = dir.File("store.db");
  { OpenOrDie(path); }
  CHECK(SqliteSchemaVersion() >= 1);
  CHECK(RawQuery(path, "SELECT version FROM schema_version") ==
        std::to_string(SqliteSchemaVersion()));
  CHECK(RawQuery(path, "SELECT COUNT(*) FROM schema_version") == "1");
  CHECK(RawQuery(path, "PRAGMA journal_mode") == "wal");
  // The indexes the service's lookups rely on exist.
  for (const char* index : {"trials_by_state", "trials_by_client", "measurements_by_trial"}) {
    INFO(index);
    CHECK(RawQuery(path, std::string("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' "
                                     "AND name = '") +
                             index + "'") == "1");
  }
  // Reopening an up-to-date file changes nothing.
  { OpenOrDie(path); }
  CHECK(RawQuery(path, "SELECT version FROM schema_version") ==
        std::to_string(SqliteSchemaVersion()));
}

TEST_CASE("SqliteStore: a file from a newer build is refused", "[sqlite]") {
  TempDir dir("newer");
  const std::string path = dir.File("store.db");
  {
    std::unique_ptr<Store> store = OpenOrDie(path);
    TUNER_REQUIRE_OK(store->CreateStudy(MakeStudy("s")));
  }
  const int newer = SqliteSchemaVersion() + 1;
  RawQuery(path, "UPDATE schema_version SET version = " + std::to_string(newer));

  for (bool read_only : {false, true}) {
    INFO("read_only " << read_only);
    SqliteStoreOptions options;
    options.read_only = read_only;
    absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path, options);
    REQUIRE(!store.ok());
    CHECK(store.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(std::string(store.status().message()).find(std::to_string(newer)) != std::string::npos);
  }
  // The refusal did not touch the file.
  CHECK(RawQuery(path, "SELECT version FROM schema_version") == std::to_string(newer));
  CHECK(RawQuery(path, "SELECT name FROM studies") == "s");
}

TEST_CASE("SqliteStore: an existing empty SQLite file is migrated", "[sqlite]") {
  TempDir dir("empty");
  const std::string path = dir.File("store.db");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE unrelated (x); DROP TABLE unrelated;", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  // Read-only cannot migrate it.
  SqliteStoreOptions read_only;
  read_only.read_only = true;
  CHECK(OpenSqliteStore(path, read_only).status().code() == absl::StatusCode::kFailedPrecondition);

  std::unique_ptr<Store> store = OpenOrDie(path);
  TUNER_REQUIRE_OK(store->CreateStudy(MakeStudy("s")));
  CHECK(RawQuery(path, "SELECT version FROM schema_version") ==
        std::to_string(SqliteSchemaVersion()));
}

TEST_CASE("SqliteStore: a file that is not a database is an error", "[sqlite]") {
  TempDir dir("garbage");
  const std::string path = dir.File("store.db");
  {
    std::ofstream out(path);
    out << "this is not an SQLite database, just some text that is long enough to have a header"
        << std::string(200, 'x');
  }
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path);
  REQUIRE(!store.ok());
  CHECK(store.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(store.status().message()).find("not an SQLite database") != std::string::npos);
}

TEST_CASE("SqliteStore: read_only reads and refuses every write", "[sqlite]") {
  TempDir dir("read_only");
  const std::string path = dir.File("store.db");
  std::unique_ptr<Store> writer = OpenOrDie(path);
  Populate(*writer);
  const Snapshot before = TakeSnapshot(*writer);

  std::unique_ptr<Store> reader = OpenOrDie(path, /*read_only=*/true);
  CheckSameSnapshot(TakeSnapshot(*reader), before);
  absl::StatusOr<TrialCounts> counts = reader->CountTrials("first");
  TUNER_REQUIRE_OK(counts);
  CHECK(counts->total == 6);

  absl::StatusOr<Trial> active = reader->GetTrial("first", 1);
  TUNER_REQUIRE_OK(active);
  const std::vector<absl::Status> writes = {
      reader->CreateStudy(MakeStudy("new")),
      reader->UpdateStudy(MakeStudy("first")),
      reader->DeleteStudy("first"),
      reader->AddTrials("first", {MakeTrial(9)}).status(),
      reader->AddMeasurements("first", 1, {MakeMeasurement(5)}),
      reader->UpdateTrial("first", *active),
  };
  for (const absl::Status& status : writes) {
    INFO(status.ToString());
    CHECK(status.code() == absl::StatusCode::kFailedPrecondition);
    CHECK(std::string(status.message()).find("read-only") != std::string::npos);
  }
  CheckSameSnapshot(TakeSnapshot(*writer), before);

  // The reader sees what the writer commits afterwards.
  TUNER_REQUIRE_OK(writer->AddMeasurements("first", 1, {MakeMeasurement(9)}));
  absl::StatusOr<Trial> updated = reader->GetTrial("first", 1);
  TUNER_REQUIRE_OK(updated);
  CHECK(updated->measurements.size() == active->measurements.size() + 1);
}

TEST_CASE("SqliteStore: read_only needs an existing file", "[sqlite]") {
  TempDir dir("read_only_missing");
  SqliteStoreOptions options;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<Store>> missing = OpenSqliteStore(dir.File("nope.db"), options);
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(!std::filesystem::exists(dir.File("nope.db")));
  CHECK(OpenSqliteStore(":memory:", options).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("SqliteStore: two connections on one file never share a trial id", "[sqlite]") {
  TempDir dir("two_connections");
  const std::string path = dir.File("store.db");
  std::unique_ptr<Store> a = OpenOrDie(path);
  std::unique_ptr<Store> b = OpenOrDie(path);
  TUNER_REQUIRE_OK(a->CreateStudy(MakeStudy("s")));

  constexpr int kCalls = 40;
  std::vector<int64_t> ids_a, ids_b;
  std::string error_a, error_b;
  auto run = [&](Store& store, std::vector<int64_t>& ids, std::string& error) {
    for (int call = 0; call < kCalls; ++call) {
      absl::StatusOr<std::vector<Trial>> added =
          store.AddTrials("s", {MakeTrial(call), MakeTrial(call + 1)});
      if (!added.ok()) {
        error = added.status().ToString();
        return;
      }
      for (const Trial& trial : *added) ids.push_back(trial.id);
    }
  };
  std::thread ta([&] { run(*a, ids_a, error_a); });
  std::thread tb([&] { run(*b, ids_b, error_b); });
  ta.join();
  tb.join();
  CHECK(error_a.empty());
  CHECK(error_b.empty());

  std::vector<int64_t> all = ids_a;
  all.insert(all.end(), ids_b.begin(), ids_b.end());
  std::sort(all.begin(), all.end());
  REQUIRE(all.size() == 4 * kCalls);
  for (size_t i = 0; i < all.size(); ++i) CHECK(all[i] == static_cast<int64_t>(i) + 1);
}

}  // namespace
}  // namespace tuner

namespace tuner {
namespace {

// Runs one statement through a separate raw connection; "" or SQLite's error.
std::string RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = rc == SQLITE_OK ? "" : (error != nullptr ? error : "error");
  sqlite3_free(error);
  sqlite3_close(db);
  return message;
}

TEST_CASE("SqliteStore: a final trial changes only to start its next attempt, even by hand",
          "[sqlite]") {
  TempDir dir("trigger");
  const std::string path = dir.File("store.db");
  {
    std::unique_ptr<Store> store = OpenOrDie(path);
    TUNER_REQUIRE_OK(store->CreateStudy(MakeStudy("s")));
    TUNER_REQUIRE_OK(store->AddTrials("s", {MakeTrial(1)}).status());
    Trial failed = *store->GetTrial("s", 1);
    failed.state = TrialState::kFailed;
    TUNER_REQUIRE_OK(store->UpdateTrial("s", failed));
  }
  CHECK(RawExec(path, "UPDATE trials SET state = 'ACTIVE'") == "finished trials are immutable");
  CHECK(RawExec(path, "UPDATE trials SET reason = 'x', attempts_json = '[1, 2]'") ==
        "finished trials are immutable");  // still FAILED
  CHECK(RawExec(path, "UPDATE trials SET state = 'ACTIVE', attempts_json = '[]'") ==
        "finished trials are immutable");  // no attempt added
  CHECK(RawQuery(path, "SELECT state FROM trials") == "FAILED");
  CHECK(RawExec(path,
                "UPDATE trials SET state = 'ACTIVE', attempts_json = "
                "'[{\"number\":1,\"start_time\":0,\"end_time\":0,\"outcome\":\"FAILED\","
                "\"reason\":\"\",\"reports\":0,\"last_step\":0}]'")
            .empty());
  CHECK(OpenOrDie(path)->GetTrial("s", 1)->attempt() == 2);
}

TEST_CASE("SqliteStore: version 13 gives older retries the STALE trial they ran again",
          "[sqlite]") {
  TempDir dir("retry_of");
  const std::string path = dir.File("store.db");
  std::vector<std::pair<int, int>> upgrades;
  const auto open = [&] {
    auto opened = OpenSqliteStore(
        path, {.on_upgrade = [&](int from, int to) { upgrades.emplace_back(from, to); }});
    TUNER_REQUIRE_OK(opened);
    return *std::move(opened);
  };
  {
    std::unique_ptr<Store> store = open();
    CHECK(upgrades.empty());  // a new file is not an upgrade
    for (const char* name : {"s", "t"}) TUNER_REQUIRE_OK(store->CreateStudy(MakeStudy(name)));
    // s: 1 and 2 went stale with the same parameters, 3 retried them; 4 is a
    // retry with no stale trial like it; 5 has 3's parameters but is the
    // designer's. t: a retry whose stale trial is in another study.
    std::vector<Trial> s_trials(5, MakeTrial(1));
    s_trials[3] = MakeTrial(2);
    for (int i : {2, 3}) s_trials[static_cast<size_t>(i)].origin = "retry";
    s_trials[4].origin = "gp";
    Trial t_trial = MakeTrial(1);
    t_trial.origin = "retry";
    TUNER_REQUIRE_OK(store->AddTrials("s", s_trials).status());
    TUNER_REQUIRE_OK(store->AddTrials("t", {t_trial}).status());
    for (int64_t id = 1; id <= 5; ++id) {
      Trial t = *store->GetTrial("s", id);
      t.state = id <= 2 ? TrialState::kStale : TrialState::kCompleted;
      t.final_measurement = MakeMeasurement(1);
      TUNER_REQUIRE_OK(store->UpdateTrial("s", t));
    }
  }
  // The file as version 12 left it.
  REQUIRE(RawExec(path,
                  "ALTER TABLE trials DROP COLUMN retry_of; "
                  "UPDATE schema_version SET version = 12")
              .empty());
  std::unique_ptr<Store> store = open();
  CHECK(upgrades == std::vector<std::pair<int, int>>{{12, SqliteSchemaVersion()}});
  CHECK(open() != nullptr);  // a current file: no upgrade to tell
  CHECK(upgrades.size() == 1);
  CHECK(RawQuery(path, "SELECT version FROM schema_version") ==
        std::to_string(SqliteSchemaVersion()));
  absl::StatusOr<std::vector<Trial>> listed = store->ListTrials("s", {});
  TUNER_REQUIRE_OK(listed);
  std::vector<int64_t> retry_of;
  for (const Trial& t : *listed) retry_of.push_back(t.retry_of);
  CHECK(retry_of == std::vector<int64_t>{0, 0, 2, 0, 0});
  CHECK(store->GetTrial("t", 1)->retry_of == 0);
  // Finished trials are immutable again.
  CHECK(RawExec(path, "UPDATE trials SET retry_of = 9") == "finished trials are immutable");
}

}  // namespace
}  // namespace tuner
