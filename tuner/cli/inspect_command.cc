// `tuner studies`, `tuner trials STUDY`, `tuner best STUDY`: read results from
// a running server (--server ADDR) or straight from a db file (--db FILE).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "tuner/cli/commands.h"
#include "tuner/cli/result_format.h"
#include "tuner/cli/study_source.h"
#include "tuner/cli/text_table.h"

namespace tuner {
namespace {

int Fail(const std::string& command, const absl::Status& status) {
  std::cerr << "tuner " << command << ": " << status.message() << "\n";
  return 1;
}

std::string MetricCell(const Trial& t, const std::string& metric) {
  if (!t.final_measurement) return "";
  auto it = t.final_measurement->metrics.find(metric);
  if (it == t.final_measurement->metrics.end()) return "";
  return FormatValue(it->second);
}

// `tuner studies STUDY --history`: version 1 (created), then each edit.
int History(const SourceFlags& flags, const std::string& name) {
  auto source = OpenSource(flags);
  if (!source.ok()) return Fail("studies", source.status());
  auto study = (*source)->GetStudy(name);
  if (!study.ok()) return Fail("studies", study.status());
  auto versions = nlohmann::json::parse(study->spec_versions_json, nullptr, false);
  if (!versions.is_array()) versions = nlohmann::json::array();
  nlohmann::json json = nlohmann::json::array();
  json.push_back({{"version", 1},
                  {"time", study->create_time},
                  {"changes", nlohmann::json::array({"created"})}});
  for (const auto& v : versions) json.push_back(v);
  if (flags.json) {
    std::cout << json.dump(2) << "\n";
    return 0;
  }
  TextTable table({"version", "time", "changes"});
  for (const auto& v : json) {
    std::string changes;
    for (const auto& c : v.value("changes", nlohmann::json::array())) {
      changes += (changes.empty() ? "" : "; ") + c.get<std::string>();
    }
    table.AddRow({std::to_string(v.value("version", 0)), UtcTime(v.value("time", 0.0)), changes});
  }
  std::cout << table.ToString();
  return 0;
}

int Studies(const SourceFlags& flags) {
  auto source = OpenSource(flags);
  if (!source.ok()) return Fail("studies", source.status());
  auto studies = (*source)->ListStudies();
  if (!studies.ok()) return Fail("studies", studies.status());
  nlohmann::json json = nlohmann::json::array();
  TextTable table({"study", "state", "trials", "completed", "objective"});
  for (const Study& s : *studies) {
    auto trials = (*source)->ListTrials(s.name, {.with_measurements = false});
    if (!trials.ok()) return Fail("studies", trials.status());
    TrialCounts counts;
    for (const Trial& t : *trials) counts.Add(t.state, 1);
    std::string objectives;
    for (const std::string& m : ObjectiveMetrics(s))
      objectives += (objectives.empty() ? "" : ", ") + m;
    const std::string state = ToString(s.state);
    json.push_back({{"name", s.name},
                    {"state", state},
                    {"trials", counts.total},
                    {"completed", counts.completed},
                    {"create_time", s.create_time}});
    table.AddRow({s.name, state, std::to_string(counts.total), std::to_string(counts.completed),
                  objectives});
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
  auto trials = (*source)->ListTrials(study_name, {});
  if (!trials.ok()) return Fail("trials", trials.status());
  if (format == "json") {
    nlohmann::json json = nlohmann::json::array();
    for (const Trial& t : *trials) json.push_back(TrialJson(t));
    std::cout << json.dump(2) << "\n";
    return 0;
  }
  const StudySpec* spec = study->spec.get();
  std::vector<std::string> header = {"trial", "state", "origin"};
  // PBT: which member each continues, "TRIAL@STEP".
  const bool lineage = std::any_of(trials->begin(), trials->end(),
                                   [](const Trial& t) { return t.parent_trial > 0; });
  auto parent = [](const Trial& t) {
    return t.parent_trial > 0 ? std::to_string(t.parent_trial) + "@" + std::to_string(t.parent_step)
                              : std::string();
  };
  if (lineage) header.push_back("parent");
  // A retry names the STALE trial it runs again.
  auto origin = [](const Trial& t) {
    return t.retry_of > 0 ? "retry of " + std::to_string(t.retry_of) : t.origin;
  };
  for (const ParameterSpec& p : spec->space.parameters) header.push_back(p.name);
  for (const Objective& o : spec->objectives) header.push_back(o.metric);
  if (format == "csv") {
    // Every final metric (objectives first), the number of reports, the reason.
    std::set<std::string> others;
    for (const Trial& t : *trials) {
      if (!t.final_measurement) continue;
      for (const auto& [name, value] : t.final_measurement->metrics) others.insert(name);
    }
    for (const Objective& o : spec->objectives) others.erase(o.metric);
    header.insert(header.end(), others.begin(), others.end());
    header.push_back("steps");
    header.push_back("reason");
    std::cout << CsvRow(header);
    for (const Trial& t : *trials) {
      std::vector<std::string> row = {std::to_string(t.id), ToString(t.state), origin(t)};
      if (lineage) row.push_back(parent(t));
      for (const ParameterSpec& p : spec->space.parameters) {
        auto it = t.parameters.find(p.name);
        row.push_back(it == t.parameters.end() ? "" : FormatValue(it->second));
      }
      for (const Objective& o : spec->objectives) row.push_back(MetricCell(t, o.metric));
      for (const std::string& m : others) row.push_back(MetricCell(t, m));
      row.push_back(std::to_string(t.measurements.size()));
      row.push_back(t.reason);
      std::cout << CsvRow(row);
    }
    return 0;
  }
  header.push_back("reason");
  TextTable table(header);
  for (const Trial& t : *trials) {
    std::vector<std::string> row = {std::to_string(t.id), ToString(t.state),
                                    t.origin.empty() ? "-" : origin(t)};
    if (lineage) row.push_back(t.parent_trial > 0 ? parent(t) : "-");
    for (const ParameterSpec& p : spec->space.parameters) {
      auto it = t.parameters.find(p.name);
      row.push_back(it == t.parameters.end() ? "-" : FormatValue(it->second));
    }
    for (const Objective& o : spec->objectives) row.push_back(MetricCell(t, o.metric));
    row.push_back(t.reason);
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
  // A PBT member: the parameters its lineage trained with.
  std::vector<ScheduleEntry> schedule;
  if (!best->empty() && best->front().parent_trial > 0) {
    auto all = (*source)->ListTrials(study_name, {});
    if (!all.ok()) return Fail("best", all.status());
    schedule = ScheduleOf(*all, best->front());
  }
  if (flags.json) {
    nlohmann::json json = {{"study", study_name}};
    json["best"] = best->empty() ? nlohmann::json(nullptr) : TrialJson(best->front());
    if (!schedule.empty()) json["best"]["schedule"] = ScheduleJson(schedule);
    if (objectives.size() > 1) {
      json["pareto"] = nlohmann::json::array();
      for (const Trial& t : *best) json["pareto"].push_back(TrialJson(t));
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
  for (const Trial& t : *best) std::cout << BestTrialText(study_name, t, objectives) << "\n";
  std::cout << ScheduleText(schedule);
  return 0;
}

}  // namespace

void AddInspectCommands(CLI::App& app, CliAction* run) {
  auto flags = std::make_shared<SourceFlags>();
  auto study = std::make_shared<std::string>();

  auto* studies = app.add_subcommand("studies", "List studies, or one study's spec versions");
  auto history = std::make_shared<bool>(false);
  studies->add_option("study", *study, "With --history: the study");
  studies->add_flag("--history", *history,
                    "Show STUDY's spec versions: number, time and what changed (edits applied "
                    "by running a changed study file)");
  AddSourceFlags(studies, flags.get());
  studies->callback([run, flags, study, history] {
    if (*history && study->empty()) throw CLI::ValidationError("--history", "needs a STUDY");
    if (!*history && !study->empty()) {
      throw CLI::ValidationError("study", "a STUDY is shown with --history");
    }
    *run = [flags, study, history] { return *history ? History(*flags, *study) : Studies(*flags); };
  });

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
