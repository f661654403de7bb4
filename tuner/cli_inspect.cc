// `tuner studies`, `tuner trials STUDY`, `tuner best STUDY`: read results from
// a running server (--server ADDR) or straight from a db file (--db FILE).
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "clients/cpp/tuner_client.h"
#include "storage/sqlite_store.h"
#include "study/study_json.h"
#include "tuner/auth.h"
#include "tuner/cli.h"
#include "tuner/proto_convert.h"
#include "tuner/result_format.h"
#include "tuner/study_service.h"
#include "tuner/text_table.h"

namespace tuner {
namespace {

// Where results are read from; both give the wire types.
class ResultSource {
 public:
  virtual ~ResultSource() = default;
  virtual absl::StatusOr<std::vector<v1::Study>> ListStudies() = 0;
  virtual absl::StatusOr<v1::Study> GetStudy(const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<v1::Trial>> ListTrials(const std::string& study) = 0;
  virtual absl::StatusOr<std::vector<v1::Trial>> GetBestTrials(const std::string& study) = 0;
};

class ServerSource : public ResultSource {
 public:
  explicit ServerSource(std::unique_ptr<TunerClient> client) : client_(std::move(client)) {}
  absl::StatusOr<std::vector<v1::Study>> ListStudies() override { return client_->ListStudies(); }
  absl::StatusOr<v1::Study> GetStudy(const std::string& name) override {
    return client_->GetStudy(name);
  }
  absl::StatusOr<std::vector<v1::Trial>> ListTrials(const std::string& study) override {
    return client_->ListTrials(study);
  }
  absl::StatusOr<std::vector<v1::Trial>> GetBestTrials(const std::string& study) override {
    return client_->GetBestTrials(study);
  }

 private:
  std::unique_ptr<TunerClient> client_;
};

class DbSource : public ResultSource {
 public:
  explicit DbSource(std::unique_ptr<Store> store)
      : store_(std::move(store)), service_(store_.get()) {}
  absl::StatusOr<std::vector<v1::Study>> ListStudies() override {
    auto studies = service_.ListStudies();
    if (!studies.ok()) return studies.status();
    std::vector<v1::Study> out;
    for (const StudyRecord& s : *studies) out.push_back(ToProto(s));
    return out;
  }
  absl::StatusOr<v1::Study> GetStudy(const std::string& name) override {
    auto study = service_.GetStudy(name);
    if (!study.ok()) return study.status();
    return ToProto(*study);
  }
  absl::StatusOr<std::vector<v1::Trial>> ListTrials(const std::string& study) override {
    return Convert(study, service_.ListTrials(study, {}));
  }
  absl::StatusOr<std::vector<v1::Trial>> GetBestTrials(const std::string& study) override {
    return Convert(study, service_.GetBestTrials(study));
  }

