// `tuner validate FILE...`
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "study/study_json.h"
#include "tuner/cli/commands.h"
#include "tuner/cli/study_source.h"
#include "tuner/service/warm_start_source.h"

namespace tuner {
namespace {

// The studies `spec` warm-starts from, as found in the db (or server) of
// `flags`: how their parameters match. False when one is missing.
bool CheckWarmStart(const std::string& path, const StudySpec& spec, const SourceFlags& flags) {
  auto api = OpenSource(flags);
  if (!api.ok()) {
    std::cout << path << ": warm_start not checked: " << api.status().message() << "\n";
    return true;
  }
  std::vector<std::string> missing;
  auto priors = LoadWarmStart(**api, spec, /*require_all=*/false, &missing);
  if (!priors.ok()) {
    std::cerr << path << ": warm_start: " << priors.status().message() << "\n";
    return false;
  }
  for (const std::string& line : missing) std::cerr << path << ": " << line << "\n";
  for (const PriorStudy& prior : *priors) {
    auto study = (*api)->GetStudy(prior.name);
    if (!study.ok()) continue;  // just read
    std::cout << path << ": warm start from \"" << prior.name << "\":\n";
    for (const std::string& line : DescribeWarmStartMatch(spec, *study->spec, prior)) {
      std::cout << "  " << line << "\n";
    }
  }
  return missing.empty();
}

}  // namespace

void AddValidateCommand(CLI::App& app, CliAction* run) {
  auto* cmd = app.add_subcommand(
      "validate", "Check study files; list every fault with its JSON path (exit 1 on faults)");
  auto files = std::make_shared<std::vector<std::string>>();
  auto flags = std::make_shared<SourceFlags>();
  cmd->add_option("files", *files, "Study JSON files")->required();
  AddSourceFlags(cmd, flags.get());
  cmd->remove_option(cmd->get_option("--json"));  // validate prints text only
  cmd->footer(
      "A study with warm_start is checked against the db (--db, default tuner.db) or server "
      "(--server): each earlier study must exist; how its parameters match is printed.");
  cmd->callback([run, files, flags] {
    *run = [files, flags] {
      int bad = 0;
      for (const std::string& path : *files) {
        std::ifstream in(path);
        if (!in) {
          std::cerr << path << ": cannot open\n";
          ++bad;
          continue;
        }
        std::stringstream text;
        text << in.rdbuf();
        StudyParseResult result = ParseStudy(text.str());
        if (result.ok()) {
          std::cout << path << ": ok (study \"" << result.spec.name << "\", "
                    << result.spec.space.parameters.size() << " parameters)\n";
          if (!result.spec.warm_start.studies.empty() &&
              !CheckWarmStart(path, result.spec, *flags)) {
            ++bad;
          }
          continue;
        }
        ++bad;
        for (const StudyFault& f : result.faults) std::cerr << path << ": " << f.ToString() << "\n";
      }
      return bad == 0 ? 0 : 1;
    };
  });
}

}  // namespace tuner
