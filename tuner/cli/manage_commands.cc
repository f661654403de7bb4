// `tuner stop STUDY [TRIAL...]`, `tuner retry STUDY [TRIAL...]` and
// `tuner delete STUDY`: change a study
// through the server that owns it (--server, or the one writing --db), or
// through the db file itself when nothing runs on it (tuner/cli/study_source.h).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tuner/cli/commands.h"
#include "tuner/cli/study_source.h"

namespace tuner {
namespace {

int Fail(const std::string& command, const absl::Status& status) {
  std::cerr << "tuner " << command << ": " << status.message() << "\n";
  return 1;
}

struct StopFlags {
  SourceFlags source;
  std::string study;
  std::vector<int64_t> trials;
  std::string reason;
};

int Stop(const StopFlags& flags) {
  auto api = OpenForChanges(flags.source, "tuner stop");
  if (!api.ok()) return Fail("stop", api.status());
  nlohmann::json out = {{"study", flags.study}, {"stopped", nlohmann::json::array()}};
  if (flags.trials.empty()) {
    auto study = (*api)->StopStudy(flags.study, flags.reason);
    if (!study.ok()) return Fail("stop", study.status());
    if (!flags.source.json) {
      std::cout << "study " << flags.study
                << " stopped: no new trials; running ones end as STOPPED (run it again to "
                   "resume)\n";
    }
  }
  for (int64_t id : flags.trials) {
    auto trial = (*api)->StopTrial(flags.study, id,
                                   flags.reason.empty() ? "stopped by tuner stop" : flags.reason);
    if (!trial.ok()) return Fail("stop", trial.status());
    out["stopped"].push_back(id);
    if (!flags.source.json) {
      std::cout << "trial " << id << ": " << ToString(trial->state)
                << (trial->state == TrialState::kStopping ? " (its cluster is being stopped)" : "")
                << "\n";
    }
  }
  if (flags.source.json) std::cout << out.dump(2) << "\n";
  return 0;
}

struct RetryFlags {
  SourceFlags source;
  std::string study;
  std::vector<int64_t> trials;
};

int Retry(const RetryFlags& flags) {
  auto api = OpenForChanges(flags.source, "tuner retry");
  if (!api.ok()) return Fail("retry", api.status());
  auto requeued = (*api)->RetryTrials(flags.study, flags.trials);
  if (!requeued.ok()) return Fail("retry", requeued.status());
  if (flags.source.json) {
    nlohmann::json out = {{"study", flags.study}, {"requeued", nlohmann::json::array()}};
    for (const Trial& t : *requeued) {
      out["requeued"].push_back({{"trial", t.id}, {"attempt", t.attempt()}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (requeued->empty()) {
    std::cout << "study " << flags.study << ": no FAILED trial to retry\n";
    return 0;
  }
  for (const Trial& t : *requeued) {
    std::cout << "trial " << t.id << ": requeued as attempt " << t.attempt() << "\n";
  }
  std::cout << "the study's next `tuner run` (or a running one) runs them\n";
  return 0;
}

struct DeleteFlags {
  SourceFlags source;
  std::string study;
  bool keep_files = false;
  bool yes = false;
};

int Delete(const DeleteFlags& flags) {
  auto api = OpenForChanges(flags.source, "tuner delete");
  if (!api.ok()) return Fail("delete", api.status());
  auto study = (*api)->GetStudy(flags.study);
  if (!study.ok()) return Fail("delete", study.status());
  // A study whose trials still run is stopped first: deleting it under a
  // running `tuner run` would end that run in errors.
  auto running = (*api)->ListTrials(
      flags.study,
      {.states = {TrialState::kActive, TrialState::kStopping}, .with_measurements = false});
  if (!running.ok()) return Fail("delete", running.status());
  if (!running->empty()) {
    std::cerr << "tuner delete: study " << flags.study << " has " << running->size()
              << " running trial(s); stop it first (tuner stop " << flags.study
              << ") and wait for them to end\n";
    return 1;
  }
  const std::string dir = StudyTrialsDir(flags.source, flags.study);
  if (!flags.yes) {
    if (!isatty(STDIN_FILENO)) {
      std::cerr << "tuner delete: deleting study " << flags.study
                << " needs --yes (or answer the question on a terminal)\n";
      return 2;
    }
    std::cout << "Delete study " << flags.study << " with all its trials"
              << (flags.keep_files || dir.empty() ? "" : " and its trial directories (" + dir + ")")
              << "? [y/N] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      std::cout << "not deleted\n";
      return 1;
    }
  }
  if (absl::Status s = (*api)->DeleteStudy(flags.study); !s.ok()) return Fail("delete", s);
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string files;
  if (!dir.empty() && fs::exists(dir, ec)) {
    if (flags.keep_files) {
      // Out of the way of a new study of the same name, which would reuse
      // the trial directories' names.
      const std::string kept = dir + ".deleted-" + std::to_string(std::time(nullptr));
      fs::rename(dir, kept, ec);
      files = ec ? "kept in " + dir + " (" + ec.message() + ")" : "kept in " + kept;
    } else {
      fs::remove_all(dir, ec);
      files = ec ? "not removed: " + ec.message() : "removed " + dir;
    }
  }
  std::cout << "deleted study " << flags.study << (files.empty() ? "" : "; trial files " + files)
            << "\n";
  return 0;
}

}  // namespace

void AddManageCommands(CLI::App& app, CliAction* run) {
  auto stop = std::make_shared<StopFlags>();
  auto* s = app.add_subcommand(
      "stop", "Stop trials, or the whole study (no new trials; running ones end as STOPPED)");
  s->add_option("study", stop->study, "Study name")->required();
  s->add_option("trials", stop->trials, "Trial ids (default: the whole study)");
  s->add_option("--reason", stop->reason, "Why (kept with each trial)");
  AddSourceFlags(s, &stop->source);
  s->callback([run, stop] { *run = [stop] { return Stop(*stop); }; });

  auto retry = std::make_shared<RetryFlags>();
  auto* r = app.add_subcommand(
      "retry",
      "Requeue FAILED (or interrupted) trials: each runs again with the same parameters as its "
      "next attempt");
  r->add_option("study", retry->study, "Study name")->required();
  r->add_option("trials", retry->trials, "Trial ids (default: every FAILED trial)");
  AddSourceFlags(r, &retry->source);
  r->callback([run, retry] { *run = [retry] { return Retry(*retry); }; });

  auto del = std::make_shared<DeleteFlags>();
  auto* d = app.add_subcommand(
      "delete", "Delete a study with its trials and (unless --keep-files) its trial directories");
  d->add_option("study", del->study, "Study name")->required();
  d->add_flag("--keep-files", del->keep_files,
              "Keep the trial directories (renamed to <study>.deleted-<time>)");
  d->add_flag("--yes,-y", del->yes, "Do not ask (needed when not on a terminal)");
  d->add_option("--output-dir", del->source.output_dir,
                "Where the study's trial directories are (default: tuner_trials beside the db)");
  AddSourceFlags(d, &del->source);
  d->callback([run, del] { *run = [del] { return Delete(*del); }; });
}

}  // namespace tuner