 private:
  static absl::StatusOr<std::vector<v1::Trial>> Convert(const std::string& study,
                                                        absl::StatusOr<std::vector<Trial>> trials) {
    if (!trials.ok()) return trials.status();
    std::vector<v1::Trial> out;
    for (const Trial& t : *trials) out.push_back(ToProto(study, t));
    return out;
  }
  std::unique_ptr<Store> store_;
  StudyService service_;
};

struct SourceFlags {
  std::string server;
  std::string db;
  std::string token_file;  // with --server
  std::string tls_ca;      // with --server
  bool json = false;
  std::string format;  // `tuner trials`: table | csv | json ("" = table)
};

void AddSourceFlags(CLI::App* cmd, SourceFlags* flags) {
  auto* server = cmd->add_option("--server", flags->server, "Address of a running server");
  auto* db = cmd->add_option("--db", flags->db, "Read a db file directly (read-only)");
  server->excludes(db);
  cmd->add_option("--token-file", flags->token_file,
                  "With --server: file whose first line is the server's token (default: "
                  "$TUNER_TOKEN)");
  cmd->add_option("--tls-ca", flags->tls_ca,
                  "With --server: connect with TLS, trusting this CA/certificate PEM file "
                  "(default: $TUNER_TLS_CA)");
  cmd->add_flag("--json", flags->json, "Machine-readable output");
}

absl::StatusOr<std::unique_ptr<ResultSource>> OpenSource(const SourceFlags& flags) {
  if (!flags.server.empty()) {
    auto security = ClientSecurity(flags.token_file, flags.tls_ca);
    if (!security.ok()) return security.status();
    auto client = TunerClient::Connect(flags.server, *security);
    if (!client.ok()) return client.status();
    return std::unique_ptr<ResultSource>(new ServerSource(std::move(*client)));
  }
  const std::string path = flags.db.empty() ? "tuner.db" : flags.db;
  auto store = OpenSqliteStore(path, {.read_only = true});
  if (!store.ok()) return store.status();
  return std::unique_ptr<ResultSource>(new DbSource(std::move(*store)));
}

int Fail(const std::string& command, const absl::Status& status) {
  std::cerr << "tuner " << command << ": " << status.message() << "\n";
  return 1;
}

std::string MetricCell(const v1::Trial& t, const std::string& metric) {
  auto it = t.final_measurement().metrics().find(metric);
  if (it == t.final_measurement().metrics().end()) return "";
  return FormatValue(it->second);
}

int Studies(const SourceFlags& flags) {
  auto source = OpenSource(flags);
  if (!source.ok()) return Fail("studies", source.status());
  auto studies = (*source)->ListStudies();
  if (!studies.ok()) return Fail("studies", studies.status());
  nlohmann::json json = nlohmann::json::array();
  TextTable table({"study", "state", "trials", "completed", "objective"});
  for (const v1::Study& s : *studies) {
    auto trials = (*source)->ListTrials(s.name());
    if (!trials.ok()) return Fail("studies", trials.status());
    int64_t completed = 0;
    for (const v1::Trial& t : *trials) completed += t.state() == v1::COMPLETED;
    std::string objectives;
    for (const std::string& m : ObjectiveMetrics(s))
      objectives += (objectives.empty() ? "" : ", ") + m;
    const std::string state = s.state() == v1::STUDY_COMPLETED ? "COMPLETED" : "ACTIVE";
    json.push_back({{"name", s.name()},
                    {"state", state},
                    {"trials", trials->size()},
                    {"completed", completed},
                    {"create_time", s.create_time()}});
    table.AddRow(
        {s.name(), state, std::to_string(trials->size()), std::to_string(completed), objectives});
  }
  std::cout << (flags.json ? json.dump(2) + "\n" : table.ToString());
  return 0;
}

// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a newline.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string CsvRow(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + CsvField(fields[i]);
  return line + "\n";
}

int Trials(const SourceFlags& flags, const std::string& study_name) {
  const std::string format = flags.json ? "json" : flags.format.empty() ? "table" : flags.format;
  auto source = OpenSource(flags);
  if (!source.ok()) return Fail("trials", source.status());
  auto study = (*source)->GetStudy(study_name);
  if (!study.ok()) return Fail("trials", study.status());
  auto trials = (*source)->ListTrials(study_name);
  if (!trials.ok()) return Fail("trials", trials.status());
  if (format == "json") {
    nlohmann::json json = nlohmann::json::array();
    for (const v1::Trial& t : *trials) json.push_back(TrialJson(t));
    std::cout << json.dump(2) << "\n";
    return 0;
  }
  auto spec = ParseStudyOrError(study->spec_json());
  if (!spec.ok()) return Fail("trials", spec.status());
  std::vector<std::string> header = {"trial", "state"};
  for (const ParameterSpec& p : spec->space.parameters) header.push_back(p.name);
  for (const Objective& o : spec->objectives) header.push_back(o.metric);
  if (format == "csv") {
    // Every final metric (objectives first), the number of reports, the reason.
    std::set<std::string> others;
    for (const v1::Trial& t : *trials) {
      for (const auto& [name, value] : t.final_measurement().metrics()) others.insert(name);
    }
    for (const Objective& o : spec->objectives) others.erase(o.metric);
    header.insert(header.end(), others.begin(), others.end());
    header.push_back("steps");
    header.push_back("reason");
    std::cout << CsvRow(header);
    for (const v1::Trial& t : *trials) {
      std::vector<std::string> row = {std::to_string(t.id()), v1::TrialState_Name(t.state())};
      for (const ParameterSpec& p : spec->space.parameters) {
        auto it = t.parameters().find(p.name);
        row.push_back(it == t.parameters().end() ? "" : FormatParameter(it->second));
      }
      for (const Objective& o : spec->objectives) row.push_back(MetricCell(t, o.metric));
      for (const std::string& m : others) row.push_back(MetricCell(t, m));
      row.push_back(std::to_string(t.measurements_size()));
      row.push_back(t.reason());
      std::cout << CsvRow(row);
    }
    return 0;
  }
  header.push_back("reason");
  TextTable table(header);
  for (const v1::Trial& t : *trials) {
    std::vector<std::string> row = {std::to_string(t.id()), v1::TrialState_Name(t.state())};
    for (const ParameterSpec& p : spec->space.parameters) {
      auto it = t.parameters().find(p.name);
      row.push_back(it == t.parameters().end() ? "-" : FormatParameter(it->second));
    }
    for (const Objective& o : spec->objectives) row.push_back(MetricCell(t, o.metric));
    row.push_back(t.reason());
    table.AddRow(row);
  }
  std::cout << table.ToString();
  return 0;
}

int Best(const SourceFlags& flags, const std::string& study_name) {
  auto source = OpenSource(flags);
  if (!source.ok()) return Fail("best", source.status());
  auto study = (*source)->GetStudy(study_name);
  if (!study.ok()) return Fail("best", study.status());
  auto best = (*source)->GetBestTrials(study_name);
  if (!best.ok()) return Fail("best", best.status());
  const std::vector<std::string> objectives = ObjectiveMetrics(*study);
  if (flags.json) {
    nlohmann::json json = {{"study", study_name}};
    json["best"] = best->empty() ? nlohmann::json(nullptr) : TrialJson(best->front());
    if (objectives.size() > 1) {
      json["pareto"] = nlohmann::json::array();
      for (const v1::Trial& t : *best) json["pareto"].push_back(TrialJson(t));
    }
    std::cout << json.dump(2) << "\n";
    return 0;
  }
  if (best->empty()) {
    std::cout << "study " << study_name << ": no completed trial yet\n";
    return 0;
  }
  if (objectives.size() > 1) {
    std::cout << "study " << study_name << ": Pareto front of " << best->size() << " trials\n";
  }
  for (const v1::Trial& t : *best) std::cout << BestTrialText(study_name, t, objectives) << "\n";
  return 0;
}

}  // namespace

void AddInspectCommands(CLI::App& app, CliAction* run) {
  auto flags = std::make_shared<SourceFlags>();
  auto study = std::make_shared<std::string>();

  auto* studies = app.add_subcommand("studies", "List studies");
  AddSourceFlags(studies, flags.get());
  studies->callback([run, flags] { *run = [flags] { return Studies(*flags); }; });

  auto* trials = app.add_subcommand("trials", "List a study's trials");
  trials->add_option("study", *study, "Study name")->required();
  AddSourceFlags(trials, flags.get());
  trials->add_option("--format", flags->format, "table (default), csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->excludes("--json");
  trials->callback(
      [run, flags, study] { *run = [flags, study] { return Trials(*flags, *study); }; });

  auto* best = app.add_subcommand("best", "Show a study's best configuration");
  best->add_option("study", *study, "Study name")->required();
  AddSourceFlags(best, flags.get());
  best->callback([run, flags, study] { *run = [flags, study] { return Best(*flags, *study); }; });
}

}  // namespace tuner
