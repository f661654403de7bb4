// `tuner artifacts STUDY TRIAL`: a trial's recorded files.
// `tuner export STUDY [--trial N] DIR`: the best (or chosen) trial's kept
// files and a manifest.json (tuner/cli/export_bundle.h).
// `tuner verify-export DIR`: re-hashes a bundle against its manifest.
// docs/artifacts.md.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tuner/cli/commands.h"
#include "tuner/cli/export_bundle.h"
#include "tuner/cli/result_format.h"
#include "tuner/cli/study_source.h"
#include "tuner/cli/text_table.h"

namespace tuner {
namespace {

namespace fs = std::filesystem;

int Fail(const std::string& command, const std::string& message) {
  std::cerr << "tuner " << command << ": " << message << "\n";
  return 1;
}

nlohmann::json ArtifactJson(const ArtifactRecord& a) {
  return {{"path", a.path},       {"kind", a.kind},       {"step", a.step},
          {"size", a.size},       {"sha256", a.sha256},   {"rank", a.rank},
          {"attempt", a.attempt}, {"removed", a.removed}, {"create_time", a.create_time}};
}

int Artifacts(const SourceFlags& flags, const std::string& study, int64_t trial_id) {
  auto api = OpenSource(flags);
  if (!api.ok()) return Fail("artifacts", std::string(api.status().message()));
  auto artifacts = (*api)->ListArtifacts(study, trial_id);
  if (!artifacts.ok()) return Fail("artifacts", std::string(artifacts.status().message()));
  if (flags.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const ArtifactRecord& a : *artifacts) out.push_back(ArtifactJson(a));
    std::cout << nlohmann::json{{"study", study}, {"trial", trial_id}, {"artifacts", out}}.dump(2)
              << "\n";
    return 0;
  }
  if (artifacts->empty()) {
    std::cout << "trial " << trial_id << " of study " << study << ": no recorded artifacts\n";
    return 0;
  }
  TextTable table({"ATTEMPT", "PATH", "KIND", "STEP", "SIZE", "SHA256", "RANK", "STATE"});
  for (const ArtifactRecord& a : *artifacts) {
    table.AddRow({std::to_string(a.attempt), a.path, a.kind,
                  a.kind == "checkpoint" ? std::to_string(a.step) : "-", std::to_string(a.size),
                  a.sha256.substr(0, 12), a.rank.empty() ? "-" : a.rank,
                  a.removed ? "removed" : "kept"});
  }
  std::cout << table.ToString();
  return 0;
}

struct ExportFlags {
  SourceFlags source;
  std::string study;
  int64_t trial = 0;  // 0 = the best
  std::string dir;
};

int Export(const ExportFlags& flags) {
  const std::string trials_dir = StudyTrialsDir(flags.source, flags.study);
  if (trials_dir.empty()) {
    return Fail("export", "with --server, say where the trial directories are with --output-dir");
  }
  auto api = OpenSource(flags.source);
  if (!api.ok()) return Fail("export", std::string(api.status().message()));
  auto study = (*api)->GetStudy(flags.study);
  if (!study.ok()) return Fail("export", std::string(study.status().message()));
  absl::StatusOr<Trial> trial;
  if (flags.trial > 0) {
    trial = (*api)->GetTrial(flags.study, flags.trial);
  } else {
    auto best = (*api)->GetBestTrials(flags.study);
    if (!best.ok()) return Fail("export", std::string(best.status().message()));
    if (best->empty()) return Fail("export", "study " + flags.study + " has no completed trial");
    if (best->size() > 1) {
      return Fail("export", "study " + flags.study + " has several objectives and " +
                                std::to_string(best->size()) +
                                " trials on its Pareto front: choose one with --trial");
    }
    trial = best->front();
  }
  if (!trial.ok()) return Fail("export", std::string(trial.status().message()));
  auto artifacts = (*api)->ListArtifacts(flags.study, trial->id);
  if (!artifacts.ok()) return Fail("export", std::string(artifacts.status().message()));
  const std::string trial_dir =
      (fs::path(trials_dir) / ("trial-" + std::to_string(trial->id))).string();
  std::vector<ScheduleEntry> schedule;  // PBT: the parameters its lineage trained with
  if (trial->parent_trial > 0) {
    auto all = (*api)->ListTrials(flags.study, {});
    if (!all.ok()) return Fail("export", std::string(all.status().message()));
    schedule = ScheduleOf(*all, *trial);
  }
  auto manifest =
      ExportTrial(*study, *trial, *artifacts, trial_dir, flags.dir, ScheduleJson(schedule));
  if (!manifest.ok()) return Fail("export", std::string(manifest.status().message()));
  if (flags.source.json) {
    std::cout << manifest->dump(2) << "\n";
  } else {
    std::cout << "exported trial " << trial->id << " of study " << flags.study << ": "
              << (*manifest)["files"].size() << " file(s) and manifest.json in " << flags.dir
              << "\n";
  }
  return 0;
}

int VerifyExportCommand(const std::string& dir) {
  auto problems = VerifyExport(dir);
  if (!problems.ok()) return Fail("verify-export", std::string(problems.status().message()));
  if (problems->empty()) {
    std::cout << "ok: every file of " << dir << " matches its manifest\n";
    return 0;
  }
  for (const std::string& p : *problems) std::cerr << p << "\n";
  return Fail("verify-export", std::to_string(problems->size()) + " problem(s) in " + dir);
}

}  // namespace

void AddArtifactsCommands(CLI::App& app, CliAction* run) {
  {
    auto flags = std::make_shared<SourceFlags>();
    auto study = std::make_shared<std::string>();
    auto trial = std::make_shared<int64_t>(0);
    auto* cmd = app.add_subcommand(
        "artifacts", "List a trial's recorded files: checkpoints, models, preprocessing");
    cmd->add_option("study", *study, "Study name")->required();
    cmd->add_option("trial", *trial, "Trial id")->required();
    AddSourceFlags(cmd, flags.get());
    cmd->callback([run, flags, study, trial] {
      *run = [flags, study, trial] { return Artifacts(*flags, *study, *trial); };
    });
  }
  {
    auto flags = std::make_shared<ExportFlags>();
    auto* cmd = app.add_subcommand(
        "export",
        "Copy the best (or --trial's) trial's kept artifacts into DIR with a manifest.json");
    cmd->add_option("study", flags->study, "Study name")->required();
    cmd->add_option("dir", flags->dir, "A new or empty directory")->required();
    cmd->add_option("--trial", flags->trial, "This trial instead of the best")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--output-dir", flags->source.output_dir,
                    "Where the trial directories are (default: tuner_trials beside the db)");
    AddSourceFlags(cmd, &flags->source);
    cmd->callback([run, flags] { *run = [flags] { return Export(*flags); }; });
  }
  {
    auto dir = std::make_shared<std::string>();
    auto* cmd =
        app.add_subcommand("verify-export",
                           "Re-hash an exported bundle against its manifest.json (exit 1 on a "
                           "changed, missing or unlisted file)");
    cmd->add_option("dir", *dir, "The export directory")->required();
    cmd->callback([run, dir] { *run = [dir] { return VerifyExportCommand(*dir); }; });
  }
}

}  // namespace tuner
