#include "trial_runner/hypertune_metrics.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

namespace tuner {
namespace {

using Metrics = std::map<std::string, double>;

// Lines as the cloudml-hypertune library writes them (json.dumps, sorted keys).
std::string Report(const std::string& tag, const std::string& value, int step, int n) {
  return R"({"global_step": ")" + std::to_string(step) + R"(", ")" + tag + R"(": ")" + value +
         R"(", "timestamp": 1700000000.)" + std::to_string(n) + R"(, "trial": "3"})" + "\n";
}

TEST_CASE("hypertune: the library's lines become measurements, string values and steps parsed") {
  HypertuneMetricReader reader({"loss"});
  std::vector<Measurement> got = reader.Update(Report("loss", "0.5", 1, 1), 1.5);
  REQUIRE(got.size() == 1);
  CHECK(got[0].step == 1);
  CHECK(got[0].elapsed_secs == 1.5);
  CHECK(got[0].metrics == Metrics{{"loss", 0.5}});
}

TEST_CASE("hypertune: the rewritten file gives each report once") {
  HypertuneMetricReader reader({"loss"});
  std::string file = Report("loss", "0.9", 1, 1);
  CHECK(reader.Update(file, 0).size() == 1);
  file += Report("loss", "0.7", 2, 2);  // the library writes the whole queue again
  std::vector<Measurement> got = reader.Update(file, 0);
  REQUIRE(got.size() == 1);
  CHECK(got[0].step == 2);
  CHECK(reader.Update(file, 0).empty());
  // Past 100 lines the library drops the oldest: nothing is read twice.
  std::string shifted = Report("loss", "0.7", 2, 2) + Report("loss", "0.6", 3, 3);
  got = reader.Update(shifted, 0);
  REQUIRE(got.size() == 1);
  CHECK(got[0].step == 3);
  CHECK(got[0].metrics == Metrics{{"loss", 0.6}});
}

TEST_CASE("hypertune: a half-written last line waits for the next read, or the final one") {
  HypertuneMetricReader reader({"loss"});
  const std::string line = Report("loss", "0.25", 4, 1);
  const std::string half = line.substr(0, line.size() / 2);
  CHECK(reader.Update(half, 0).empty());
  const std::string whole = line.substr(0, line.size() - 1);  // no newline
  CHECK(reader.Update(whole, 0).empty());
  std::vector<Measurement> got = reader.Update(whole, 0, /*final=*/true);
  REQUIRE(got.size() == 1);
  CHECK(got[0].step == 4);
}

TEST_CASE("hypertune: reports of one step are merged into one measurement") {
  HypertuneMetricReader reader({"loss", "accuracy"});
  // Complete once every name is there.
  CHECK(reader.Update(Report("loss", "0.5", 1, 1), 0).empty());
  std::vector<Measurement> got =
      reader.Update(Report("loss", "0.5", 1, 1) + Report("accuracy", "0.8", 1, 2), 0);
  REQUIRE(got.size() == 1);
  CHECK(got[0].metrics == Metrics{{"loss", 0.5}, {"accuracy", 0.8}});
  // A step with one of them is complete when the next step begins...
  got = reader.Update(Report("loss", "0.4", 2, 3) + Report("loss", "0.3", 3, 4), 0);
  REQUIRE(got.size() == 1);
  CHECK(got[0].step == 2);
  CHECK(got[0].metrics == Metrics{{"loss", 0.4}});
  // ... or at the final read.
  got = reader.Update("", 0, /*final=*/true);
  REQUIRE(got.size() == 1);
  CHECK(got[0].step == 3);
  CHECK(reader.Update("", 0, /*final=*/true).empty());
}

TEST_CASE("hypertune: other tags, bad values and lines that are not reports are ignored") {
  HypertuneMetricReader reader({"loss"});
  const std::string file =
      "not json\n"
      "[1, 2]\n"
      "\n" +
      Report("training/hptuning/metric", "0.1", 1, 1) +                       // not in names
      Report("loss", "nan", 1, 2) +                                           // not finite
      Report("loss", "fast", 1, 3) +                                          // not a number
      R"({"global_step": "-1", "loss": "0.2"})" + "\n" +                      // negative step
      R"({"global_step": "1.5", "loss": "0.2"})" + "\n" +                     // not a whole step
      R"({"global_step": 7, "loss": 0.125, "checkpoint_path": "x"})" + "\n";  // numbers too
  std::vector<Measurement> got = reader.Update(file, 0, /*final=*/true);
  REQUIRE(got.size() == 1);
  CHECK(got[0].step == 7);
  CHECK(got[0].metrics == Metrics{{"loss", 0.125}});

  // Without names every tag counts; a report without a step is step 0.
  HypertuneMetricReader every;
  got = every.Update(R"({"training/hptuning/metric": "0.75", "timestamp": 1.0})", 0, true);
  REQUIRE(got.size() == 1);
  CHECK(got[0].step == 0);
  CHECK(got[0].metrics == Metrics{{"training/hptuning/metric", 0.75}});
}

}  // namespace
}  // namespace tuner
