#include "tuner/cli/study_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace tuner {
namespace {

constexpr char kMarker[] = ".tuner-study";

// The study's creation time as written in the marker (exact: %.17g).
std::string Stamp(double create_time) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", create_time);
  return text;
}

}  // namespace

absl::StatusOr<std::string> ClaimStudyDir(const std::string& dir, double create_time) {
  namespace fs = std::filesystem;
  const fs::path marker = fs::path(dir) / kMarker;
  std::string notice;
  std::error_code ec;
  if (std::ifstream in(marker); in) {
    std::stringstream text;
    text << in.rdbuf();
    if (text.str() == Stamp(create_time)) return notice;
    in.close();
    const std::string aside = dir + ".replaced-" + std::to_string(std::time(nullptr));
    fs::rename(dir, aside, ec);
    if (ec) {
      return absl::FailedPreconditionError("the trial directory " + dir +
                                           " belongs to an older study of the same name and "
                                           "cannot be moved aside: " +
                                           ec.message());
    }
    notice = "the trial directory of an older study of the same name was moved to " + aside;
  }
  // The study's directory is the owner's alone (0700, less if the umask says
  // so): the trials' logs and files inside may hold secrets.
  fs::create_directories(fs::path(dir).parent_path(), ec);
  if (ec) return absl::FailedPreconditionError("cannot create " + dir + ": " + ec.message());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError("cannot create " + dir + ": " + std::strerror(errno));
  }
  std::ofstream out(marker, std::ios::trunc);
  out << Stamp(create_time);
  if (!out.flush()) return absl::FailedPreconditionError("cannot write " + marker.string());
  return notice;
}

}  // namespace tuner
