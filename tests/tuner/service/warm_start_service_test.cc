// Warm start in the service: a study names earlier studies of the same
// database; its first trial is their best configuration (origin
// "warm_start:<study>#<id>"), a missing study is refused at creation, and a
// study whose earlier study was deleted later still loads.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "storage/sqlite_store.h"
#include "tuner/service/study_service.h"

namespace tuner {
namespace {

std::string Spec(const std::string& name, const std::string& algorithm,
                 const std::string& warm_start = "") {
  return R"({"name": ")" + name + R"(", "objective": {"metric": "loss", "goal": "minimize"},
             "algorithm": {"name": ")" +
         algorithm + R"(", "seed": 5}, "max_trials": 10, )" + warm_start +
         R"("parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})";
}

double X(const Trial& t) { return std::get<double>(t.parameters.at("x")); }

// Runs `n` trials of loss = (x - 0.3)^2; returns the best trial's id and x.
std::pair<int64_t, double> Run(StudyService& service, const std::string& study, int n) {
  std::pair<int64_t, double> best{0, 0.0};
  double best_loss = 1e9;
  for (int i = 0; i < n; ++i) {
    auto s = service.SuggestTrials(study, 1, "c");
    REQUIRE(s.ok());
    REQUIRE(s->trials.size() == 1);
    const Trial& t = s->trials[0];
    const double loss = (X(t) - 0.3) * (X(t) - 0.3);
    REQUIRE(
        service.CompleteTrial(study, t.id, TrialOutcome::Completed({.metrics = {{"loss", loss}}}))
            .ok());
    if (loss < best_loss) {
      best_loss = loss;
      best = {t.id, X(t)};
    }
  }
  return best;
}

TEST_CASE("A warm-started study tries the earlier study's best first", "[warm_start]") {
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service(store.get());
  REQUIRE(service.CreateStudy(Spec("old", "random")).ok());
  const auto [best_id, best_x] = Run(service, "old", 8);

  for (const char* algorithm : {"random", "sobol", "bayesian"}) {
    const std::string name = std::string("new-") + algorithm;
    INFO(name);
    REQUIRE(
        service.CreateStudy(Spec(name, algorithm, R"("warm_start": {"studies": ["old"]},)")).ok());
    auto s = service.SuggestTrials(name, 2, "c");
    REQUIRE(s.ok());
    REQUIRE(s->trials.size() == 2);
    CHECK(X(s->trials[0]) == best_x);
    CHECK(s->trials[0].origin == "warm_start:old#" + std::to_string(best_id));
    CHECK(s->trials[1].origin != s->trials[0].origin);
    CHECK(X(s->trials[1]) != best_x);
  }
}

TEST_CASE("A warm start from a study that does not exist is refused", "[warm_start]") {
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  StudyService service(store.get());
  auto created =
      service.CreateStudy(Spec("new", "bayesian", R"("warm_start": {"studies": ["nope"]},)"));
  REQUIRE_FALSE(created.ok());
  CHECK(created.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(created.status().message()),
             Catch::Contains("warm_start.studies[0]: no study \"nope\" in this database"));
  CHECK(service.GetStudy("new").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("A study whose earlier study was deleted still loads after a restart", "[warm_start]") {
  std::unique_ptr<Store> store = *OpenSqliteStore(":memory:");
  {
    StudyService service(store.get());
    REQUIRE(service.CreateStudy(Spec("old", "random")).ok());
    Run(service, "old", 4);
    REQUIRE(service.CreateStudy(Spec("new", "bayesian", R"("warm_start": {"studies": ["old"]},)"))
                .ok());
    REQUIRE(service.DeleteStudy("old").ok());
  }
  StudyService restarted(store.get());
  auto s = restarted.SuggestTrials("new", 1, "c");
  REQUIRE(s.ok());
  REQUIRE(s->trials.size() == 1);
  CHECK(s->trials[0].origin == "sobol");
  // Running the same file again (CreateStudy with resume) still works: the
  // deleted study is only required when the study is created or edited.
  const std::string same = Spec("new", "bayesian", R"("warm_start": {"studies": ["old"]},)");
  auto again = restarted.CreateStudy(same, /*resume=*/true);
  INFO(again.status().message());
  CHECK(again.ok());
  // An edit needs it, and says so; nothing changes.
  std::string edited = same;
  edited.replace(edited.find("\"max_trials\": 10"), 16, "\"max_trials\": 99");
  auto refused = restarted.CreateStudy(edited, /*resume=*/true);
  CHECK(refused.status().code() == absl::StatusCode::kNotFound);
  CHECK(restarted.GetStudy("new")->spec_versions_json == "[]");
}

}  // namespace
}  // namespace tuner
