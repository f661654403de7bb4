#include "trial_runner/log_tail.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

namespace tuner {
namespace {

TEST_CASE("LastLines keeps the last n lines without the final newline") {
  CHECK(LastLines("a\nb\nc\n", 2) == "b\nc");
  CHECK(LastLines("a\nb\nc", 2) == "b\nc");
  CHECK(LastLines("a\nb\nc\n", 10) == "a\nb\nc");
  CHECK(LastLines("a\n\n", 1) == "");
  CHECK(LastLines("a\n\n", 2) == "a\n");
  CHECK(LastLines("", 3) == "");
  CHECK(LastLines("a\nb", 0) == "");
}

TEST_CASE("ReadLogTail reads only the end of a large file") {
  const std::string path = "/tmp/tuner_log_tail_test_" + std::to_string(::getpid()) + ".log";
  {
    std::ofstream file(path);
    for (int i = 0; i < 100000; ++i) file << "line " << i << "\n";
  }
  CHECK(ReadLogTail(path, 3) == "line 99997\nline 99998\nline 99999");
  CHECK(ReadLogTail(path, 5, /*max_bytes=*/25) == "line 99998\nline 99999");
  std::remove(path.c_str());
  CHECK(ReadLogTail(path, 3) == "");
}

}  // namespace
}  // namespace tuner
