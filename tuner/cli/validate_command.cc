// `tuner validate FILE...`
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "study/study_json.h"
#include "tuner/cli/commands.h"

namespace tuner {

void AddValidateCommand(CLI::App& app, CliAction* run) {
  auto* cmd = app.add_subcommand(
      "validate", "Check study files; list every fault with its JSON path (exit 1 on faults)");
  auto files = std::make_shared<std::vector<std::string>>();
  cmd->add_option("files", *files, "Study JSON files")->required();
  cmd->callback([run, files] {
    *run = [files] {
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
