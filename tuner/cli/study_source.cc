#include "tuner/cli/study_source.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "storage/sqlite_store.h"
#include "storage/writer_lock.h"
#include "tuner/server/auth.h"
#include "tuner/server/remote_study_api.h"
#include "tuner/service/study_service.h"

namespace tuner {
namespace {

std::string DbPath(const SourceFlags& flags) { return flags.db.empty() ? "tuner.db" : flags.db; }

absl::StatusOr<std::unique_ptr<StudyApi>> Connect(const std::string& address,
                                                  const SourceFlags& flags) {
  auto security = ClientSecurity(flags.token_file, flags.tls_ca);
  if (!security.ok()) return security.status();
  return ConnectStudyApi(address, *security);
}

}  // namespace

void AddSourceFlags(CLI::App* cmd, SourceFlags* flags) {
  auto* server = cmd->add_option("--server", flags->server, "Address of a running server");
  auto* db = cmd->add_option("--db", flags->db, "A db file (default tuner.db)");
  server->excludes(db);
  cmd->add_option("--token-file", flags->token_file,
                  "File whose first line is the server's token (default: $TUNER_TOKEN)");
  cmd->add_option("--tls-ca", flags->tls_ca,
                  "Connect with TLS, trusting this CA/certificate PEM file (default: "
                  "$TUNER_TLS_CA)");
  cmd->add_flag("--json", flags->json, "Machine-readable output");
}

absl::StatusOr<std::unique_ptr<StudyApi>> OpenSource(const SourceFlags& flags) {
  if (!flags.server.empty()) return Connect(flags.server, flags);
  auto store = OpenSqliteStore(DbPath(flags), {.read_only = true});
  if (!store.ok()) return store.status();
  return std::unique_ptr<StudyApi>(MakeStudyService(std::move(*store)));
}

absl::StatusOr<std::unique_ptr<StudyApi>> OpenForChanges(const SourceFlags& flags,
                                                         const std::string& what) {
  if (!flags.server.empty()) return Connect(flags.server, flags);
  const std::string db = DbPath(flags);
  if (std::optional<LockHolder> holder = WriterLock::Holder(db)) {
    if (holder->address.empty()) {
      return absl::UnavailableError(db + " is being opened by " + holder->ToString() +
                                    "; try again in a moment");
    }
    return Connect(holder->address, flags);  // the server that writes it
  }
  auto lock = WriterLock::Acquire(db, what);
  if (!lock.ok()) return lock.status();
  auto store = OpenSqliteStore(db, {.on_upgrade = [&](int from, int to) {
                                 std::cerr << SchemaUpgradeMessage(db, from, to) << "\n";
                               }});
  if (!store.ok()) return store.status();
  return std::unique_ptr<StudyApi>(
      MakeStudyService(std::move(*store), StudyServiceOptions{}, std::move(*lock)));
}

std::string StudyTrialsDir(const SourceFlags& flags, const std::string& study) {
  namespace fs = std::filesystem;
  fs::path root;
  if (!flags.output_dir.empty()) {
    root = fs::absolute(flags.output_dir);
  } else if (flags.server.empty()) {
    root = fs::absolute(DbPath(flags)).parent_path() / "tuner_trials";
  } else {
    return "";
  }
  return (root / study).string();
}

}  // namespace tuner
