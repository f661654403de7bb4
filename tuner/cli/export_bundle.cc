#include "tuner/cli/export_bundle.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "study/assignment_json.h"
#include "tuner/cli/artifact_files.h"
#include "tuner/server/install_paths.h"

namespace tuner {
namespace fs = std::filesystem;
namespace {

constexpr char kManifest[] = "manifest.json";

// The bundle path of a record: its own relative path, or external/<name>
// for a file recorded by absolute path; unique within `taken`.
std::string BundlePath(const ArtifactRecord& a, std::set<std::string>* taken) {
  std::string base =
      fs::path(a.path).is_absolute() ? "external/" + fs::path(a.path).filename().string() : a.path;
  std::string path = base;
  for (int n = 2; taken->contains(path); ++n) path = base + "." + std::to_string(n);
  taken->insert(path);
  return path;
}

absl::Status CopyAll(const std::vector<ArtifactRecord>& chosen, const std::string& trial_dir,
                     const fs::path& out, nlohmann::json* files) {
  std::set<std::string> taken{kManifest};
  for (const ArtifactRecord& a : chosen) {
    const std::string source = ArtifactFile(trial_dir, a);
    auto hash = Sha256OfFile(source);
    if (!hash.ok()) {
      return absl::NotFoundError("recorded file " + source +
                                 " is gone: " + std::string(hash.status().message()));
    }
    if (*hash != a.sha256) {
      return absl::DataLossError("recorded file " + source +
                                 " has changed since it was recorded (sha256 " + *hash +
                                 ", recorded " + a.sha256 + ")");
    }
    const std::string path = BundlePath(a, &taken);
    const fs::path dest = out / path;
    std::error_code ec;
    fs::create_directories(dest.parent_path(), ec);
    if (ec || !fs::copy_file(source, dest, ec)) {
      return absl::InternalError("cannot copy " + source + " to " + dest.string() + ": " +
                                 ec.message());
    }
    files->push_back({{"path", path},
                      {"source", source},
                      {"kind", a.kind},
                      {"step", a.step},
                      {"size", a.size},
                      {"sha256", a.sha256},
                      {"rank", a.rank}});
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<nlohmann::json> ExportTrial(const Study& study, const Trial& trial,
                                           const std::vector<ArtifactRecord>& artifacts,
                                           const std::string& trial_dir, const std::string& out_dir,
                                           const nlohmann::json& schedule) {
  const fs::path out(out_dir);
  std::error_code ec;
  if (fs::exists(out, ec)) {
    if (!fs::is_directory(out, ec)) {
      return absl::FailedPreconditionError(out_dir + " exists and is not a directory");
    }
    if (!fs::is_empty(out, ec)) {
      return absl::FailedPreconditionError(out_dir +
                                           " is not empty; export into a new or empty directory");
    }
  }
  // The kept files; a path written again by a later attempt: the latest one.
  std::map<std::string, ArtifactRecord> latest;
  for (const ArtifactRecord& a : artifacts) {
    if (a.removed) continue;
    auto [it, added] = latest.emplace(a.path, a);
    if (!added && a.attempt > it->second.attempt) it->second = a;
  }
  if (latest.empty()) {
    return absl::FailedPreconditionError(
        "trial " + std::to_string(trial.id) +
        " has no recorded artifacts (see docs/artifacts.md: log them with the client, or write "
        "them under $TUNER_OUTPUT_DIR/artifacts/)");
  }
  std::vector<ArtifactRecord> chosen;
  for (auto& [path, a] : latest) chosen.push_back(a);

  nlohmann::json manifest = {{"format", 1},
                             {"study", study.name},
                             {"trial", trial.id},
                             {"attempt", trial.attempt()},
                             {"state", ToString(trial.state)},
                             {"tuner_version", VersionString()}};
  nlohmann::json params = nlohmann::json::array();
  for (const ParameterSpec& p : study.spec->space.parameters) {
    auto it = trial.parameters.find(p.name);
    if (it == trial.parameters.end()) continue;  // inactive (`when`)
    params.push_back({{"name", p.name},
                      {"value", ParameterJson(it->second)},
                      {"role", p.preprocessing ? "preprocessing" : "model"}});
  }
  manifest["parameters"] = std::move(params);
  nlohmann::json metrics = nlohmann::json::object();
  if (trial.final_measurement) {
    for (const auto& [k, v] : trial.final_measurement->metrics) metrics[k] = v;
  }
  manifest["metrics"] = std::move(metrics);
  manifest["command"] = trial.command;
  if (schedule.is_array() && !schedule.empty()) manifest["schedule"] = schedule;
  manifest["environment"] = study.spec->trainer.env;
  nlohmann::json files = nlohmann::json::array();

  fs::create_directories(out, ec);
  if (ec) return absl::InternalError("cannot create " + out_dir + ": " + ec.message());
  absl::Status copied = CopyAll(chosen, trial_dir, out, &files);
  if (copied.ok()) {
    manifest["files"] = std::move(files);
    std::ofstream f(out / kManifest);
    f << manifest.dump(2) << "\n";
    f.close();
    if (!f) copied = absl::InternalError("cannot write " + (out / kManifest).string());
  }
  if (!copied.ok()) {
    // Leave the directory as it was found: empty.
    for (const fs::directory_entry& entry : fs::directory_iterator(out, ec)) {
      fs::remove_all(entry.path(), ec);
    }
    return copied;
  }
  return manifest;
}

absl::StatusOr<std::vector<std::string>> VerifyExport(const std::string& dir) {
  const fs::path manifest_path = fs::path(dir) / kManifest;
  std::ifstream in(manifest_path);
  if (!in) return absl::NotFoundError("no " + manifest_path.string() + ": not an export");
  nlohmann::json manifest = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded() || !manifest.is_object() || !manifest.contains("files") ||
      !manifest["files"].is_array()) {
    return absl::InvalidArgumentError(manifest_path.string() +
                                      ": not a manifest (expected an object with \"files\")");
  }
  std::vector<std::string> problems;
  std::set<std::string> listed{kManifest};
  for (const nlohmann::json& f : manifest["files"]) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("sha256") ||
        !f["sha256"].is_string()) {
      problems.push_back("bad entry in manifest: " + f.dump());
      continue;
    }
    const std::string path = f["path"].get<std::string>();
    listed.insert(path);
    const fs::path file = fs::path(dir) / path;
    auto hash = Sha256OfFile(file.string());
    if (!hash.ok()) {
      problems.push_back("missing: " + path);
      continue;
    }
    if (*hash != f["sha256"].get<std::string>()) {
      problems.push_back("changed: " + path + " (sha256 " + *hash + ", manifest " +
                         f["sha256"].get<std::string>() + ")");
    }
  }
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string rel = fs::relative(it->path(), dir).generic_string();
    if (!listed.contains(rel)) problems.push_back("not in the manifest: " + rel);
  }
  return problems;
}

}  // namespace tuner
