#include "study/edit_distance.h"

#include <catch2/catch.hpp>

namespace tuner {
namespace {

TEST_CASE("EditDistance counts insertions, deletions, substitutions and transpositions") {
  CHECK(EditDistance("", "") == 0);
  CHECK(EditDistance("abc", "") == 3);
  CHECK(EditDistance("", "abc") == 3);
  CHECK(EditDistance("cluster", "cluster") == 0);
  CHECK(EditDistance("clustr", "cluster") == 1);    // deletion
  CHECK(EditDistance("clusterr", "cluster") == 1);  // insertion
  CHECK(EditDistance("clastor", "cluster") == 2);   // two substitutions
  CHECK(EditDistance("cluser", "cluster") == 1);
  CHECK(EditDistance("culster", "cluster") == 1);  // transposition
  CHECK(EditDistance("Cluster", "cluster") == 0);  // case-insensitive
  CHECK(EditDistance("kitten", "sitting") == 3);
}

TEST_CASE("ClosestMatch suggests only plausible typos") {
  const std::vector<std::string> keys = {"chief", "worker",     "ps",
                                         "seed",  "max_trials", "max_parallel_trials"};
  CHECK(ClosestMatch("wroker", keys) == "worker");
  CHECK(ClosestMatch("px", keys) == "ps");
  CHECK(ClosestMatch("sed", keys) == "seed");
  CHECK(ClosestMatch("max_trial", keys) == "max_trials");
  CHECK(ClosestMatch("cheif", keys) == "chief");
  CHECK_FALSE(ClosestMatch("xyz", keys).has_value());
  CHECK_FALSE(ClosestMatch("sd", keys).has_value());      // 2 edits from a 4-letter key
  CHECK_FALSE(ClosestMatch("worker", keys).has_value());  // not a typo
  CHECK_FALSE(ClosestMatch("anything", {}).has_value());
}

}  // namespace
}  // namespace tuner
