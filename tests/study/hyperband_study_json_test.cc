// The hyperband algorithm block of a study: its keys, their faults with JSON
// paths, the resource parameter the parser appends, and the canonical form.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "algorithms/designer_factory.h"
#include "study/study_json.h"

namespace tuner {
namespace {

// A study with `algorithm` as its algorithm block.
std::string WithAlgorithm(const std::string& algorithm) {
  return R"({"name": "hb", "objective": {"metric": "loss", "goal": "minimize"},
             "algorithm": )" +
         algorithm + R"(,
             "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1},
                            {"name": "layers", "type": "integer", "min": 1, "max": 3}]})";
}

std::string FaultsOf(const StudyParseResult& result) {
  std::string out;
  for (const StudyFault& fault : result.faults) out += fault.ToString() + "\n";
  return out;
}

bool HasBayesian() {
  const std::vector<std::string>& names = AvailableDesigners();
  return std::find(names.begin(), names.end(), "bayesian") != names.end();
}

TEST_CASE("a hyperband study gets its resource as a last integer parameter", "[hyperband]") {
  const StudyParseResult result = ParseStudy(WithAlgorithm(
      R"({"name": "hyperband", "seed": 1, "resource": {"name": "epochs", "min": 1, "max": 81},
          "eta": 3, "variant": "sync", "sampler": "random"})"));
  INFO(FaultsOf(result));
  REQUIRE(result.ok());
  const StudySpec& spec = result.spec;
  CHECK(ToString(spec.algorithm.name) == "hyperband");
  CHECK(spec.algorithm.seed == 1);
  CHECK(spec.algorithm.resource.name == "epochs");
  CHECK(spec.algorithm.resource.min == 1);
  CHECK(spec.algorithm.resource.max == 81);
  CHECK(spec.algorithm.eta == 3.0);
  CHECK(spec.algorithm.variant == "sync");
  CHECK(spec.algorithm.sampler == "random");
  REQUIRE(spec.space.parameters.size() == 3);
  const ParameterSpec& resource = spec.space.parameters.back();
  CHECK(resource.name == "epochs");
  CHECK(resource.type == ParameterType::kInteger);
  CHECK(resource.min == 1.0);
  CHECK(resource.max == 81.0);
  CHECK(resource.scale == Scale::kLinear);
  CHECK_FALSE(resource.when.has_value());

  // The factory builds the designer from it.
  DesignerOptions options;
  options.algorithm = ToString(spec.algorithm.name);
  options.seed = spec.algorithm.seed;
  options.hyperband = {spec.algorithm.resource.name, spec.algorithm.eta, spec.algorithm.variant,
                       spec.algorithm.sampler};
  absl::StatusOr<std::unique_ptr<Designer>> designer =
      MakeDesigner(options, spec.space, spec.objectives);
  REQUIRE(designer.ok());
  (*designer)->Update({}, {});
  const std::vector<Assignment> got = (*designer)->Suggest(1);
  REQUIRE(got.size() == 1);
  CHECK(spec.space.Validate(got[0]).ok());
  CHECK(std::get<int64_t>(got[0].at("epochs")) == 1);
}

TEST_CASE("hyperband defaults: min 1, eta 3, async, random", "[hyperband]") {
  const StudyParseResult result = ParseStudy(
      WithAlgorithm(R"({"name": "hyperband", "resource": {"name": "steps", "max": 9}})"));
  INFO(FaultsOf(result));
  REQUIRE(result.ok());
  CHECK(result.spec.algorithm.resource.min == 1);
  CHECK(result.spec.algorithm.eta == 3.0);
  CHECK(result.spec.algorithm.variant == "async");
  CHECK(result.spec.algorithm.sampler == "random");
  CHECK(result.spec.space.parameters.back().name == "steps");
}

TEST_CASE("the bayesian sampler is accepted when the GP designer is built", "[hyperband]") {
  const StudyParseResult result = ParseStudy(WithAlgorithm(
      R"({"name": "hyperband", "resource": {"name": "epochs", "max": 27}, "sampler": "bayesian"})"));
  if (HasBayesian()) {
    INFO(FaultsOf(result));
    REQUIRE(result.ok());
    CHECK(result.spec.algorithm.sampler == "bayesian");
  } else {
    REQUIRE(result.faults.size() == 1);
    CHECK(result.faults[0].path == "algorithm.sampler");
    CHECK_THAT(result.faults[0].message, Catch::Contains("not available in this build yet"));
  }
}

struct BadAlgorithm {
  std::string algorithm;
  std::string path;      // exact
  std::string fragment;  // part of the message
};

