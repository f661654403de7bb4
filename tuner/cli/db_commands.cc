// `tuner db check DB` and `tuner db backup DB FILE`: the db file's health and
// a consistent copy of it, both safe while a server uses the file
// (storage/sqlite_file.h). Restoring is copying a backup in place while no
// server runs (docs/reliability.md). `tuner db upgrade DB`: brings a file an
// older build wrote to this build's schema, as the writer's lock allows.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "storage/sqlite_file.h"
#include "storage/sqlite_status.h"
#include "storage/sqlite_store.h"
#include "storage/writer_lock.h"
#include "tuner/cli/commands.h"

namespace tuner {
namespace {

struct DbFlags {
  std::string db;
  std::string backup;
  int max_problems = 100;
};

int Check(const DbFlags& flags) {
  auto result = CheckDatabase(flags.db, flags.max_problems);
  if (!result.ok()) {
    std::cerr << "tuner db check: " << result.status().message() << "\n";
    return 2;
  }
  if (result->ok()) {
    std::cout << flags.db << ": ok\n";
    return 0;
  }
  for (const std::string& p : result->problems) std::cout << flags.db << ": " << p << "\n";
  std::cerr << "tuner db check: " << flags.db << " is damaged; " << DatabaseRecoveryHint(flags.db)
            << "\n";
  return 1;
}

int Backup(const DbFlags& flags) {
  if (absl::Status s = BackupDatabase(flags.db, flags.backup); !s.ok()) {
    std::cerr << "tuner db backup: " << s.message() << "\n";
    return 1;
  }
  std::cout << "backed up " << flags.db << " to " << flags.backup << "\n";
  return 0;
}

int Upgrade(const DbFlags& flags) {
  const auto fail = [](const absl::Status& s) {
    std::cerr << "tuner db upgrade: " << s.message() << "\n";
    return 1;
  };
  auto version = SqliteFileSchemaVersion(flags.db);
  if (!version.ok()) return fail(version.status());
  const int target = SqliteSchemaVersion();
  if (*version > target) {
    return fail(absl::FailedPreconditionError(
        flags.db + " has schema version " + std::to_string(*version) +
        ", newer than this build's " + std::to_string(target) + ": open it with a newer tuner"));
  }
  if (*version == target) {
    std::cout << flags.db << ": schema version " << target << ", nothing to upgrade\n";
    return 0;
  }
  // As a writer: never under a server or run of an older build that writes it.
  auto lock = WriterLock::Acquire(flags.db, "tuner db upgrade");
  if (!lock.ok()) return fail(lock.status());
  auto store = OpenSqliteStore(flags.db, {.on_upgrade = [&](int from, int to) {
                                 std::cout << SchemaUpgradeMessage(flags.db, from, to) << "\n";
                               }});
  if (!store.ok()) return fail(store.status());
  return 0;
}

}  // namespace

void AddDbCommands(CLI::App& app, CliAction* run) {
  auto* db = app.add_subcommand(
      "db", "Check a db file or back it up (safe while a server runs), or upgrade its schema");
  db->require_subcommand(1);
  auto flags = std::make_shared<DbFlags>();
  auto* check = db->add_subcommand(
      "check", "Check the whole db file (SQLite's integrity_check); exit 1 when damaged");
  check->add_option("db", flags->db, "The db file")->required();
  check->add_option("--max-problems", flags->max_problems, "Report at most this many problems")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  check->callback([run, flags] { *run = [flags] { return Check(*flags); }; });
  auto* backup = db->add_subcommand(
      "backup", "Copy the db to a new file: one consistent snapshot, taken while it is in use");
  backup->add_option("db", flags->db, "The db file")->required();
  backup->add_option("file", flags->backup, "The new file (must not exist)")->required();
  backup->callback([run, flags] { *run = [flags] { return Backup(*flags); }; });
  auto* upgrade = db->add_subcommand(
      "upgrade",
      "Bring a db an older tuner wrote to this build's schema (nothing else may write it)");
  upgrade->add_option("db", flags->db, "The db file")->required();
  upgrade->callback([run, flags] { *run = [flags] { return Upgrade(*flags); }; });
}

}  // namespace tuner
