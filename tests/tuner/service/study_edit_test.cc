// Editing a study in the service: running a changed spec applies a safe edit
// as the next spec version and rebuilds the study's designer (it then
// suggests in the widened space, and sees old trials with the default of an
// added parameter); a refused edit changes nothing.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "storage/sqlite_store.h"
#include "tuner/service/study_service.h"

namespace tuner {
namespace {

std::string Spec(const std::string& algorithm, const std::string& parameters) {
  return R"({"name": "edit", "objective": {"metric": "acc", "goal": "maximize"},
             "algorithm": {"name": ")" +
         algorithm + R"(", "seed": 5}, "max_trials": 20, "parameters": )" + parameters + "}";
}

struct Fixture {
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service{store.get()};

  // Runs `n` trials to completion; returns their parameters.
  std::vector<Assignment> Run(int n) {
    std::vector<Assignment> out;
    for (int i = 0; i < n; ++i) {
      auto s = service.SuggestTrials("edit", 1, "c");
      REQUIRE(s.ok());
      REQUIRE(s->trials.size() == 1);
      const Trial& t = s->trials[0];
      REQUIRE(
          service.CompleteTrial("edit", t.id, TrialOutcome::Completed({.metrics = {{"acc", 0.5}}}))
              .ok());
      out.push_back(t.parameters);
    }
    return out;
  }
};

TEST_CASE("An edit widening a range and adding a parameter is applied as version 2",
          "[study_edit]") {
  Fixture f;
  const std::string before =
      Spec("random", R"([{"name": "x", "type": "double", "min": 0, "max": 1}])");
  REQUIRE(f.service.CreateStudy(before).ok());
  for (const Assignment& a : f.Run(3)) CHECK(a.size() == 1);

  const std::string after = Spec("random", R"([
      {"name": "x", "type": "double", "min": 0, "max": 10},
      {"name": "y", "type": "integer", "min": 1, "max": 3, "default": 2}])");
  auto edited = f.service.CreateStudy(after, /*resume=*/true);
  REQUIRE(edited.ok());
  REQUIRE(edited->spec->space.Find("y") != nullptr);
  const auto versions = nlohmann::json::parse(edited->spec_versions_json);
  REQUIRE(versions.size() == 1);
  CHECK(versions[0]["version"] == 2);
  CHECK(versions[0]["time"].get<double>() > 0);
  CHECK(versions[0]["changes"] ==
        nlohmann::json{"parameters.x: range widened from [0, 1] to [0, 10]",
                       "parameters.y: added (default 2)"});
  CHECK(f.service.GetStudy("edit")->spec_versions_json == edited->spec_versions_json);

  // The running service's designer suggests in the new space.
  bool wider = false;
  for (const Assignment& a : f.Run(10)) {
    REQUIRE(a.count("y") == 1);
    CHECK(edited->spec->space.Validate(a).ok());
    wider = wider || std::get<double>(a.at("x")) > 1;
  }
  CHECK(wider);

  // The same spec again: no new version.
  auto again = f.service.CreateStudy(after, /*resume=*/true);
  REQUIRE(again.ok());
  CHECK(nlohmann::json::parse(again->spec_versions_json).size() == 1);
}

TEST_CASE("After an edit the designer sees old trials with the added parameter's default",
          "[study_edit]") {
  Fixture f;
  REQUIRE(f.service
              .CreateStudy(Spec("grid", R"([{"name": "x", "type": "discrete", "values": [1, 2]}])"))
              .ok());
  f.Run(2);  // the whole grid: x = 1, 2
  auto edited =
      f.service.CreateStudy(Spec("grid", R"([{"name": "x", "type": "discrete", "values": [1, 2, 3]},
                       {"name": "opt", "type": "categorical", "values": ["a", "b"],
                        "default": "a"}])"),
                            /*resume=*/true);
  REQUIRE(edited.ok());
  // The old trials are (1, a) and (2, a): the grid has four combinations left.
  std::set<std::string> seen;
  for (const Assignment& a : f.Run(4)) {
    seen.insert(FormatValue(a.at("x")) + "," + FormatValue(a.at("opt")));
  }
  CHECK(seen == std::set<std::string>{"3,a", "1,b", "2,b", "3,b"});
  auto done = f.service.SuggestTrials("edit", 1, "c");
  REQUIRE(done.ok());
  CHECK(done->trials.empty());
}

TEST_CASE("A refused edit lists its changes and leaves the study alone", "[study_edit]") {
  Fixture f;
  const std::string before =
      Spec("random", R"([{"name": "x", "type": "double", "min": 0, "max": 1}])");
  REQUIRE(f.service.CreateStudy(before).ok());
  f.Run(1);
  auto refused = f.service.CreateStudy(
      Spec("random", R"([{"name": "x", "type": "double", "min": 0, "max": 0.5},
                         {"name": "z", "type": "double", "min": 0, "max": 1}])"),
      /*resume=*/true);
  REQUIRE(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  const std::string message(refused.status().message());
  CHECK(message.find("parameters.x: range narrowed from [0, 1] to [0, 0.5]") != std::string::npos);
  CHECK(message.find("parameters.z: added without a default") != std::string::npos);
  CHECK(message.find("new study name") != std::string::npos);
  auto study = f.service.GetStudy("edit");
  REQUIRE(study.ok());
  CHECK(study->spec_versions_json == "[]");
  CHECK(study->spec->space.parameters.size() == 1);
  for (const Assignment& a : f.Run(3)) CHECK(std::get<double>(a.at("x")) <= 1);
}

}  // namespace
}  // namespace tuner