TEST_CASE("bad hyperband blocks get one fault each, at the right path", "[hyperband]") {
  const std::vector<BadAlgorithm> cases = {
      {R"({"name": "hyperband"})", "algorithm.resource",
       R"(required ({"name": ..., "min": ..., "max": ...}))"},
      {R"({"name": "hyperband", "resource": "epochs"})", "algorithm.resource",
       "expected an object"},
      {R"({"name": "hyperband", "resource": {"min": 1, "max": 9}})", "algorithm.resource.name",
       "required"},
      {R"({"name": "hyperband", "resource": {"name": "2x", "max": 9}})", "algorithm.resource.name",
       "must be an identifier"},
      {R"({"name": "hyperband", "resource": {"name": 3, "max": 9}})", "algorithm.resource.name",
       "expected a string, got number"},
      {R"({"name": "hyperband", "resource": {"name": "layers", "max": 9}})",
       "algorithm.resource.name",
       R"("layers" is already a parameter (parameters[1].name); the resource needs a name)"},
      {R"({"name": "hyperband", "resource": {"name": "epochs", "min": 0, "max": 9}})",
       "algorithm.resource.min", "must be at least 1 (got 0)"},
      {R"({"name": "hyperband", "resource": {"name": "epochs", "min": 1.5, "max": 9}})",
       "algorithm.resource.min", "expected an integer, got 1.5"},
      {R"({"name": "hyperband", "resource": {"name": "epochs", "min": 5}})",
       "algorithm.resource.max", "required"},
      {R"({"name": "hyperband", "resource": {"name": "epochs", "min": 5, "max": 5}})",
       "algorithm.resource.max", "must be greater than min (5)"},
      {R"({"name": "hyperband", "resource": {"name": "epochs", "max": 1}})",
       "algorithm.resource.max", "must be greater than min (1)"},
      {R"({"name": "hyperband", "resource": {"name": "epochs", "max": 1e17}})",
       "algorithm.resource.max", "must be at most 9007199254740992"},
      {R"({"name": "hyperband", "resource": {"name": "epochs", "mn": 2, "max": 9}})",
       "algorithm.resource.mn", R"(unknown key (did you mean "min"?))"},
      {R"({"name": "hyperband", "resource": {"name": "epochs", "max": 9}, "eta": 1.5})",
       "algorithm.eta", "must be at least 2 (got 1.5)"},
      {R"({"name": "hyperband", "resource": {"name": "epochs", "max": 9}, "eta": "3"})",
       "algorithm.eta", "expected a number, got string"},
      {R"({"name": "hyperband", "resource": {"name": "epochs", "max": 9}, "variant": "asynch"})",
       "algorithm.variant", R"(must be one of async, sync (got "asynch"; did you mean "async"?))"},
      {R"({"name": "hyperband", "resource": {"name": "epochs", "max": 9}, "sampler": "tpe"})",
       "algorithm.sampler", "must be one of random"},
      {R"({"name": "hyperband", "resource": {"name": "epochs", "max": 9}, "etta": 3})",
       "algorithm.etta", R"(did you mean "eta"?)"},
      {R"({"name": "random", "eta": 3})", "algorithm.eta",
       "only the hyperband algorithm takes this option"},
      {R"({"resource": {"name": "epochs", "max": 9}})", "algorithm.resource",
       "only the hyperband algorithm takes this option"},
  };
  for (const BadAlgorithm& bad : cases) {
    const std::string json = WithAlgorithm(bad.algorithm);
    INFO("algorithm: " << bad.algorithm);
    const StudyParseResult result = ParseStudy(json);
    INFO(FaultsOf(result));
    REQUIRE(result.faults.size() == 1);
    CHECK(result.faults[0].path == bad.path);
    CHECK_THAT(result.faults[0].message, Catch::Contains(bad.fragment));
  }
}

TEST_CASE("an unknown algorithm name with hyperband keys gets one fault", "[hyperband]") {
  const StudyParseResult result = ParseStudy(WithAlgorithm(R"({"name": "hyperbnd", "eta": 3})"));
  REQUIRE(result.faults.size() == 1);
  CHECK(result.faults[0].path == "algorithm.name");
}

TEST_CASE("hyperband canonical JSON: resource in algorithm, not in parameters", "[hyperband]") {
  const StudyParseResult first = ParseStudy(WithAlgorithm(
      R"({"resource": {"max": 100, "name": "epochs", "min": 2}, "name": "hyperband", "seed": 9,
          "eta": 2.5})"));
  INFO(FaultsOf(first));
  REQUIRE(first.ok());
  const std::string canonical = ToCanonicalJson(first.spec);
  CHECK_THAT(canonical, Catch::Contains(R"("algorithm": {
    "name": "hyperband",
    "seed": 9,
    "resource": {
      "name": "epochs",
      "min": 2,
      "max": 100
    },
    "eta": 2.5,
    "variant": "async",
    "sampler": "random"
  },)"));
  // `epochs` appears once, in the algorithm block.
  CHECK(canonical.find("\"epochs\"") == canonical.rfind("\"epochs\""));

  const StudyParseResult second = ParseStudy(canonical);
  INFO(FaultsOf(second));
  REQUIRE(second.ok());
  CHECK(ToCanonicalJson(second.spec) == canonical);
  REQUIRE(second.spec.space.parameters.size() == first.spec.space.parameters.size());
  for (size_t i = 0; i < first.spec.space.parameters.size(); ++i) {
    const ParameterSpec& a = first.spec.space.parameters[i];
    const ParameterSpec& b = second.spec.space.parameters[i];
    CHECK(a.name == b.name);
    CHECK(a.type == b.type);
    CHECK(a.min == b.min);
    CHECK(a.max == b.max);
  }
  CHECK(second.spec.algorithm.eta == 2.5);
  CHECK(second.spec.algorithm.resource.min == 2);
}

TEST_CASE("other algorithms keep their canonical algorithm block", "[hyperband]") {
  const StudyParseResult result = ParseStudy(WithAlgorithm(R"({"name": "sobol", "seed": 2})"));
  REQUIRE(result.ok());
  CHECK_THAT(ToCanonicalJson(result.spec), Catch::Contains(R"("algorithm": {
    "name": "sobol",
    "seed": 2
  },)"));
  CHECK(result.spec.space.parameters.size() == 2);
}

}  // namespace
}  // namespace tuner
