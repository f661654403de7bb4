#include "tuner/cli/study_dir.h"

#include <cstdio>
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
  fs::create_directories(dir, ec);
  if (ec) return absl::FailedPreconditionError("cannot create " + dir + ": " + ec.message());
  std::ofstream out(marker, std::ios::trunc);
  out << Stamp(create_time);
  if (!out.flush()) return absl::FailedPreconditionError("cannot write " + marker.string());
  return notice;
}

}  // namespace tuner
