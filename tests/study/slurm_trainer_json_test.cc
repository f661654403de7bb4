// trainer.backend "slurm" and the trainer.slurm block: defaults, every key,
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

std::string WithSlurm(const std::string& slurm) {
  return WithTrainer(R"("backend": "slurm", "slurm": )" + slurm);
}

StudySpec ParseOk(const std::string& json) {
  const StudyParseResult result = ParseStudy(json);
  std::string all;
  for (const StudyFault& fault : result.faults) all += fault.ToString() + "\n";
  INFO(all);
  REQUIRE(result.ok());
  return result.spec;
}

TEST_CASE("backend slurm without a slurm block gets the defaults") {
  const StudySpec spec = ParseOk(WithTrainer(R"("backend": "slurm")"));
  CHECK(ToString(spec.trainer.backend) == "slurm");
  CHECK(spec.trainer.slurm.partition.empty());
  CHECK(spec.trainer.slurm.time_limit.empty());
  CHECK(spec.trainer.slurm.cpus_per_task == 1);
  CHECK(spec.trainer.slurm.gpus_per_task == 0);
  CHECK(spec.trainer.slurm.extra_args.empty());
}

TEST_CASE("every trainer.slurm key") {
  const StudySpec spec = ParseOk(WithSlurm(R"({"partition": "gpu,debug", "time_limit": "2-00:30",
      "cpus_per_task": 4, "gpus_per_task": 1,
      "extra_args": ["--qos", "high", "--constraint=a100", "--overcommit"]})"));
  const SlurmSpec& slurm = spec.trainer.slurm;
  CHECK(slurm.partition == "gpu,debug");
  CHECK(slurm.time_limit == "2-00:30");
  CHECK(slurm.cpus_per_task == 4);
  CHECK(slurm.gpus_per_task == 1);
  CHECK(slurm.extra_args ==
        std::vector<std::string>{"--qos", "high", "--constraint=a100", "--overcommit"});
}

TEST_CASE("Slurm's time formats are accepted") {
  for (const char* limit :
       {"30", "30:00", "1:30:00", "2-0", "2-12:00", "2-12:00:00", "UNLIMITED", "infinite"}) {
    INFO(limit);
    CHECK(ParseOk(WithSlurm(std::string(R"({"time_limit": ")") + limit + "\"}"))
              .trainer.slurm.time_limit == limit);
  }
}

TEST_CASE("canonical JSON writes the slurm block with backend slurm only, and reads it back") {
  const StudySpec spec = ParseOk(
      WithSlurm(R"({"partition": "debug", "time_limit": "10", "extra_args": ["--overcommit"]})"));
  const std::string canonical = ToCanonicalJson(spec);
  CHECK_THAT(canonical, Catch::Contains(R"("backend": "slurm")"));
  CHECK_THAT(canonical, Catch::Contains(R"("slurm": {
      "partition": "debug",
      "time_limit": "10",
      "cpus_per_task": 1,
      "gpus_per_task": 0,
      "extra_args": [
        "--overcommit"
      ]
    })"));
  const StudySpec again = ParseOk(canonical);
  CHECK(ToCanonicalJson(again) == canonical);
  CHECK(again.trainer.slurm.extra_args == std::vector<std::string>{"--overcommit"});

  const std::string local = ToCanonicalJson(ParseOk(WithTrainer(R"("backend": "local")")));
  CHECK_THAT(local, !Catch::Contains("slurm"));
}

struct BadSlurm {
  std::string json;
  std::string path;
  std::string fragment;
};

TEST_CASE("each bad trainer.slurm value gets one fault with its path") {
  const std::vector<BadSlurm> bad = {
      {WithTrainer(R"("slurm": {})"), "trainer.slurm", R"(only allowed with backend "slurm")"},
      {WithTrainer(R"("backend": "local", "slurm": {})"), "trainer.slurm",
       R"(only allowed with backend "slurm")"},
      {WithTrainer(R"("backend": "slurm", "slurm": [])"), "trainer.slurm",
       "expected an object, got array"},
      {WithSlurm(R"({"partiton": "x"})"), "trainer.slurm.partiton",
       R"(unknown key (did you mean "partition"?))"},
      {WithSlurm(R"({"partition": "gpu queue"})"), "trainer.slurm.partition",
       "expected a partition name"},
      {WithSlurm(R"({"partition": 3})"), "trainer.slurm.partition", "expected a string"},
      {WithSlurm(R"({"time_limit": 30})"), "trainer.slurm.time_limit",
       "write it in quotes: \"30\""},
      {WithSlurm(R"({"time_limit": "1h"})"), "trainer.slurm.time_limit",
       "expected Slurm's time format"},
      {WithSlurm(R"({"time_limit": "1:2:3:4"})"), "trainer.slurm.time_limit",
       "expected Slurm's time format"},
      {WithSlurm(R"({"cpus_per_task": 0})"), "trainer.slurm.cpus_per_task",
       "must be at least 1 (got 0)"},
      {WithSlurm(R"({"cpus_per_task": 1.5})"), "trainer.slurm.cpus_per_task",
       "expected an integer"},
      {WithSlurm(R"({"gpus_per_task": -1})"), "trainer.slurm.gpus_per_task",
       "must be at least 0 (got -1)"},
      {WithSlurm(R"({"extra_args": "--overcommit"})"), "trainer.slurm.extra_args",
       "expected an array of strings"},
      {WithSlurm(R"({"extra_args": ["high"]})"), "trainer.slurm.extra_args[0]",
       "expected an sbatch option starting with '-'"},
      {WithSlurm(R"({"extra_args": ["--qos=high", "x"]})"), "trainer.slurm.extra_args[1]",
       "expected an sbatch option starting with '-'"},
      {WithSlurm(R"({"extra_args": ["--overcommit", 3]})"), "trainer.slurm.extra_args[1]",
       "expected a string"},
      {WithSlurm(R"({"extra_args": ["--ntasks=4"]})"), "trainer.slurm.extra_args[0]",
       R"("--ntasks" is set by the launcher)"},
      {WithSlurm(R"({"extra_args": ["-pdebug"]})"), "trainer.slurm.extra_args[0]",
       R"("-p" is set by the launcher)"},
      {WithSlurm(R"({"extra_args": ["--output", "x.log"]})"), "trainer.slurm.extra_args[0]",
       R"("--output" is set by the launcher)"},
  };
  for (const BadSlurm& b : bad) {
    INFO("file: " << b.json);
    const StudyParseResult result = ParseStudy(b.json);
    REQUIRE_FALSE(result.ok());
    std::string all;
    for (const StudyFault& fault : result.faults) all += fault.ToString() + "\n";
    INFO("faults:\n" << all);
    CHECK(result.faults.size() == 1);
    CHECK(result.faults[0].path == b.path);
    CHECK_THAT(result.faults[0].message, Catch::Contains(b.fragment));
  }
}

}  // namespace
}  // namespace tuner
