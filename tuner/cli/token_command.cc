// `tuner token worker --study S…` and `tuner token trial STUDY TRIAL`: print
// a token minted from the admin token (tuner/server/token_scope.h).
#include <CLI/CLI.hpp>
#include <iostream>

#include "tuner/cli/commands.h"
#include "tuner/server/auth.h"
#include "tuner/server/token_scope.h"

namespace tuner {
namespace {

// The admin token from --token-file, else $TUNER_TOKEN; "" with a message.
std::string AdminToken(const std::string& token_file) {
  auto security = ClientSecurity(token_file, "");
  if (!security.ok()) {
    std::cerr << "tuner token: " << security.status().message() << "\n";
    return "";
  }
  if (security->token.empty()) {
    std::cerr << "tuner token: no admin token: give --token-file (the server's) or set "
                 "TUNER_TOKEN\n";
    return "";
  }
  if (IsMintedToken(security->token)) {
    std::cerr << "tuner token: that is a minted (worker or trial) token; tokens are minted "
                 "from the admin token only\n";
    return "";
  }
  return security->token;
}

}  // namespace

void AddTokenCommand(CLI::App& app, CliAction* run) {
  auto* cmd = app.add_subcommand(
      "token", "Print a token with fewer rights, minted from the admin token (docs/security.md)");
  cmd->require_subcommand(1);
  auto token_file = std::make_shared<std::string>();

  auto* worker = cmd->add_subcommand(
      "worker",
      "A token for ask/tell workers: suggest, report, complete and read trials of the "
      "given studies only");
  auto studies = std::make_shared<std::vector<std::string>>();
  worker->add_option("--study", *studies, "A study the token may work on (repeat for several)")
      ->required();
  worker->add_option("--token-file", *token_file,
                     "File whose first line is the admin token (default: $TUNER_TOKEN)");
  worker->callback([run, studies, token_file] {
    *run = [studies, token_file] {
      const std::string admin = AdminToken(*token_file);
      if (admin.empty()) return 1;
      std::cout << MintWorkerToken(admin, *studies) << "\n";
      return 0;
    };
  });

  auto* trial = cmd->add_subcommand(
      "trial",
      "The token `tuner run` gives a trial's ranks: report, heartbeat, complete and "
      "read that trial, read its study");
  auto study = std::make_shared<std::string>();
  auto trial_id = std::make_shared<int64_t>(0);
  trial->add_option("study", *study, "Study name")->required();
  trial->add_option("trial", *trial_id, "Trial id")->required()->check(CLI::PositiveNumber);
  trial->add_option("--token-file", *token_file,
                    "File whose first line is the admin token (default: $TUNER_TOKEN)");
  trial->callback([run, study, trial_id, token_file] {
    *run = [study, trial_id, token_file] {
      const std::string admin = AdminToken(*token_file);
      if (admin.empty()) return 1;
      std::cout << MintTrialToken(admin, *study, *trial_id) << "\n";
      return 0;
    };
  });
}

}  // namespace tuner
