#include "algorithms/hyperband_designer.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "algorithms/designer_factory.h"
#include "tests/algorithms/test_spaces.h"

namespace tuner {
namespace {

using testing::Categorical;
using testing::Double;
using testing::History;
using testing::Integer;

constexpr char kResource[] = "epochs";

// x in [0, 1], opt in {a, b}, and the resource epochs in [min, max] last, as
// the study parser appends it.
SearchSpace HbSpace(int64_t min = 1, int64_t max = 81) {
  SearchSpace space;
  space.parameters = {Double("x", 0.0, 1.0), Categorical("opt", {"a", "b"}),
                      Integer(kResource, min, max)};
  return space;
}

std::unique_ptr<Designer> MakeHb(const SearchSpace& space, std::vector<Objective> objectives,
                                 uint64_t seed, const std::string& variant,
                                 const std::string& sampler = "random", double eta = 3.0) {
  DesignerOptions options;
  options.algorithm = "hyperband";
  options.seed = seed;
  options.hyperband.resource = kResource;
  options.hyperband.eta = eta;
  options.hyperband.variant = variant;
  options.hyperband.sampler = sampler;
  absl::StatusOr<std::unique_ptr<Designer>> designer = MakeDesigner(options, space, objectives);
  INFO(designer.status().ToString());
  REQUIRE(designer.ok());
  return std::move(designer).value();
}

HyperbandSchedule Schedule(int64_t min, int64_t max, double eta) {
  absl::StatusOr<HyperbandSchedule> schedule = MakeHyperbandSchedule(min, max, eta);
  REQUIRE(schedule.ok());
  return *schedule;
}

int64_t ResourceOf(const Assignment& a) { return std::get<int64_t>(a.at(kResource)); }

Assignment ConfigOf(Assignment a) {
  a.erase(kResource);
  return a;
}

// The fake training run: a known function of the configuration and budget,
// smaller is better; more epochs always help, by the same amount for all.
double Loss(const Assignment& a) {
  const double x = std::get<double>(a.at("x"));
  const double opt = std::get<std::string>(a.at("opt")) == "b" ? 0.05 : 0.0;
  return (x - 0.3) * (x - 0.3) + opt + 1.0 / static_cast<double>(ResourceOf(a));
}

const std::vector<Objective> kMinimizeLoss = {{"loss", Goal::kMinimize}};

void Finish(Trial& trial, const std::string& metric, std::optional<double> value) {
  if (!value) {
    trial.state = TrialState::kFailed;
    return;
  }
  trial.state = TrialState::kCompleted;
  trial.final_measurement = Measurement{};
  trial.final_measurement->metrics[metric] = *value;
}

const std::vector<Trial>& TrialsOf(const History& history) {
  return const_cast<History&>(history).trials();
}

void CheckValid(const SearchSpace& space, const std::vector<Assignment>& got, int64_t min,
                int64_t max) {
  for (const Assignment& a : got) {
    const absl::Status status = space.Validate(a);
    INFO(status.ToString());
    REQUIRE(status.ok());
    CHECK(ResourceOf(a) >= min);
    CHECK(ResourceOf(a) <= max);
  }
}

// A simulated study: `workers` run in parallel; after each round of
// suggestions one running trial (picked by a seeded generator) finishes with
// value(trial) (nullopt: FAILED). Stops suggesting at `budget` trials and
// finishes everything. Records when each trial was created and finished.
struct Run {
  History history;
  std::vector<int> created_at, finished_at;  // by trial index, in events
  std::vector<int> short_rounds;             // sizes of rounds that got fewer than asked
};

Run Simulate(Designer& designer, const SearchSpace& space, int workers, int budget,
             const std::string& metric,
             const std::function<std::optional<double>(const Trial&)>& value,
             uint64_t order_seed = 5) {
  Run run;
  std::mt19937_64 order(order_seed);
  std::vector<size_t> running;
  int event = 0;
  const ParameterSpec* resource = space.Find(kResource);
  REQUIRE(resource != nullptr);
  for (;;) {
    const int room = std::min(workers - static_cast<int>(running.size()),
                              budget - static_cast<int>(run.history.size()));
    if (room > 0) {
      run.history.UpdateDesigner(designer);
      const std::vector<Assignment> got = designer.Suggest(room);
      REQUIRE(got.size() <= static_cast<size_t>(room));
      CheckValid(space, got, static_cast<int64_t>(resource->min),
                 static_cast<int64_t>(resource->max));
      if (got.size() < static_cast<size_t>(room)) {
        run.short_rounds.push_back(static_cast<int>(got.size()));
        REQUIRE((!running.empty() || !got.empty()));  // never stuck
      }
      for (const Assignment& a : got) {
        running.push_back(run.history.size());
        run.history.Add(a, TrialState::kActive);
        run.created_at.push_back(event++);
        run.finished_at.push_back(-1);
      }
    }
    if (running.empty()) break;
    const size_t pick = static_cast<size_t>(order() % running.size());
    const size_t index = running[pick];
    running.erase(running.begin() + static_cast<std::ptrdiff_t>(pick));
    Trial& trial = run.history.trials()[index];
    Finish(trial, metric, value(trial));
    run.finished_at[index] = event++;
  }
  return run;
}

std::optional<double> LossOrFail(const Trial& trial) {
  if (trial.id % 7 == 0) return std::nullopt;  // some trials fail, at every rung
  return Loss(trial.parameters);
}

// Checks a sync run against the schedule: trial by trial, brackets in
// order, rungs in order; each rung's configurations are exactly the best of
// the rung below (failed trials worst, ties to the earlier trial); a rung
// starts only after the rung below has finished.
void CheckSyncRun(const Run& run, const HyperbandSchedule& schedule, int cycles,
                  const std::function<double(const Trial&)>& badness) {
  const std::vector<Trial>& trials = TrialsOf(run.history);
  size_t next = 0;
  for (int64_t k = 0; k < cycles * static_cast<int64_t>(schedule.brackets.size()); ++k) {
    const HyperbandBracket& bracket = schedule.BracketOfInstance(k);
    std::vector<size_t> previous;
    for (size_t i = 0; i < bracket.rungs.size(); ++i) {
      INFO("instance " << k << " rung " << i);
      std::vector<size_t> rung;
      for (int64_t j = 0; j < bracket.rungs[i].size; ++j) {
        REQUIRE(next < trials.size());
        CHECK(ResourceOf(trials[next].parameters) == bracket.rungs[i].resource);
        rung.push_back(next++);
      }
      if (i > 0) {
        std::vector<size_t> ranked = previous;
        std::sort(ranked.begin(), ranked.end(), [&](size_t a, size_t b) {
          const double ba = badness(trials[a]), bb = badness(trials[b]);
          return ba != bb ? ba < bb : a < b;
        });
        std::set<Assignment> expected, got;
        for (size_t r = 0; r < rung.size(); ++r) {
          expected.insert(ConfigOf(trials[ranked[r]].parameters));
          got.insert(ConfigOf(trials[rung[r]].parameters));
        }
        CHECK(got == expected);
        int last_finished = -1;
        for (size_t t : previous) last_finished = std::max(last_finished, run.finished_at[t]);
        for (size_t t : rung) CHECK(run.created_at[t] > last_finished);
      }
      previous = rung;
    }
  }
  CHECK(next == trials.size());
}

double BadnessOfLoss(const Trial& t) {
  if (t.state == TrialState::kFailed) return HUGE_VAL;
  return t.final_measurement->metrics.at("loss");
}

TEST_CASE("sync hyperband runs the schedule and promotes exactly the top ones", "[hyperband]") {
  const SearchSpace space = HbSpace(1, 81);
  const HyperbandSchedule schedule = Schedule(1, 81, 3);
  std::unique_ptr<Designer> designer = MakeHb(space, kMinimizeLoss, 11, "sync");
  const int budget = static_cast<int>(schedule.TrialsPerCycle());  // 206
  const Run run = Simulate(*designer, space, 10, budget, "loss", LossOrFail);
  REQUIRE(run.history.size() == static_cast<size_t>(budget));
  CheckSyncRun(run, schedule, 1, BadnessOfLoss);
  // It waited for rungs to fill (fewer suggestions than asked, some none).
  CHECK_FALSE(run.short_rounds.empty());
  CHECK(std::count(run.short_rounds.begin(), run.short_rounds.end(), 0) > 0);
}

TEST_CASE("sync hyperband with a resource range that is not a power of eta", "[hyperband]") {
  const SearchSpace space = HbSpace(2, 50);
  const HyperbandSchedule schedule = Schedule(2, 50, 2.5);
  std::unique_ptr<Designer> designer = MakeHb(space, kMinimizeLoss, 3, "sync", "random", 2.5);
  const int budget = static_cast<int>(2 * schedule.TrialsPerCycle());  // two cycles
  const Run run = Simulate(*designer, space, 4, budget, "loss", LossOrFail);
  CheckSyncRun(run, schedule, 2, BadnessOfLoss);
}

TEST_CASE("hyperband respects the goal", "[hyperband]") {
  const SearchSpace space = HbSpace(1, 27);
  const HyperbandSchedule schedule = Schedule(1, 27, 3);
  const int budget = static_cast<int>(schedule.TrialsPerCycle());
  auto loss = [](const Trial& t) -> std::optional<double> { return Loss(t.parameters); };
  auto score = [](const Trial& t) -> std::optional<double> { return -Loss(t.parameters); };

  std::unique_ptr<Designer> minimize = MakeHb(space, {{"loss", Goal::kMinimize}}, 2, "sync");
  const Run by_loss = Simulate(*minimize, space, 3, budget, "loss", loss);
  std::unique_ptr<Designer> maximize = MakeHb(space, {{"score", Goal::kMaximize}}, 2, "sync");
  const Run by_score = Simulate(*maximize, space, 3, budget, "score", score);
  REQUIRE(by_loss.history.size() == by_score.history.size());
  for (size_t i = 0; i < by_loss.history.size(); ++i) {
    CHECK(TrialsOf(by_loss.history)[i].parameters == TrialsOf(by_score.history)[i].parameters);
  }
  CheckSyncRun(by_loss, schedule, 1, BadnessOfLoss);

  // Maximising the loss promotes the worst configurations instead.
  std::unique_ptr<Designer> wrong = MakeHb(space, {{"loss", Goal::kMaximize}}, 2, "sync");
  const Run by_worst = Simulate(*wrong, space, 3, budget, "loss", loss);
  CheckSyncRun(by_worst, schedule, 1,
               [](const Trial& t) { return -t.final_measurement->metrics.at("loss"); });
}

TEST_CASE("async hyperband never idles and stays within the schedule", "[hyperband]") {
  const SearchSpace space = HbSpace(1, 81);
  const HyperbandSchedule schedule = Schedule(1, 81, 3);
  std::set<int64_t> resources;
  for (const HyperbandBracket& b : schedule.brackets) {
    for (const HyperbandRung& r : b.rungs) resources.insert(r.resource);
  }
  for (int workers : {1, 8, 40}) {
    INFO("workers " << workers);
    std::unique_ptr<Designer> designer = MakeHb(space, kMinimizeLoss, 21, "async");
    const Run run = Simulate(*designer, space, workers, 500, "loss", LossOrFail,
                             static_cast<uint64_t>(workers));
    CHECK(run.short_rounds.empty());  // always as many suggestions as asked
    REQUIRE(run.history.size() == 500);
    for (const Trial& t : TrialsOf(run.history)) {
      CHECK(resources.count(ResourceOf(t.parameters)) == 1);
    }
    if (workers == 1) {
      // One at a time, each bracket instance finishes before the next opens:
      // the first cycle has exactly the schedule's trials per resource.
      std::map<int64_t, int> expected, got;
      for (const HyperbandBracket& b : schedule.brackets) {
        for (const HyperbandRung& r : b.rungs) expected[r.resource] += static_cast<int>(r.size);
      }
      for (int64_t i = 0; i < schedule.TrialsPerCycle(); ++i) {
        ++got[ResourceOf(TrialsOf(run.history)[static_cast<size_t>(i)].parameters)];
      }
      CHECK(got == expected);
    }
  }
}

TEST_CASE("async hyperband promotes as soon as a rung has enough results", "[hyperband]") {
  // Bracket s = 4 of (1, 81, 3): rung 0 has 81 configurations, rung 1 has
  // 27, so the top floor(c * 27 / 81) = floor(c / 3) of c results move up.
  const SearchSpace space = HbSpace(1, 81);
  std::unique_ptr<Designer> designer = MakeHb(space, kMinimizeLoss, 8, "async");
  History history;
  history.UpdateDesigner(*designer);
  for (const Assignment& a : designer->Suggest(4)) {
    CHECK(ResourceOf(a) == 1);
    history.Add(a, TrialState::kActive);
  }
  auto finish = [&](size_t i, double loss) { Finish(history.trials()[i], "loss", loss); };
  finish(0, 0.5);
  finish(1, 0.2);
  history.UpdateDesigner(*designer);
  std::vector<Assignment> got = designer->Suggest(1);  // 2 results: none promotable
  REQUIRE(got.size() == 1);
  CHECK(ResourceOf(got[0]) == 1);
  history.Add(got[0], TrialState::kActive);

  finish(2, 0.9);  // 3 results: the best (trial 2) moves to 3 epochs
  history.UpdateDesigner(*designer);
  got = designer->Suggest(2);
  REQUIRE(got.size() == 2);
  CHECK(ResourceOf(got[0]) == 3);
  CHECK(ConfigOf(got[0]) == ConfigOf(history.trials()[1].parameters));
  CHECK(ResourceOf(got[1]) == 1);  // then a new configuration: nothing else qualifies
  for (const Assignment& a : got) history.Add(a, TrialState::kActive);

  // Three more results, one of them (trial 4) second best overall: it goes up.
  finish(3, 0.3);
  finish(4, 0.7);
  finish(6, 0.8);
  history.UpdateDesigner(*designer);
  got = designer->Suggest(1);
  REQUIRE(got.size() == 1);
  CHECK(ResourceOf(got[0]) == 3);
  CHECK(ConfigOf(got[0]) == ConfigOf(history.trials()[3].parameters));

  // A failed result is the worst, not a value of 0.
  history.Add(got[0], TrialState::kActive);
  history.UpdateDesigner(*designer);
  got = designer->Suggest(2);
  for (const Assignment& a : got) {
    CHECK(ResourceOf(a) == 1);
    history.Add(a, TrialState::kActive);
  }
  Finish(history.trials()[8], "loss", std::nullopt);
  finish(9, 0.6);
  history.UpdateDesigner(*designer);
  got = designer->Suggest(1);
  REQUIRE(got.size() == 1);
  // Rung 0 results: 0.5, 0.2, 0.9, 0.3, 0.7, 0.8, FAILED, 0.6: c = 8, so
  // floor(8 / 3) = 2 promotions, both made; a new configuration.
  CHECK(ResourceOf(got[0]) == 1);
  history.Add(got[0], TrialState::kActive);
  finish(10, 0.1);  // c = 9: a third promotion, the new best
  history.UpdateDesigner(*designer);
  got = designer->Suggest(1);
  REQUIRE(got.size() == 1);
  CHECK(ResourceOf(got[0]) == 3);
  CHECK(ConfigOf(got[0]) == ConfigOf(history.trials()[10].parameters));
}

// Runs a study part way, then compares the live designer with a fresh one
// given the same history, and Suggest() continued without Update() with a
// fresh designer that sees the first batch as running.
void CheckRestart(const std::string& variant, const std::string& sampler, int budget) {
  const SearchSpace space = HbSpace(1, 27);
  std::unique_ptr<Designer> live = MakeHb(space, kMinimizeLoss, 99, variant, sampler);
  Run run = Simulate(*live, space, 5, budget, "loss", LossOrFail);
  // Make some of them running again, as if the study were interrupted.
  for (size_t i = run.history.size() - 3; i < run.history.size(); ++i) {
    run.history.trials()[i].state = TrialState::kActive;
    run.history.trials()[i].final_measurement.reset();
  }
  run.history.UpdateDesigner(*live);
  const std::vector<Assignment> first = live->Suggest(5);
  const std::vector<Assignment> second = live->Suggest(3);
  CHECK(!first.empty());
  if (variant == "async") CHECK(first.size() == 5);

  std::unique_ptr<Designer> fresh = MakeHb(space, kMinimizeLoss, 99, variant, sampler);
  run.history.UpdateDesigner(*fresh);
  CHECK(fresh->Suggest(5) == first);

  History extended = run.history;
  for (const Assignment& a : first) extended.Add(a, TrialState::kActive);
  std::unique_ptr<Designer> later = MakeHb(space, kMinimizeLoss, 99, variant, sampler);
  extended.UpdateDesigner(*later);
  CHECK(later->Suggest(3) == second);

  // Another seed draws other configurations.
  std::unique_ptr<Designer> other = MakeHb(space, kMinimizeLoss, 100, variant, sampler);
  History empty;
  empty.UpdateDesigner(*other);
  empty.UpdateDesigner(*fresh);
  CHECK(other->Suggest(3) != fresh->Suggest(3));
}

TEST_CASE("hyperband rebuilt from the history suggests the same", "[hyperband]") {
  SECTION("async") { CheckRestart("async", "random", 70); }
  SECTION("sync") { CheckRestart("sync", "random", 50); }
}

TEST_CASE("hyperband with the bayesian sampler (BOHB-like)", "[hyperband]") {
  const std::vector<std::string>& names = AvailableDesigners();
  if (std::find(names.begin(), names.end(), "bayesian") == names.end()) {
    DesignerOptions options;
    options.algorithm = "hyperband";
    options.hyperband.resource = kResource;
    options.hyperband.sampler = "bayesian";
    CHECK_FALSE(MakeDesigner(options, HbSpace(), kMinimizeLoss).ok());
    return;
  }
  const SearchSpace space = HbSpace(1, 9);
  std::unique_ptr<Designer> designer = MakeHb(space, kMinimizeLoss, 4, "async", "bayesian");
  const Run run = Simulate(*designer, space, 3, 45, "loss", LossOrFail);
  CHECK(run.short_rounds.empty());
  CHECK(run.history.size() == 45);
  // Same seed and outcomes with the random sampler: the first configurations
  // agree (random until 4 results exist at one budget), later ones do not.
  std::unique_ptr<Designer> random = MakeHb(space, kMinimizeLoss, 4, "async", "random");
  const Run plain = Simulate(*random, space, 3, 45, "loss", LossOrFail);
  CHECK(TrialsOf(plain.history)[0].parameters == TrialsOf(run.history)[0].parameters);
  CHECK(TrialsOf(plain.history)[2].parameters == TrialsOf(run.history)[2].parameters);
  int differ = 0;
  for (size_t i = 0; i < 45; ++i) {
    differ += TrialsOf(plain.history)[i].parameters != TrialsOf(run.history)[i].parameters;
  }
  CHECK(differ > 10);
  CheckRestart("async", "bayesian", 40);
}

TEST_CASE("hyperband on a conditional space with trials in every state", "[hyperband]") {
  SearchSpace space = testing::MixedSpace();
  space.parameters.push_back(Integer(kResource, 1, 81));
  std::unique_ptr<Designer> designer = MakeHb(space, {}, 20240607, "async");
  History history;
  for (int batch = 0; batch < 12; ++batch) {
    history.UpdateDesigner(*designer);
    const std::vector<Assignment> got = designer->Suggest(6);
    REQUIRE(got.size() == 6);
    CheckValid(space, got, 1, 81);
    std::unique_ptr<Designer> rebuilt = MakeHb(space, {}, 20240607, "async");
    history.UpdateDesigner(*rebuilt);
    CHECK(rebuilt->Suggest(6) == got);
    for (size_t i = 0; i < got.size(); ++i) {
      const TrialState state = i % 3 == 0   ? TrialState::kActive
                               : i % 3 == 1 ? TrialState::kCompleted
                                            : TrialState::kInfeasible;
      history.Add(got[i], state);
    }
  }
}

TEST_CASE("hyperband factory options", "[hyperband]") {
  DesignerOptions options;
  options.algorithm = "hyperband";
  SECTION("no resource: a single full-budget bracket, i.e. the sampler alone") {
    const SearchSpace space = testing::MixedSpace();
    absl::StatusOr<std::unique_ptr<Designer>> designer = MakeDesigner(options, space, {});
    REQUIRE(designer.ok());
    History history;
    history.UpdateDesigner(**designer);
    const std::vector<Assignment> got = (*designer)->Suggest(10);
    REQUIRE(got.size() == 10);
    for (const Assignment& a : got) CHECK(space.Validate(a).ok());
    CHECK(std::set<Assignment>(got.begin(), got.end()).size() == 10);
  }
  SECTION("bad options") {
    options.hyperband.resource = "steps";  // not in the space
    CHECK_FALSE(MakeDesigner(options, HbSpace(), {}).ok());
    SearchSpace doubled = HbSpace();
    doubled.parameters.back().type = ParameterType::kDouble;
    options.hyperband.resource = kResource;
    CHECK_FALSE(MakeDesigner(options, doubled, {}).ok());
    options.hyperband.variant = "eager";
    CHECK_FALSE(MakeDesigner(options, HbSpace(), {}).ok());
    options.hyperband.variant = "sync";
    options.hyperband.eta = 1.0;
    CHECK_FALSE(MakeDesigner(options, HbSpace(), {}).ok());
    options.hyperband.eta = 2.0;
    options.hyperband.sampler = "tpe";
    CHECK_FALSE(MakeDesigner(options, HbSpace(), {}).ok());
    options.hyperband.sampler = "random";
    CHECK(MakeDesigner(options, HbSpace(), {}).ok());
  }
}

}  // namespace
}  // namespace tuner
