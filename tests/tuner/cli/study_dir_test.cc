#include "tuner/cli/study_dir.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

namespace tuner {
namespace {

namespace fs = std::filesystem;

TEST_CASE("A study's trial directory belongs to the study created at that time", "[study_dir]") {
  const fs::path root = fs::temp_directory_path() / ("tuner_study_dir_" + std::to_string(getpid()));
  fs::remove_all(root);
  const std::string dir = (root / "s").string();

  auto fresh = ClaimStudyDir(dir, 1000.25);
  REQUIRE(fresh.ok());
  CHECK(fresh->empty());
  CHECK((fs::status(dir).permissions() & (fs::perms::group_all | fs::perms::others_all)) ==
        fs::perms::none);  // 0700: the trials' files are the owner's alone
  std::ofstream(fs::path(dir) / "trial-1.log") << "old study";
  // The same study again (resumed): nothing moves.
  auto again = ClaimStudyDir(dir, 1000.25);
  REQUIRE(again.ok());
  CHECK(again->empty());
  CHECK(fs::exists(fs::path(dir) / "trial-1.log"));

  // A new study of the same name: the old directory is moved aside, whole.
  auto replaced = ClaimStudyDir(dir, 2000.5);
  REQUIRE(replaced.ok());
  CHECK_THAT(*replaced, Catch::Contains(dir + ".replaced-"));
  CHECK_FALSE(fs::exists(fs::path(dir) / "trial-1.log"));
  int moved = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.path().filename().string().rfind("s.replaced-", 0) == 0) {
      ++moved;
      CHECK(fs::exists(entry.path() / "trial-1.log"));
    }
  }
  CHECK(moved == 1);

  // A directory from before markers: taken as it is.
  const std::string legacy = (root / "legacy").string();
  fs::create_directories(legacy);
  std::ofstream(fs::path(legacy) / "keep") << "x";
  auto taken = ClaimStudyDir(legacy, 5.0);
  REQUIRE(taken.ok());
  CHECK(taken->empty());
  CHECK(fs::exists(fs::path(legacy) / "keep"));
  fs::remove_all(root);
}

}  // namespace
}  // namespace tuner
