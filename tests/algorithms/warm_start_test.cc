// Warm start: mapping earlier trials into a space, the configurations tried
// first, and WarmStartDesigner's order, origins and replay.
#include "algorithms/warm_start.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "algorithms/designer_factory.h"
#include "algorithms/random_designer.h"
#include "tests/algorithms/test_spaces.h"

namespace tuner {
namespace {

using testing::Categorical;
using testing::Discrete;
using testing::Double;
using testing::History;
using testing::Integer;

SearchSpace Space() {
  SearchSpace space;
  space.parameters = {Double("lr", 1e-3, 1e-1, Scale::kLog), Integer("layers", 1, 4),
                      Discrete("units", {32.0, 64.0, 128.0}),
                      Categorical("optimizer", {"adam", "sgd"})};
  return space;
}

PriorStudy Prior(const std::string& name, std::vector<std::pair<Assignment, double>> trials) {
  PriorStudy prior{name, {}};
  int64_t id = 1;
  for (auto& [a, v] : trials) prior.trials.push_back({id++, a, v});
  return prior;
}

TEST_CASE("MapIntoSpace clips numbers, snaps discrete values and drops unknown names") {
  const SearchSpace space = Space();
  const Assignment a = {{"lr", 0.5},
                        {"layers", int64_t{9}},
                        {"units", 100.0},
                        {"optimizer", std::string("sgd")},
                        {"momentum", 0.9}};
  const auto mapped = MapIntoSpace(space, a, true);
  REQUIRE(mapped.has_value());
  CHECK(std::get<double>(mapped->at("lr")) == 0.1);
  CHECK(std::get<int64_t>(mapped->at("layers")) == 4);
  CHECK(std::get<double>(mapped->at("units")) == 128.0);
  CHECK(std::get<std::string>(mapped->at("optimizer")) == "sgd");
  CHECK(mapped->count("momentum") == 0);
  CHECK(space.Validate(*mapped).ok());
}

TEST_CASE("MapIntoSpace: an unknown category makes the trial unusable; missing ones fill") {
  const SearchSpace space = Space();
  CHECK_FALSE(MapIntoSpace(space, {{"lr", 0.01}, {"optimizer", std::string("rmsprop")}}, true));
  SearchSpace with_default = space;
  with_default.parameters[1].default_value = ParameterValue(int64_t{2});
  const auto filled = MapIntoSpace(with_default, {{"lr", 0.01}}, true);
  REQUIRE(filled.has_value());
  CHECK(std::get<int64_t>(filled->at("layers")) == 2);  // its default
  CHECK(filled->count("units") == 1);                   // the middle value
  CHECK(with_default.Validate(*filled).ok());
  const auto partial = MapIntoSpace(space, {{"lr", 0.01}}, false);
  REQUIRE(partial.has_value());
  CHECK(partial->size() == 1);
}

TEST_CASE("WarmStartConfigs: the best usable trial of each study, once, with its origin") {
  const SearchSpace space = Space();
  const Assignment good = {
      {"lr", 0.01}, {"layers", int64_t{2}}, {"units", 64.0}, {"optimizer", std::string("adam")}};
  Assignment bad_category = good;
  bad_category["optimizer"] = std::string("rmsprop");
  Assignment worse = good;
  worse["layers"] = int64_t{3};
  const std::vector<PriorStudy> priors = {
      Prior("a", {{worse, 1.0}, {bad_category, 9.0}, {good, 5.0}}),
      Prior("b", {{good, 2.0}}),  // the same configuration: not repeated
      Prior("c", {{worse, 0.5}})};
  const std::vector<WarmStartConfig> configs = WarmStartConfigs(space, priors);
  REQUIRE(configs.size() == 2);
  CHECK(configs[0].parameters == good);
  CHECK(configs[0].origin == "warm_start:a#3");
  CHECK(configs[1].parameters == worse);
  CHECK(configs[1].origin == "warm_start:c#1");
}

TEST_CASE("WarmStartDesigner suggests the earlier bests first, each once, then its designer") {
  const SearchSpace space = Space();
  const Assignment good = {
      {"lr", 0.01}, {"layers", int64_t{2}}, {"units", 64.0}, {"optimizer", std::string("adam")}};
  DesignerOptions options;
  options.algorithm = "random";
  options.seed = 3;
  options.warm_start = {Prior("old", {{good, 1.0}})};
  auto designer = MakeDesigner(options, space, {Objective{"loss", Goal::kMinimize}});
  REQUIRE(designer.ok());
  History history;
  history.UpdateDesigner(**designer);
  std::vector<Assignment> got = (*designer)->Suggest(3);
  REQUIRE(got.size() == 3);
  CHECK(got[0] == good);
  CHECK((*designer)->origins() == std::vector<std::string>{"warm_start:old#1", "random", "random"});
  // The random designer saw the warm start as running: the same points as
  // plain random search's second and third.
  RandomDesigner plain(space, 3);
  History one;
  one.Add(good, TrialState::kActive);
  one.UpdateDesigner(plain);
  CHECK(plain.Suggest(2) == std::vector<Assignment>{got[1], got[2]});

  // Once the history holds it (any state), it is not suggested again.
  history.Add(good, TrialState::kFailed);
  history.trials().back().origin = "warm_start:old#1";
  history.UpdateDesigner(**designer);
  got = (*designer)->Suggest(1);
  CHECK(got.front() != good);
  CHECK((*designer)->origins().front() == "random");
  // A designer rebuilt from the same history suggests the same.
  auto rebuilt = MakeDesigner(options, space, {Objective{"loss", Goal::kMinimize}});
  history.UpdateDesigner(**rebuilt);
  CHECK((*rebuilt)->Suggest(1) == got);
}

TEST_CASE("Hyperband starts its first configurations from the earlier bests") {
  SearchSpace space = Space();
  space.parameters.push_back(Integer("epochs", 1, 9));
  const Assignment good = {{"lr", 0.01},
                           {"layers", int64_t{2}},
                           {"units", 64.0},
                           {"optimizer", std::string("adam")},
                           {"epochs", int64_t{9}}};
  DesignerOptions options;
  options.algorithm = "hyperband";
  options.hyperband.resource = "epochs";
  options.warm_start = {Prior("old", {{good, 1.0}})};
  auto designer = MakeDesigner(options, space, {Objective{"loss", Goal::kMinimize}});
  REQUIRE(designer.ok());
  History history;
  history.UpdateDesigner(**designer);
  const std::vector<Assignment> got = (*designer)->Suggest(2);
  REQUIRE(got.size() == 2);
  Assignment first = got[0];
  CHECK(std::get<int64_t>(first.at("epochs")) == 1);  // the bottom rung
  first.erase("epochs");
  Assignment expected = good;
  expected.erase("epochs");
  CHECK(first == expected);
  CHECK((*designer)->origins() == std::vector<std::string>{"warm_start:old#1", "hyperband"});
}

TEST_CASE("Grid and PBT refuse a warm start") {
  DesignerOptions options;
  options.warm_start = {PriorStudy{"old", {}}};
  for (const char* name : {"grid", "pbt"}) {
    options.algorithm = name;
    auto designer = MakeDesigner(options, Space(), {Objective{"loss", Goal::kMinimize}});
    CHECK(designer.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace tuner
