#include "tuner/server/install_paths.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "tuner_version.h"  // generated: TUNER_VERSION, TUNER_GIT_COMMIT

namespace tuner {
namespace {

namespace fs = std::filesystem;

// The install's share/tuner, or "" for a binary run from its build tree.
std::string InstalledDataDir() {
  if (const char* env = std::getenv("TUNER_DATA_DIR"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const fs::path share = exe.parent_path().parent_path() / "share" / "tuner";
  return fs::is_directory(share, ec) ? share.string() : "";
}

}  // namespace

std::string DashboardDir() {
  const std::string data = InstalledDataDir();
  if (!data.empty()) return data + "/dashboard";
  return std::string(TUNER_SOURCE_DIR) + "/dashboard";
}

std::vector<std::string> PythonClientPath() {
  const std::string data = InstalledDataDir();
  if (!data.empty()) return {data + "/python"};
  return {std::string(TUNER_SOURCE_DIR) + "/clients/python"};  // the stubs are in it
}

std::string VersionString() {
  return std::string("tuner ") + TUNER_VERSION + " (git " + TUNER_GIT_COMMIT + ")";
}

}  // namespace tuner
