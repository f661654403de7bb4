// StudyPolicy without a store: leases, stop requests, the stopping rule's
// reasons and the parameters due again, decided from plain trials.
#include "tuner/service/study_policy.h"

#include <catch2/catch.hpp>

#include "study/study_json.h"

namespace tuner {
namespace {

StudySpec Spec(const std::string& early_stopping) {
  auto spec = ParseStudyOrError(R"({"name": "p", "objective": {"metric": "acc", "goal": "maximize"},
    "algorithm": {"name": "random", "seed": 1}, "max_trials": 3,
    "early_stopping": )" + early_stopping +
                                R"(,
    "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})");
  REQUIRE(spec.ok());
  return *spec;
}

TEST_CASE("Leases run out on the injected clock; stop requests are answered", "[study_policy]") {
  auto now = std::chrono::steady_clock::time_point{};
  auto policy = StudyPolicy::Create(Spec(R"({"rule": "none"})"), false, {},
                                    {.lease_seconds = 10, .clock = [&] { return now; }});
  REQUIRE(policy.ok());
  StudyPolicy& p = **policy;
  p.Started(1);
  p.Started(2);
  CHECK(p.Running() == std::vector<int64_t>{1, 2});
  now += std::chrono::seconds(6);
  CHECK(p.Renew(1)->stop == false);
  now += std::chrono::seconds(6);
  CHECK(p.ExpiredLeases() == std::vector<int64_t>{2});  // 1 was renewed
  p.MarkStopping(1, "enough");
  CHECK(p.RunningNotStopping() == std::vector<int64_t>{2});
  CHECK(p.Renew(1)->reason == "enough");
  p.Finished(1, TrialState::kStopped);
  CHECK_FALSE(p.Renew(1).has_value());
  CHECK_FALSE(p.has_rule());
}

TEST_CASE("The rule's stop comes with its reason; replayed trials count", "[study_policy]") {
  // A threshold rule stops a trial whose best value is below 0.5.
  const StudySpec spec = Spec(R"({"rule": "threshold", "threshold": 0.5})");
  Trial running;
  running.id = 4;
  running.measurements = {{.step = 1, .metrics = {{"acc", 0.9}}}};
  auto policy = StudyPolicy::Create(spec, false, {running}, {});
  REQUIRE(policy.ok());
  StudyPolicy& p = **policy;
  CHECK(p.IsRunning(4));  // a running trial of the history
  CHECK_FALSE(p.Observe(4, {.step = 2, .metrics = {{"loss", 0.1}}}).has_value());  // no objective
  CHECK_FALSE(p.Observe(4, {.step = 2, .metrics = {{"acc", 0.9}}}).has_value());
  p.Started(5);
  auto reason = p.Observe(5, {.step = 1, .metrics = {{"acc", 0.1}}});
  REQUIRE(reason.has_value());
  CHECK_THAT(*reason, Catch::StartsWith("early stopping (threshold): "));
}

TEST_CASE("STALE parameters come first; a stopped study is done", "[study_policy]") {
  auto policy = StudyPolicy::Create(Spec(R"({"rule": "none"})"), false, {}, {});
  REQUIRE(policy.ok());
  StudyPolicy& p = **policy;
  std::vector<Trial> trials(2);
  trials[0].id = 1;
  trials[0].state = TrialState::kStale;
  trials[0].parameters = {{"x", 0.25}};
  trials[1].id = 2;  // another trial (say a user's): it is not retried
  trials[1].state = TrialState::kCompleted;
  trials[1].parameters = {{"x", 0.75}};
  REQUIRE(p.history()
              .Refresh([&](const TrialFilter& f) -> absl::StatusOr<std::vector<Trial>> {
                std::vector<Trial> out;
                for (const Trial& t : trials) {
                  if (t.id > f.after_id) out.push_back(t);
                }
                if (!f.states.empty()) out.clear();  // nothing is open
                return out;
              })
              .ok());
  const std::vector<StudyPolicy::Proposal> next = p.NextAssignments(2);
  REQUIRE(next.size() == 2);
  CHECK(next[0].parameters == Assignment{{"x", 0.25}});  // retried first
  CHECK(next[0].origin == "retry");
  CHECK(next[0].retry_of == 1);
  CHECK(next[1].parameters != next[0].parameters);
  CHECK(next[1].origin == "random");
  CHECK(next[1].retry_of == 0);
  CHECK_FALSE(p.Done());
  p.set_stopped(true);
  CHECK(p.Done());
}

}  // namespace
}  // namespace tuner
