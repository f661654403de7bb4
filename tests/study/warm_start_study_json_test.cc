// The warm_start block of a study: its faults with JSON paths, the
// algorithms that refuse it, the canonical form, and edits.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "study/spec_edit.h"
#include "study/study_json.h"

namespace tuner {
namespace {

std::string Study(const std::string& warm_start, const std::string& algorithm = "bayesian") {
  return R"({"name": "new", "objective": {"metric": "loss", "goal": "minimize"},
             "algorithm": {"name": ")" +
         algorithm + R"("}, "warm_start": )" + warm_start + R"(,
             "parameters": [{"name": "lr", "type": "double", "min": 0.001, "max": 1}]})";
}

std::string FaultsOf(const StudyParseResult& result) {
  std::string out;
  for (const StudyFault& fault : result.faults) out += fault.ToString() + "\n";
  return out;
}

TEST_CASE("warm_start: studies are read, written back and compared as an edit") {
  const StudyParseResult result = ParseStudy(Study(R"({"studies": ["old-a", "old.b"]})"));
  INFO(FaultsOf(result));
  REQUIRE(result.ok());
  CHECK(result.spec.warm_start.studies == std::vector<std::string>{"old-a", "old.b"});
  const std::string canonical = ToCanonicalJson(result.spec);
  CHECK_THAT(canonical, Catch::Contains(R"("warm_start": {)"));
  const StudyParseResult again = ParseStudy(canonical);
  REQUIRE(again.ok());
  CHECK(again.spec.warm_start.studies == result.spec.warm_start.studies);
  // Without warm_start the canonical form has no such key (older studies
  // keep their stored form).
  StudySpec cold = result.spec;
  cold.warm_start.studies.clear();
  CHECK_THAT(ToCanonicalJson(cold), !Catch::Contains("warm_start"));
  const SpecEdit edit = DiffSpecs(cold, result.spec);
  CHECK(edit.ok());
  REQUIRE(edit.accepted.size() == 1);
  CHECK_THAT(edit.accepted[0], Catch::StartsWith("warm_start.studies: null -> "));
}

TEST_CASE("warm_start: every fault names its path") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({})", "warm_start.studies: required"},
      {R"({"studies": []})", "warm_start.studies: expected an array of 1 to 8 study names"},
      {R"({"studies": "old"})", "warm_start.studies: expected an array"},
      {R"({"studies": ["a","b","c","d","e","f","g","h","i"]})", "expected an array of 1 to 8"},
      {R"({"studies": ["old", "old"]})", "warm_start.studies[1]: study \"old\" is listed twice"},
      {R"({"studies": ["new"]})", "warm_start.studies[0]: a study cannot warm-start from itself"},
      {R"({"studies": ["bad name"]})", "warm_start.studies[0]: not a study name"},
      {R"({"studies": [3]})", "warm_start.studies[0]:"},
      {R"({"studies": ["old"], "from": 1})", "warm_start.from"},
      {R"([1])", "warm_start:"},
  };
  for (const auto& [block, expected] : cases) {
    const StudyParseResult result = ParseStudy(Study(block));
    INFO(block << "\n" << FaultsOf(result));
    CHECK_FALSE(result.ok());
    CHECK_THAT(FaultsOf(result), Catch::Contains(expected));
  }
}

TEST_CASE("warm_start: grid and pbt refuse it; the other algorithms take it") {
  for (const char* name : {"grid", "pbt"}) {
    const StudyParseResult result = ParseStudy(Study(R"({"studies": ["old"]})", name));
    CHECK_THAT(FaultsOf(result), Catch::Contains(std::string("warm_start: algorithm ") + name +
                                                 " does not take a warm start"));
  }
  for (const char* name : {"random", "sobol", "bayesian"}) {
    const StudyParseResult result = ParseStudy(Study(R"({"studies": ["old"]})", name));
    INFO(FaultsOf(result));
    CHECK(result.ok());
  }
}

}  // namespace
}  // namespace tuner
