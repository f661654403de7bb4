// DiffSpecs: each kind of edit a study accepts as a new spec version, and
// each kind it refuses; FillDefaults maps old trials into the edited space;
// the `default` key of a parameter is checked against its domain.
#include "study/spec_edit.h"

#include <catch2/catch.hpp>
#include <string>

#include "study/study_json.h"

namespace tuner {
namespace {

// A study with the given `parameters`, and `extra` top-level members.
std::string Study(const std::string& parameters, const std::string& extra = "") {
  return R"({"name": "s", "objective": {"metric": "loss", "goal": "minimize"},
             "algorithm": {"name": "random", "seed": 1}, "max_trials": 10,
             "parameters": )" +
         parameters + extra + "}";
}

const std::string kParams = R"([
  {"name": "lr", "type": "double", "min": 0.001, "max": 0.1, "scale": "log"},
  {"name": "layers", "type": "integer", "min": 1, "max": 4},
  {"name": "opt", "type": "categorical", "values": ["adam", "sgd"]},
  {"name": "batch", "type": "discrete", "values": [16, 32]}])";
const std::string kTrainer = R"(, "trainer": {"command": ["python3", "train.py"],
                                    "env": {"A": "1"}, "timeout_s": 10})";

StudySpec Parse(const std::string& json) {
  const StudyParseResult result = ParseStudy(json);
  std::string faults;
  for (const StudyFault& f : result.faults) faults += f.ToString() + "\n";
  INFO(faults);
  REQUIRE(result.faults.empty());
  return result.spec;
}

SpecEdit Diff(const std::string& edited_params, const std::string& edited_extra = kTrainer) {
  return DiffSpecs(Parse(Study(kParams, kTrainer)), Parse(Study(edited_params, edited_extra)));
}

std::string Only(const std::vector<std::string>& lines) {
  REQUIRE(lines.size() == 1);
  return lines[0];
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

TEST_CASE("DiffSpecs: the same spec is no change", "[spec_edit]") {
  const SpecEdit edit = Diff(kParams);
  CHECK_FALSE(edit.changed());
  CHECK(edit.ok());
}

TEST_CASE("DiffSpecs accepts trainer, budget, parallelism and early-stopping changes",
          "[spec_edit]") {
  SECTION("trainer env, command and timeout") {
    const SpecEdit edit = Diff(kParams, R"(, "trainer": {"command": ["python3", "train2.py"],
                                       "env": {"A": "2"}, "timeout_s": 20, "max_retries": 2})");
    CHECK(edit.ok());
    CHECK(edit.accepted ==
          std::vector<std::string>{"trainer.command: changed", "trainer.env: changed",
                                   "trainer.max_retries: changed", "trainer.timeout_s: changed"});
  }
  SECTION("max_trials, max_parallel_trials, max_failed_trials") {
    const std::string study =
        Replace(Study(kParams, kTrainer + R"(, "max_parallel_trials": 3, "max_failed_trials": 2)"),
                "\"max_trials\": 10", "\"max_trials\": 30");
    const SpecEdit edit = DiffSpecs(Parse(Study(kParams, kTrainer)), Parse(study));
    CHECK(edit.ok());
    CHECK(edit.accepted == std::vector<std::string>{"max_trials: 10 -> 30",
                                                    "max_parallel_trials: 1 -> 3",
                                                    "max_failed_trials: 0 -> 2"});
  }
  SECTION("early stopping") {
    const SpecEdit edit =
        Diff(kParams, kTrainer + R"(, "early_stopping": {"rule": "median", "min_trials": 3})");
    CHECK(edit.ok());
    CHECK_FALSE(edit.accepted.empty());
    for (const std::string& a : edit.accepted) CHECK(a.rfind("early_stopping.", 0) == 0);
  }
  SECTION("the algorithm") {
    const std::string study = Replace(Study(kParams, kTrainer), R"("name": "random", "seed": 1)",
                                      R"("name": "bayesian", "seed": 1)");
    const SpecEdit edit = DiffSpecs(Parse(Study(kParams, kTrainer)), Parse(study));
    CHECK(edit.ok());
    CHECK(edit.changed());
    for (const std::string& a : edit.accepted) CHECK(a.rfind("algorithm.", 0) == 0);
  }
}

TEST_CASE("DiffSpecs accepts widening the search space", "[spec_edit]") {
  SECTION("a wider double range") {
    CHECK(Only(Diff(Replace(kParams, R"("min": 0.001, "max": 0.1)", R"("min": 0.0001, "max": 0.1)"))
                   .accepted) == "parameters.lr: range widened from [0.001, 0.1] to [1e-04, 0.1]");
  }
  SECTION("a wider integer range") {
    const SpecEdit edit = Diff(Replace(kParams, R"("min": 1, "max": 4)", R"("min": 1, "max": 8)"));
    CHECK(edit.ok());
    CHECK(Only(edit.accepted) == "parameters.layers: range widened from [1, 4] to [1, 8]");
  }
  SECTION("values added to a categorical and a discrete parameter") {
    const SpecEdit edit =
        Diff(Replace(Replace(kParams, R"(["adam", "sgd"])", R"(["sgd", "adam", "rmsprop"])"),
                     "[16, 32]", "[16, 32, 64]"));
    CHECK(edit.ok());
    CHECK(edit.accepted == std::vector<std::string>{"parameters.opt: values added: rmsprop",
                                                    "parameters.batch: values added: 64"});
  }
  SECTION("a parameter added with a default") {
    const SpecEdit edit = Diff(Replace(
        kParams, "]}]",
        R"(]}, {"name": "dropout", "type": "double", "min": 0, "max": 0.5, "default": 0}])"));
    CHECK(edit.ok());
    CHECK(Only(edit.accepted) == "parameters.dropout: added (default 0)");
  }
}

