#include <catch2/catch.hpp>

#include "study/study_json.h"

namespace tuner {
namespace {

SearchSpace Space() {
  absl::StatusOr<StudySpec> spec = ParseStudyOrError(R"({
    "name": "s", "objective": {"metric": "m", "goal": "maximize"},
    "parameters": [
      {"name": "lr", "type": "double", "min": 0, "max": 1},
      {"name": "layers", "type": "integer", "min": 1, "max": 3},
      {"name": "units", "type": "discrete", "values": [32, 64]},
      {"name": "opt", "type": "categorical", "values": ["adam", "sgd"]}
    ]})");
  REQUIRE(spec.ok());
  return spec->space;
}

TEST_CASE("ParseAssignment coerces JSON numbers to each parameter's type") {
  absl::StatusOr<Assignment> a =
      ParseAssignment(Space(), R"({"lr": 1, "layers": 2.0, "units": 64, "opt": "sgd"})");
  REQUIRE(a.ok());
  CHECK(a->at("lr") == ParameterValue(1.0));
  CHECK(a->at("layers") == ParameterValue(int64_t{2}));
  CHECK(a->at("units") == ParameterValue(int64_t{64}));  // the values are whole numbers
  CHECK(a->at("opt") == ParameterValue(std::string("sgd")));
  CHECK(Space().Validate(*a).ok());

  absl::StatusOr<Assignment> b = ParseAssignment(Space(), R"({"layers": 3, "lr": 0.25})");
  REQUIRE(b.ok());
  CHECK(b->at("layers") == ParameterValue(int64_t{3}));
  CHECK(b->at("lr") == ParameterValue(0.25));
  CHECK(ParseAssignment(Space(), "{}").ok());
}

TEST_CASE("Discrete values are integers when every value is a whole number, else doubles") {
  absl::StatusOr<StudySpec> spec = ParseStudyOrError(R"({
    "name": "s", "objective": {"metric": "m", "goal": "maximize"},
    "parameters": [
      {"name": "units", "type": "discrete", "values": [64, 32.0], "scale": "log"},
      {"name": "frac", "type": "discrete", "values": [0.5, 1, 2]},
      {"name": "opt", "type": "categorical", "values": ["a"], "when": {"units": [32.0]}}
    ]})");
  REQUIRE(spec.ok());
  const std::vector<ParameterSpec>& p = spec->space.parameters;
  CHECK(p[0].values == std::vector<ParameterValue>{int64_t{32}, int64_t{64}});
  CHECK(p[1].values == std::vector<ParameterValue>{0.5, 1.0, 2.0});
  CHECK(p[2].when->values == std::vector<ParameterValue>{int64_t{32}});
  // A number of either type reads as the declared value.
  absl::StatusOr<Assignment> a =
      ParseAssignment(spec->space, R"({"units": 32.0, "frac": 1, "opt": "a"})");
  REQUIRE(a.ok());
  CHECK(a->at("units") == ParameterValue(int64_t{32}));
  CHECK(a->at("frac") == ParameterValue(1.0));
  CHECK(AssignmentToJson(*a) == R"({"frac":1.0,"opt":"a","units":32})");
  // Every suggestion of a designer comes from the values, so it is typed too.
  CHECK(FromUnit(p[0], 0.9) == ParameterValue(int64_t{64}));
}

TEST_CASE("ParseAssignment rejects wrong types and unknown names, naming the parameter") {
  auto message = [](const char* json) {
    absl::StatusOr<Assignment> a = ParseAssignment(Space(), json);
    REQUIRE_FALSE(a.ok());
    CHECK(a.status().code() == absl::StatusCode::kInvalidArgument);
    return std::string(a.status().message());
  };
  CHECK(message(R"({"layers": 2.5})") ==
        "parameters.layers: expected an integer (integer parameter), got 2.5");
  CHECK(message(R"({"layers": "2"})") ==
        "parameters.layers: expected an integer (integer parameter), got string");
  CHECK(message(R"({"lr": "0.1"})") ==
        "parameters.lr: expected a number (double parameter), got string");
  CHECK(message(R"({"units": true})") ==
        "parameters.units: expected a number (discrete parameter), got boolean");
  CHECK(message(R"({"opt": 1})") ==
        "parameters.opt: expected a string (categorical parameter), got number");
  CHECK(message(R"({"momentum": 0.9})") == "parameters.momentum: not in the search space");
  CHECK(message(R"({"momentum": 0.9, "opt": null})") ==
        "parameters.momentum: not in the search space\n"
        "parameters.opt: expected a string (categorical parameter), got null");
  CHECK(message("[1]") == "expected an object of parameter name -> value, got array");
  CHECK_THAT(message(R"({"lr": )"), Catch::StartsWith("invalid JSON at line 1, column"));
}

TEST_CASE("AssignmentToJson writes doubles as floats, int64 as integers") {
  const Assignment a = {
      {"lr", 1.0}, {"layers", int64_t{3}}, {"opt", std::string("a\"b")}, {"x", 0.1}};
  const std::string json = AssignmentToJson(a);
  CHECK(json == R"({"layers":3,"lr":1.0,"opt":"a\"b","x":0.1})");
  SearchSpace space;
  space.parameters = {{.name = "lr", .type = ParameterType::kDouble, .min = 0, .max = 2},
                      {.name = "layers", .type = ParameterType::kInteger, .min = 1, .max = 3},
                      {.name = "opt", .type = ParameterType::kCategorical},
                      {.name = "x", .type = ParameterType::kDouble, .min = 0, .max = 1}};
  absl::StatusOr<Assignment> back = ParseAssignment(space, json);
  REQUIRE(back.ok());
  CHECK(*back == a);
}

}  // namespace
}  // namespace tuner
