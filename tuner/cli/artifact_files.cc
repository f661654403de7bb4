#include "tuner/cli/artifact_files.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <utility>

#include "tuner/cli/orchestrator.h"
#include "tuner/service/artifact_retention.h"

namespace tuner {
namespace fs = std::filesystem;
namespace {

bool IsStep(const std::string& name) {
  return !name.empty() && name.size() <= 18 &&
         name.find_first_not_of("0123456789") == std::string::npos;
}

absl::StatusOr<ArtifactRecord> FileRecord(const fs::path& root, const fs::path& file,
                                          const std::string& kind, int64_t step,
                                          const std::string& checkpoint) {
  ArtifactRecord record;
  record.path = fs::relative(file, root).generic_string();
  record.kind = kind;
  record.step = step;
  record.checkpoint = checkpoint;
  record.attempt = 0;
  std::error_code ec;
  record.size = static_cast<int64_t>(fs::file_size(file, ec));
  if (ec) return absl::InternalError("cannot stat " + file.string() + ": " + ec.message());
  auto hash = Sha256OfFile(file.string());
  if (!hash.ok()) return hash.status();
  record.sha256 = *hash;
  return record;
}

// Adds every regular file under `dir` (not following links) to `out`.
absl::Status AddFiles(const fs::path& root, const fs::path& dir, const std::string& kind,
                      int64_t step, const std::string& checkpoint,
                      std::vector<ArtifactRecord>* out) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    auto record = FileRecord(root, it->path(), kind, step, checkpoint);
    if (!record.ok()) return record.status();
    out->push_back(*std::move(record));
  }
  if (ec) return absl::InternalError("cannot list " + dir.string() + ": " + ec.message());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> Sha256OfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read " + path + ": " + std::strerror(errno));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return absl::InternalError("SHA-256 unavailable");
  }
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof(buffer));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buffer, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return absl::InternalError("cannot read " + path);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

absl::StatusOr<std::vector<ArtifactRecord>> ScanOutputDir(const std::string& output_dir) {
  const fs::path root(output_dir);
  std::vector<ArtifactRecord> out;
  std::error_code ec;
  const fs::path artifacts = root / "artifacts";
  if (fs::is_directory(fs::symlink_status(artifacts, ec))) {
    for (const fs::directory_entry& entry : fs::directory_iterator(artifacts, ec)) {
      if (entry.is_symlink(ec)) continue;
      if (entry.is_directory(ec)) {
        const std::string kind = entry.path().filename().string();
        if (auto s = AddFiles(root, entry.path(), kind, 0, "", &out); !s.ok()) return s;
      } else if (entry.is_regular_file(ec)) {
        auto record = FileRecord(root, entry.path(), "artifact", 0, "");
        if (!record.ok()) return record.status();
        out.push_back(*std::move(record));
      }
    }
  }
  const fs::path checkpoints = root / "checkpoints";
  if (fs::is_directory(fs::symlink_status(checkpoints, ec))) {
    for (const fs::directory_entry& entry : fs::directory_iterator(checkpoints, ec)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_symlink(ec) || !entry.is_directory(ec)) continue;
      if (!IsStep(name)) {
        spdlog::warn("{}: not a step number, not recorded as a checkpoint", entry.path().string());
        continue;
      }
      if (auto s = AddFiles(root, entry.path(), "checkpoint", std::stoll(name),
                            "checkpoints/" + name, &out);
          !s.ok()) {
        return s;
      }
    }
  }
  return out;
}

std::string ArtifactFile(const std::string& trial_dir, const ArtifactRecord& record) {
  if (fs::path(record.path).is_absolute()) return record.path;
  return (fs::path(TrialAttemptDir(trial_dir, record.attempt)) / record.path).string();
}

std::string CheckpointLocation(const std::string& trial_dir, const ArtifactRecord& record) {
  if (record.checkpoint.empty()) return ArtifactFile(trial_dir, record);
  ArtifactRecord at = record;
  at.path = record.checkpoint;
  return ArtifactFile(trial_dir, at);
}

absl::StatusOr<int> RecordTrialFiles(StudyApi& api, const std::string& study, int64_t trial_id,
                                     const std::string& trial_dir, int attempt) {
  auto scanned = ScanOutputDir(TrialAttemptDir(trial_dir, attempt));
  if (!scanned.ok()) return scanned.status();
  auto known = api.ListArtifacts(study, trial_id);
  if (!known.ok()) return known.status();
  std::set<std::string> recorded;
  for (const ArtifactRecord& a : *known) {
    if (a.attempt == attempt) recorded.insert(a.path);
  }
  std::vector<ArtifactRecord> fresh;
  for (ArtifactRecord& a : *scanned) {
    if (recorded.contains(a.path)) continue;
    a.attempt = attempt;
    fresh.push_back(std::move(a));
  }
  auto removed = api.LogArtifacts(study, trial_id, fresh);
  if (!removed.ok()) return removed.status();
  auto all = api.ListArtifacts(study, trial_id);
  if (!all.ok()) return all.status();
  std::set<std::string> emptied;
  for (const ArtifactRecord& a : *all) {
    if (!a.removed) continue;
    const std::string file = ArtifactFile(trial_dir, a);
    std::error_code ec;
    if (fs::remove(file, ec)) {
      spdlog::info("trial {}: removed {} (checkpoint step {}, past trainer.keep_checkpoints)",
                   trial_id, file, a.step);
    }
    if (!a.checkpoint.empty()) emptied.insert(CheckpointLocation(trial_dir, a));
  }
  for (const std::string& dir : emptied) {
    std::error_code ec;
    if (fs::is_directory(dir, ec) && fs::is_empty(dir, ec)) fs::remove(dir, ec);
  }
  return static_cast<int>(fresh.size());
}

absl::StatusOr<std::string> LatestCheckpointPath(StudyApi& api, const std::string& study,
                                                 int64_t trial_id, const std::string& trial_dir) {
  auto all = api.ListArtifacts(study, trial_id);
  if (!all.ok()) return all.status();
  // The latest step whose files all still exist.
  std::vector<ArtifactRecord> candidates = *all;
  while (true) {
    std::optional<ArtifactRecord> latest = LatestCheckpoint(candidates);
    if (!latest) return std::string();
    bool complete = true;
    for (const ArtifactRecord& a : candidates) {
      if (a.kind == "checkpoint" && !a.removed && a.step == latest->step &&
          a.attempt == latest->attempt && !fs::exists(ArtifactFile(trial_dir, a))) {
        complete = false;
      }
    }
    if (complete) return CheckpointLocation(trial_dir, *latest);
    spdlog::warn("trial {}: checkpoint of step {} has missing files; not restored from", trial_id,
                 latest->step);
    for (ArtifactRecord& a : candidates) {
      if (a.kind == "checkpoint" && a.step == latest->step && a.attempt == latest->attempt) {
        a.removed = true;
      }
    }
  }
}

}  // namespace tuner
