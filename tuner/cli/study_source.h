// Where the `tuner` commands find a study: a running server (--server ADDR)
// or a db file (--db FILE), both behind the one StudyApi. Reading a db needs
// no lock (SQLite's WAL lets readers in while a server writes); changing one
// goes through the process that writes it when there is one (its address is
// in the db's lock file, storage/writer_lock.h), else through the file under
// the writer lock.
#ifndef TUNER_TUNER_CLI_STUDY_SOURCE_H_
#define TUNER_TUNER_CLI_STUDY_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tuner/service/study_api.h"

namespace CLI {
class App;
}

namespace tuner {

struct SourceFlags {
  std::string server;
  std::string db;
  std::string token_file;  // with --server (or the db's server)
  std::string tls_ca;      // with --server (or the db's server)
  std::string output_dir;  // trial directories; "" = tuner_trials beside the db
  bool json = false;
  std::string format;  // `tuner trials`: table | csv | json ("" = table)
};

// --server, --db, --token-file, --tls-ca and --json.
void AddSourceFlags(CLI::App* cmd, SourceFlags* flags);

// A read-only view (--db) or the server (--server).
absl::StatusOr<std::unique_ptr<StudyApi>> OpenSource(const SourceFlags& flags);

// For changes: the server (--server), the server that writes the db now, or
// the db itself under its writer lock (held until the StudyApi is gone).
// `what` names this command in the lock ("tuner stop").
absl::StatusOr<std::unique_ptr<StudyApi>> OpenForChanges(const SourceFlags& flags,
                                                         const std::string& what);

// The directory of a study's trial directories (<root>/<study>): under
// --output-dir, else tuner_trials beside the db. "" with --server and no
// --output-dir (the files are where that server's runs put them).
std::string StudyTrialsDir(const SourceFlags& flags, const std::string& study);

}  // namespace tuner

#endif  // TUNER_TUNER_CLI_STUDY_SOURCE_H_