TEST_CASE("DiffSpecs refuses every other change, listing it", "[spec_edit]") {
  SECTION("a narrower range") {
    const SpecEdit edit = Diff(Replace(kParams, R"("min": 1, "max": 4)", R"("min": 2, "max": 8)"));
    CHECK_FALSE(edit.ok());
    CHECK(Only(edit.refused) == "parameters.layers: range narrowed from [1, 4] to [2, 8]");
  }
  SECTION("a removed value") {
    const SpecEdit edit = Diff(Replace(kParams, R"(["adam", "sgd"])", R"(["adam", "rmsprop"])"));
    CHECK(Only(edit.refused) == "parameters.opt: values removed: sgd");
    CHECK(Only(edit.accepted) == "parameters.opt: values added: rmsprop");
  }
  SECTION("a removed parameter") {
    const SpecEdit edit = Diff(Replace(kParams, R"(,
  {"name": "batch", "type": "discrete", "values": [16, 32]})",
                                       ""));
    CHECK(Only(edit.refused) == "parameters.batch: removed");
  }
  SECTION("a renamed parameter") {
    const SpecEdit edit = Diff(Replace(kParams, R"("name": "layers")", R"("name": "depth")"));
    CHECK(edit.refused == std::vector<std::string>{
                              "parameters.layers: removed",
                              "parameters.depth: added without a default (the value old trials "
                              "are taken to have had)"});
  }
  SECTION("a parameter added without a default") {
    const SpecEdit edit = Diff(Replace(
        kParams, "]}]", R"(]}, {"name": "dropout", "type": "double", "min": 0, "max": 0.5}])"));
    CHECK_FALSE(edit.ok());
    CHECK(Only(edit.refused).rfind("parameters.dropout: added without a default", 0) == 0);
  }
  SECTION("a changed type") {
    const SpecEdit edit = Diff(Replace(kParams, R"("type": "integer", "min": 1, "max": 4)",
                                       R"("type": "double", "min": 1, "max": 4)"));
    CHECK(Only(edit.refused) == "parameters.layers: type changed from integer to double");
  }
  SECTION("a changed scale") {
    const SpecEdit edit = Diff(Replace(kParams, R"("scale": "log")", R"("scale": "linear")"));
    CHECK(Only(edit.refused) == "parameters.lr: scale changed from log to linear");
  }
  SECTION("a changed objective") {
    const std::string study =
        Replace(Study(kParams, kTrainer), R"("goal": "minimize")", R"("goal": "maximize")");
    const SpecEdit edit = DiffSpecs(Parse(Study(kParams, kTrainer)), Parse(study));
    CHECK_FALSE(edit.ok());
    CHECK(Only(edit.refused).rfind("objective: changed from ", 0) == 0);
  }
  SECTION("a changed default") {
    const std::string with_default =
        Replace(kParams, R"(["adam", "sgd"])", R"(["adam", "sgd"], "default": "adam")");
    const SpecEdit edit =
        DiffSpecs(Parse(Study(with_default, kTrainer)),
                  Parse(Study(Replace(with_default, R"("default": "adam")", R"("default": "sgd")"),
                              kTrainer)));
    CHECK(Only(edit.refused) == "parameters.opt: default changed from adam to sgd");
  }
}

TEST_CASE("A parameter's default must be in its domain", "[spec_edit]") {
  const std::string bad =
      Study(R"([{"name": "x", "type": "double", "min": 0, "max": 1, "default": 2}])");
  const StudyParseResult result = ParseStudy(bad);
  REQUIRE(result.faults.size() == 1);
  CHECK(result.faults[0].ToString().find("parameters[0].default") != std::string::npos);
  const StudyParseResult cat = ParseStudy(
      Study(R"([{"name": "o", "type": "categorical", "values": ["a", "b"], "default": "c"}])"));
  REQUIRE(cat.faults.size() == 1);
  // A good default survives the canonical form.
  const StudySpec ok =
      Parse(Study(R"([{"name": "n", "type": "integer", "min": 1, "max": 9, "default": 3}])"));
  const StudySpec again = Parse(ToCanonicalJson(ok));
  REQUIRE(again.space.parameters[0].default_value);
  CHECK(FormatValue(*again.space.parameters[0].default_value) == "3");
  CHECK(std::holds_alternative<int64_t>(*again.space.parameters[0].default_value));
}

TEST_CASE("FillDefaults gives old trials the default of an added parameter", "[spec_edit]") {
  const StudySpec spec = Parse(Study(R"([
    {"name": "x", "type": "double", "min": 0, "max": 1},
    {"name": "opt", "type": "categorical", "values": ["adam", "sgd"], "default": "sgd"},
    {"name": "momentum", "type": "double", "min": 0, "max": 1, "default": 0.9,
     "when": {"opt": ["sgd"]}}])"));
  Assignment old{{"x", 0.5}};
  FillDefaults(spec.space, &old);
  CHECK(spec.space.Validate(old).ok());
  CHECK(FormatValue(old.at("opt")) == "sgd");
  CHECK(FormatValue(old.at("momentum")) == "0.9");
  // Values a trial has are kept.
  Assignment newer{{"x", 0.5}, {"opt", std::string("adam")}};
  FillDefaults(spec.space, &newer);
  CHECK(newer.size() == 2);
  CHECK(FormatValue(newer.at("opt")) == "adam");
}

}  // namespace
}  // namespace tuner
