// trainer.resources: per-rank memory and CPU limits (local backend), their
// canonical JSON, and one fault per bad value with its JSON path.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "study/study_json.h"

namespace tuner {
namespace {

std::string WithTrainer(const std::string& trainer) {
  return R"({"name": "s", "objective": {"metric": "loss", "goal": "minimize"},
             "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
             "trainer": {"command": ["t"], )" +
         trainer + "}}";
}

std::string WithResources(const std::string& resources) {
  return WithTrainer(R"("resources": )" + resources);
}

StudySpec ParseOk(const std::string& json) {
  const StudyParseResult result = ParseStudy(json);
  std::string all;
  for (const StudyFault& fault : result.faults) all += fault.ToString() + "\n";
  INFO(all);
  REQUIRE(result.ok());
  return result.spec;
}

TEST_CASE("without trainer.resources there are no limits") {
  const StudySpec spec = ParseOk(WithTrainer(R"("backend": "local")"));
  CHECK(spec.trainer.resources.memory == 0);
  CHECK(spec.trainer.resources.cpus_per_rank == 0);
  CHECK_THAT(ToCanonicalJson(spec), !Catch::Contains("resources"));
}

TEST_CASE("trainer.resources.memory takes bytes or binary units") {
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {R"("512M")", int64_t{512} << 20}, {R"("4G")", int64_t{4} << 30},
      {R"("1T")", int64_t{1} << 40},     {R"("2048K")", int64_t{2} << 20},
      {"1048576", int64_t{1} << 20},     {R"("3000000")", 3000000}};
  for (const auto& [json, bytes] : cases) {
    INFO(json);
    CHECK(ParseOk(WithResources(R"({"memory": )" + json + "}")).trainer.resources.memory == bytes);
  }
}

TEST_CASE("trainer.resources in canonical JSON, only when set, and read back") {
  const StudySpec spec = ParseOk(WithResources(R"({"memory": "1G", "cpus_per_rank": 1.5})"));
  CHECK(spec.trainer.resources.cpus_per_rank == 1.5);
  const std::string canonical = ToCanonicalJson(spec);
  CHECK_THAT(canonical, Catch::Contains(R"("resources": {
      "memory": 1073741824,
      "cpus_per_rank": 1.5
    })"));
  CHECK(ToCanonicalJson(ParseOk(canonical)) == canonical);
  const std::string cpus_only = ToCanonicalJson(ParseOk(WithResources(R"({"cpus_per_rank": 2})")));
  CHECK_THAT(cpus_only, Catch::Contains(R"("resources": {
      "cpus_per_rank": 2.0
    })"));
}

TEST_CASE("trainer.resources.gpus_per_rank, in canonical JSON only when set") {
  const StudySpec spec = ParseOk(WithResources(R"({"gpus_per_rank": 2})"));
  CHECK(spec.trainer.resources.gpus_per_rank == 2);
  const std::string canonical = ToCanonicalJson(spec);
  CHECK_THAT(canonical, Catch::Contains(R"("resources": {
      "gpus_per_rank": 2
    })"));
  CHECK(ToCanonicalJson(ParseOk(canonical)) == canonical);
  CHECK(ParseOk(WithTrainer(R"("backend": "local")")).trainer.resources.gpus_per_rank == 0);
}

struct BadResources {
  std::string json;
  std::string path;
  std::string fragment;
};

TEST_CASE("each bad trainer.resources value gets one fault with its path") {
  const std::vector<BadResources> bad = {
      {WithTrainer(R"("backend": "slurm", "resources": {"memory": "1G"})"), "trainer.resources",
       R"(only allowed with backend "local")"},
      {WithResources("[]"), "trainer.resources", "expected an object, got array"},
      {WithResources(R"({"memroy": "1G"})"), "trainer.resources.memroy",
       R"(did you mean "memory"?)"},
      {WithResources(R"({"memory": "lots"})"), "trainer.resources.memory",
       R"(expected bytes, or a number with K, M, G or T)"},
      {WithResources(R"({"memory": "1.5G"})"), "trainer.resources.memory", R"(got "1.5G")"},
      {WithResources(R"({"memory": "512K"})"), "trainer.resources.memory",
       "must be at least 1M (1048576 bytes), got 524288 bytes"},
      {WithResources(R"({"memory": "99999999T"})"), "trainer.resources.memory", "at most 2^62"},
      {WithResources(R"({"memory": -1})"), "trainer.resources.memory", ""},
      {WithResources(R"({"memory": true})"), "trainer.resources.memory", "expected"},
      {WithResources(R"({"cpus_per_rank": 0})"), "trainer.resources.cpus_per_rank",
       "must be more than 0 and at most 4096 (got 0)"},
      {WithResources(R"({"cpus_per_rank": 5000})"), "trainer.resources.cpus_per_rank",
       "must be more than 0 and at most 4096"},
      {WithResources(R"({"cpus_per_rank": "2"})"), "trainer.resources.cpus_per_rank", "expected"},
      {WithResources(R"({"gpus_per_rank": -1})"), "trainer.resources.gpus_per_rank", ""},
      {WithResources(R"({"gpus_per_rank": 1.5})"), "trainer.resources.gpus_per_rank", ""},
  };
  for (const BadResources& b : bad) {
    const StudyParseResult result = ParseStudy(b.json);
    std::string all;
    for (const StudyFault& fault : result.faults) all += fault.ToString() + "\n";
    INFO(b.json << "\nfaults:\n" << all);
    REQUIRE(result.faults.size() == 1);
    CHECK(result.faults[0].path == b.path);
    CHECK_THAT(result.faults[0].message, Catch::Contains(b.fragment));
  }
}

}  // namespace
}  // namespace tuner
