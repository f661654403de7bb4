// Storage faults on a real SQLite file: a full disk, a locked file, damaged
// and foreign files, file modes, and the check and backup functions behind
// `tuner db check` and `tuner db backup` (storage/sqlite_file.h).
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite_file.h"
#include "storage/sqlite_status.h"
#include "storage/sqlite_store.h"
#include "tests/storage/store_test_util.h"

namespace tuner {
namespace {

using testing::TempDir;

bool Contains(const absl::Status& status, const std::string& text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

std::unique_ptr<Store> OpenOrDie(const std::string& path, SqliteStoreOptions options = {}) {
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

Measurement MakeMeasurement(int64_t step) {
  Measurement m;
  m.step = step;
  m.elapsed_secs = static_cast<double>(step);
  // Some bulk so that a few hundred rows fill several pages.
  m.metrics = {{"loss", 1.0 / static_cast<double>(step + 1)},
               {"a_rather_long_metric_name_to_take_space_" + std::to_string(step % 7), 0.5}};
  return m;
}

// A store with one study, `trials` trials and `per_trial` measurements each.
void Populate(const std::string& path, int trials, int per_trial) {
  std::unique_ptr<Store> store = OpenOrDie(path);
  TUNER_REQUIRE_OK(store->CreateStudy(MakeStudy("s")));
  std::vector<Trial> new_trials(trials);
  TUNER_REQUIRE_OK(store->AddTrials("s", new_trials));
  for (int id = 1; id <= trials; ++id) {
    std::vector<Measurement> batch;
    for (int step = 0; step < per_trial; ++step) batch.push_back(MakeMeasurement(step));
    TUNER_REQUIRE_OK(store->AddMeasurements("s", id, batch));
  }
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Query on a raw connection: the first column of the first row.
std::string RawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  std::string result;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
    result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

// Overwrites page `page` (1-based) of the file with a byte pattern that is no
// valid b-tree page.
void DamagePage(const std::string& path, int64_t page) {
  const int64_t page_size = std::stoll(RawQuery(path, "PRAGMA page_size"));
  std::FILE* file = std::fopen(path.c_str(), "r+b");
  REQUIRE(file != nullptr);
  REQUIRE(std::fseek(file, (page - 1) * page_size, SEEK_SET) == 0);
  std::string garbage(page_size, '\x5a');
  REQUIRE(std::fwrite(garbage.data(), 1, garbage.size(), file) == garbage.size());
  std::fclose(file);
}

int64_t CountRows(const std::string& path) {
  return std::stoll(RawQuery(path, "SELECT COUNT(*) FROM measurements"));
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  INFO(path);
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Sets the umask for the scope.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

TEST_CASE("SqliteStatus: one place maps SQLite codes", "[sqlite][faults]") {
  CHECK(SqliteStatus(SQLITE_FULL, nullptr, "x").code() == absl::StatusCode::kResourceExhausted);
  CHECK(Contains(SqliteStatus(SQLITE_FULL, nullptr, "x"), "no space left on device while writing"));
  CHECK(SqliteStatus(SQLITE_BUSY, nullptr, "x").code() == absl::StatusCode::kUnavailable);
  CHECK(SqliteStatus(SQLITE_BUSY_SNAPSHOT, nullptr, "x").code() == absl::StatusCode::kUnavailable);
  CHECK(SqliteStatus(SQLITE_LOCKED, nullptr, "x").code() == absl::StatusCode::kUnavailable);
  CHECK(SqliteStatus(SQLITE_CORRUPT, nullptr, "x").code() == absl::StatusCode::kDataLoss);
  CHECK(Contains(SqliteStatus(SQLITE_CORRUPT, nullptr, "x"), "tuner db check"));
  CHECK(SqliteStatus(SQLITE_NOTADB, nullptr, "x").code() == absl::StatusCode::kFailedPrecondition);
  CHECK(SqliteStatus(SQLITE_READONLY, nullptr, "x").code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(SqliteStatus(SQLITE_CONSTRAINT_UNIQUE, nullptr, "x").code() ==
        absl::StatusCode::kAlreadyExists);
  CHECK(SqliteStatus(SQLITE_IOERR, nullptr, "x").code() == absl::StatusCode::kInternal);
  CHECK(SqliteStatus(SQLITE_DONE, nullptr, "x").ok());
}

TEST_CASE("SqliteStore: a full disk is ResourceExhausted and acknowledges nothing unwritten",
          "[sqlite][faults]") {
  TempDir dir("full");
  const std::string path = dir.File("store.db");
  Populate(path, 1, 1);
  const int64_t pages = std::stoll(RawQuery(path, "PRAGMA page_count"));
  const int64_t before = CountRows(path);

  // max_page_count makes SQLite fail the way a full disk does (SQLITE_FULL).
  SqliteStoreOptions options;
  options.max_page_count = pages + 3;
  int64_t acknowledged = 0;
  absl::Status failure;
  {
    std::unique_ptr<Store> store = OpenOrDie(path, options);
    for (int64_t step = 1; step < 100000; ++step) {
      absl::Status status = store->AddMeasurements("s", 1, {MakeMeasurement(step)});
      if (!status.ok()) {
        failure = status;
        break;
      }
      ++acknowledged;
    }
    INFO(failure.ToString());
    REQUIRE(failure.code() == absl::StatusCode::kResourceExhausted);
    CHECK(Contains(failure, "no space left on device while writing " + path));
    CHECK(acknowledged > 0);
    // Reads still work, and every other write fails the same way.
    absl::StatusOr<Trial> trial = store->GetTrial("s", 1);
    TUNER_REQUIRE_OK(trial);
    CHECK(static_cast<int64_t>(trial->measurements.size()) == before + acknowledged);
    CHECK(store->AddMeasurements("s", 1, {MakeMeasurement(1)}).code() ==
          absl::StatusCode::kResourceExhausted);
  }
  // Exactly what was acknowledged is in the file.
  CHECK(CountRows(path) == before + acknowledged);
  // With room again, the store takes writes.
  std::unique_ptr<Store> store = OpenOrDie(path);
  TUNER_REQUIRE_OK(store->AddMeasurements("s", 1, {MakeMeasurement(1)}));
}

TEST_CASE("SqliteStore: a full disk under concurrent writers acknowledges only what is stored",
          "[sqlite][faults]") {
  TempDir dir("full_concurrent");
  const std::string path = dir.File("store.db");
  constexpr int kWriters = 4;
  Populate(path, kWriters, 1);
  const int64_t before = CountRows(path);
  SqliteStoreOptions options;
  options.max_page_count = std::stoll(RawQuery(path, "PRAGMA page_count")) + 4;
  std::vector<int64_t> acknowledged(kWriters, 0);
  std::vector<absl::Status> failures(kWriters);
  {
    std::unique_ptr<Store> store = OpenOrDie(path, options);
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        for (int64_t step = 1; step < 100000; ++step) {
          absl::Status status = store->AddMeasurements("s", w + 1, {MakeMeasurement(step)});
          if (!status.ok()) {
            failures[w] = status;
            return;
          }
          ++acknowledged[w];
        }
      });
    }
    for (std::thread& t : writers) t.join();
  }
  int64_t total = 0;
  for (int w = 0; w < kWriters; ++w) {
    INFO("writer " << w << ": " << failures[w].ToString());
    CHECK(failures[w].code() == absl::StatusCode::kResourceExhausted);
    total += acknowledged[w];
    CHECK(std::stoll(RawQuery(path, "SELECT COUNT(*) FROM measurements WHERE trial_id = " +
                                        std::to_string(w + 1))) == 1 + acknowledged[w]);
  }
  CHECK(CountRows(path) == before + total);
}

TEST_CASE("SqliteStore: a write lock held elsewhere is Unavailable", "[sqlite][faults]") {
  TempDir dir("busy");
  const std::string path = dir.File("store.db");
  Populate(path, 1, 1);
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &other, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  SqliteStoreOptions options;
  options.busy_timeout_ms = 0;
  std::unique_ptr<Store> store = OpenOrDie(path, options);
  absl::Status status = store->CreateStudy(MakeStudy("t"));
  INFO(status.ToString());
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK(store->AddMeasurements("s", 1, {MakeMeasurement(5)}).code() ==
        absl::StatusCode::kUnavailable);
  REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  TUNER_REQUIRE_OK(store->CreateStudy(MakeStudy("t")));
}

TEST_CASE("SqliteStore::ProbeWrite: OK when writable, the write's error otherwise",
          "[sqlite][faults]") {
  TempDir dir("probe");
  const std::string path = dir.File("store.db");
  Populate(path, 1, 1);
  const std::string version = RawQuery(path, "SELECT version FROM schema_version");
  const int64_t rows = CountRows(path);
  {
    std::unique_ptr<Store> store = OpenOrDie(path);
    TUNER_REQUIRE_OK(store->ProbeWrite());
    TUNER_REQUIRE_OK(store->ProbeWrite());
  }
  // It changes nothing a reader sees.
  CHECK(RawQuery(path, "SELECT version FROM schema_version") == version);
  CHECK(CountRows(path) == rows);

  SqliteStoreOptions read_only;
  read_only.read_only = true;
  absl::Status status = OpenOrDie(path, read_only)->ProbeWrite();
  CHECK(status.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(Contains(status, "read-only"));

  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &other, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  SqliteStoreOptions no_wait;
  no_wait.busy_timeout_ms = 0;
  std::unique_ptr<Store> store = OpenOrDie(path, no_wait);
  status = store->ProbeWrite();
  INFO(status.ToString());
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  TUNER_REQUIRE_OK(store->ProbeWrite());
}

TEST_CASE("SqliteStore: a 0-byte file is refused, not taken as a new store", "[sqlite][faults]") {
  TempDir dir("zero");
  const std::string path = dir.File("store.db");
  { std::ofstream touch(path); }
  REQUIRE(std::filesystem::file_size(path) == 0);
  for (bool read_only : {false, true}) {
    SqliteStoreOptions options;
    options.read_only = read_only;
    absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path, options);
    INFO("read_only " << read_only << ": " << store.status().ToString());
    REQUIRE(!store.ok());
    CHECK(store.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(Contains(store.status(), "is empty (0 bytes)"));
    CHECK(Contains(store.status(), path));
  }
  CHECK(std::filesystem::file_size(path) == 0);  // untouched
  CHECK(!std::filesystem::exists(path + "-wal"));
}

TEST_CASE("SqliteStore: files that are not SQLite databases are refused", "[sqlite][faults]") {
  TempDir dir("foreign");
  const std::string path = dir.File("store.db");
  for (const std::string& content : {std::string("x"), std::string("SQLite format 2\0", 16),
                                     std::string(5000, '\0'), std::string("{\"studies\": []}\n")}) {
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << content;
    }
    absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path);
    INFO(store.status().ToString());
    REQUIRE(!store.ok());
    CHECK(store.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(Contains(store.status(), "not an SQLite database"));
    CHECK(ReadAll(path) == content);  // untouched
    CHECK(CheckDatabase(path).status().code() == absl::StatusCode::kFailedPrecondition);
  }
  // A directory is no database either.
  std::filesystem::create_directory(dir.File("a_dir"));
  CHECK(OpenSqliteStore(dir.File("a_dir")).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("SqliteStore: only a missing file creates a new store", "[sqlite][faults]") {
  TempDir dir("missing");
  const std::string path = dir.File("store.db");
  SqliteStoreOptions read_only;
  read_only.read_only = true;
  CHECK(OpenSqliteStore(path, read_only).status().code() == absl::StatusCode::kNotFound);
  CHECK(!std::filesystem::exists(path));
  { OpenOrDie(path); }
  CHECK(std::filesystem::file_size(path) > 0);
  // Nothing is left beside it (the file is built under a temporary name).
  int entries = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    INFO(entry.path());
    ++entries;
  }
  CHECK(entries == 1);
  CHECK(OpenSqliteStore(path, read_only).ok());
}

TEST_CASE("SqliteStore: the db, its WAL and SHM are created 0600", "[sqlite][faults]") {
  for (mode_t mask : {mode_t{022}, mode_t{002}, mode_t{077}}) {
    INFO("umask " << std::oct << mask);
    ScopedUmask umask(mask);
    TempDir dir("modes");
    const std::string path = dir.File("store.db");
    std::unique_ptr<Store> store = OpenOrDie(path);
    TUNER_REQUIRE_OK(store->CreateStudy(MakeStudy("s")));  // the WAL exists while open
    CHECK(ModeOf(path) == 0600);
    CHECK(ModeOf(path + "-wal") == 0600);
    CHECK(ModeOf(path + "-shm") == 0600);
  }
  {
    // The umask is honoured: it can only take bits away.
    ScopedUmask umask(0177);
    TempDir dir("modes_umask");
    const std::string path = dir.File("store.db");
    { OpenOrDie(path); }
    CHECK(ModeOf(path) == 0600);
  }
}

TEST_CASE("SqliteStore: a damaged data page is refused on open, not written into",
          "[sqlite][faults]") {
  TempDir dir("damaged");
  const std::string path = dir.File("store.db");
  Populate(path, 3, 200);  // closing checkpoints the WAL into the file
  REQUIRE(!std::filesystem::exists(path + "-wal"));
  const int64_t root =
      std::stoll(RawQuery(path, "SELECT rootpage FROM sqlite_schema WHERE name = 'measurements'"));
  REQUIRE(root > 1);
  REQUIRE(CheckDatabase(path).ok());
  REQUIRE(CheckDatabase(path)->ok());

  DamagePage(path, root);
  const std::string damaged = ReadAll(path);
  for (bool read_only : {false, true}) {
    SqliteStoreOptions options;
    options.read_only = read_only;
    absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path, options);
    INFO("read_only " << read_only << ": " << store.status().ToString());
    REQUIRE(!store.ok());
    CHECK(store.status().code() == absl::StatusCode::kDataLoss);
    CHECK(Contains(store.status(), "is damaged"));
    CHECK(Contains(store.status(), path));
    CHECK(Contains(store.status(), "tuner db check"));
    CHECK(Contains(store.status(), "tuner db backup FILE"));
  }
  CHECK(ReadAll(path) == damaged);  // nothing written

  // The full check reports the damage; it is a report, not an error.
  absl::StatusOr<DatabaseCheckResult> check = CheckDatabase(path);
  TUNER_REQUIRE_OK(check);
  CHECK(!check->ok());
  CHECK(!check->problems.empty());
  // A backup of a damaged file fails and leaves nothing behind.
  const std::string copy = dir.File("copy.db");
  CHECK(BackupDatabase(path, copy).code() == absl::StatusCode::kDataLoss);
  CHECK(!std::filesystem::exists(copy));
  CHECK(!std::filesystem::exists(copy + ".partial"));

  // Turning the check off opens it (for salvage); reading the page then fails
  // as DataLoss rather than Internal.
  SqliteStoreOptions unchecked;
  unchecked.check_on_open = false;
  unchecked.read_only = true;
  std::unique_ptr<Store> store = OpenOrDie(path, unchecked);
  absl::StatusOr<Trial> trial = store->GetTrial("s", 1);
  INFO(trial.status().ToString());
  CHECK(trial.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("BackupDatabase: a consistent copy while the store is in use; restore by copying",
          "[sqlite][faults]") {
  ScopedUmask umask(022);
  TempDir dir("backup");
  const std::string path = dir.File("store.db");
  Populate(path, 2, 50);
  std::unique_ptr<Store> store = OpenOrDie(path);  // open, with a WAL, during the backup
  TUNER_REQUIRE_OK(store->AddMeasurements("s", 1, {MakeMeasurement(999)}));
  REQUIRE(std::filesystem::exists(path + "-wal"));

  const std::string backup = dir.File("backup.db");
  TUNER_REQUIRE_OK(BackupDatabase(path, backup));
  CHECK(ModeOf(backup) == 0600);
  CHECK(!std::filesystem::exists(backup + ".partial"));
  CHECK(!std::filesystem::exists(backup + "-wal"));  // self-contained
  absl::StatusOr<DatabaseCheckResult> check = CheckDatabase(backup);
  TUNER_REQUIRE_OK(check);
  CHECK(check->ok());
  CHECK(CountRows(backup) == 101);  // including the row still in the source's WAL

  // Never overwrites.
  CHECK(BackupDatabase(path, backup).code() == absl::StatusCode::kAlreadyExists);
  CHECK(BackupDatabase(dir.File("nope.db"), dir.File("b2.db")).code() ==
        absl::StatusCode::kNotFound);

  // The store goes on; the backup is a snapshot.
  TUNER_REQUIRE_OK(store->AddMeasurements("s", 1, {MakeMeasurement(1000)}));
  store.reset();
  CHECK(CountRows(backup) == 101);

  // Restore (docs/reliability.md): no server running, copy the backup in place.
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  std::filesystem::copy_file(backup, path, std::filesystem::copy_options::overwrite_existing);
  store = OpenOrDie(path);
  absl::StatusOr<Trial> trial = store->GetTrial("s", 1);
  TUNER_REQUIRE_OK(trial);
  CHECK(trial->measurements.size() == 51);
  CHECK(trial->measurements.back().step == 999);
}

}  // namespace
}  // namespace tuner
