// Population-Based Training: the rule's exploit decisions, the designer's
// initial population, replacements with their lineage, explore, and the
// schedule of a member.
#include "algorithms/pbt.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

namespace tuner {
namespace {

SearchSpace Space() {
  SearchSpace space;
  space.parameters.push_back(
      {.name = "lr", .type = ParameterType::kDouble, .min = 1e-4, .max = 1, .scale = Scale::kLog});
  space.parameters.push_back(
      {.name = "layers", .type = ParameterType::kInteger, .min = 1, .max = 5});
  ParameterSpec batch{.name = "batch", .type = ParameterType::kDiscrete};
  batch.values = {int64_t{16}, int64_t{32}, int64_t{64}};
  space.parameters.push_back(batch);
  ParameterSpec opt{.name = "opt", .type = ParameterType::kCategorical};
  opt.values = {std::string("adam"), std::string("sgd")};
  space.parameters.push_back(opt);
  return space;
}

TEST_CASE("pbt rule: the bottom quantile stops every interval of its own steps", "[pbt]") {
  PbtStoppingRule rule(Goal::kMaximize, "acc", /*interval=*/4, /*quantile=*/0.25);
  // Four members; member 4 is the worst.
  for (int64_t step = 1; step <= 3; ++step) {
    for (int64_t id = 1; id <= 4; ++id) CHECK_FALSE(rule.Observe(id, step, 0.1 * id).stop);
  }
  CHECK_FALSE(rule.Observe(4, 4, 0.4).stop);     // 1 (0.1) is the worst
  CHECK_FALSE(rule.Observe(1, 4, 0.9).stop);     // now the best
  StoppingDecision d = rule.Observe(2, 4, 0.2);  // now the worst, at its interval
  REQUIRE(d.stop);
  CHECK(d.reason ==
        "acc 0.2 at step 4 ranks 4 of 4 running members (bottom 25%; the top ones are at 0.9 or "
        "better): a copy of a top member continues in its place");
  CHECK_FALSE(rule.Observe(3, 4, 0.3).stop);  // 2 is still the worst
  // Between intervals nothing stops.
  CHECK_FALSE(rule.Observe(3, 5, 0.0).stop);
  // A finished member no longer counts: with 3 running (fewer than
  // 1 / quantile) nobody stops.
  rule.Finish(2, TrialState::kStopped);
  CHECK_FALSE(rule.Observe(3, 8, 0.0).stop);
  // A copy (its first report at step 9) is judged after 4 steps of its own.
  CHECK_FALSE(rule.Observe(5, 9, 0.0).stop);
  CHECK_FALSE(rule.Observe(5, 11, 0.0).stop);
  CHECK(rule.Observe(5, 12, 0.0).stop);  // 4 running again, 5 the worst
}

TEST_CASE("pbt rule: minimise, ties at the top do not stop", "[pbt]") {
  PbtStoppingRule rule(Goal::kMinimize, "loss", 1, 0.5);
  CHECK_FALSE(rule.Observe(1, 1, 1.0).stop);
  StoppingDecision d = rule.Observe(2, 1, 3.0);  // 2 members: the bottom 1 is 2
  REQUIRE(d.stop);
  CHECK(d.reason.find("loss 3 at step 1 ranks 2 of 2") == 0);
  CHECK(d.reason.find("at 1 or better") != std::string::npos);
  PbtStoppingRule tied(Goal::kMaximize, "acc", 1, 0.5);
  CHECK_FALSE(tied.Observe(1, 1, 0.5).stop);
  CHECK_FALSE(tied.Observe(2, 1, 0.5).stop);  // as good as the top: continues
}

Trial Member(int64_t id, TrialState state, double lr, const std::vector<double>& accs,
             const std::string& reason = "", int64_t parent = 0) {
  Trial t;
  t.id = id;
  t.state = state;
  t.parameters = {
      {"lr", lr}, {"layers", int64_t{3}}, {"batch", int64_t{32}}, {"opt", std::string("adam")}};
  for (size_t i = 0; i < accs.size(); ++i) {
    t.measurements.push_back({.step = static_cast<int64_t>(i + 1), .metrics = {{"acc", accs[i]}}});
  }
  t.reason = reason;
  t.parent_trial = parent;
  return t;
}

std::vector<const Trial*> Ptrs(const std::vector<Trial>& trials, bool finished) {
  std::vector<const Trial*> out;
  for (const Trial& t : trials) {
    if (IsFinal(t.state) == finished) out.push_back(&t);
  }
  return out;
}

TEST_CASE("pbt designer: the population, then one copy of a top member per exploit", "[pbt]") {
  PbtOptions options{.population = 4, .interval = 2, .quantile = 0.25};
  PbtDesigner designer(Space(), {"acc", Goal::kMaximize}, 7, options);
  designer.Update({}, {});
  std::vector<Assignment> first = designer.Suggest(10);
  REQUIRE(first.size() == 4);  // the population, nothing more
  CHECK(designer.origins() == std::vector<std::string>(4, "random"));
  REQUIRE(designer.lineage().size() == 4);
  CHECK(designer.lineage()[0].parent_trial == 0);
  for (const Assignment& a : first) CHECK(Space().Validate(a).ok());

  std::vector<Trial> trials = {
      Member(1, TrialState::kActive, 0.01, {0.5, 0.9}),
      Member(2, TrialState::kActive, 0.02, {0.4, 0.6}),
      Member(3, TrialState::kActive, 0.03, {0.3, 0.5}),
      Member(4, TrialState::kStopped, 0.04, {0.1, 0.2}, std::string(kPbtExploitReason) + "worst")};
  designer.Update(Ptrs(trials, true), Ptrs(trials, false));
  std::vector<Assignment> next = designer.Suggest(3);
  REQUIRE(next.size() == 1);  // one exploited member to replace
  CHECK(designer.origins() == std::vector<std::string>{"pbt"});
  // The top quantile of 3 running members is trial 1 alone, at step 2.
  CHECK(designer.lineage()[0].parent_trial == 1);
  CHECK(designer.lineage()[0].parent_step == 2);
  CHECK(Space().Validate(next[0]).ok());
  // Same history, same replacement.
  designer.Update(Ptrs(trials, true), Ptrs(trials, false));
  CHECK(designer.Suggest(1) == next);

  // Once the replacement exists, nothing is left to do.
  trials.push_back(Member(5, TrialState::kActive, 0.012, {}, "", 1));
  designer.Update(Ptrs(trials, true), Ptrs(trials, false));
  CHECK(designer.Suggest(3).empty());
  // With nobody running there is nobody to copy.
  std::vector<Trial> done = {
      Member(1, TrialState::kCompleted, 0.01, {0.9}),
      Member(2, TrialState::kStopped, 0.02, {0.1}, std::string(kPbtExploitReason) + "x"),
      Member(3, TrialState::kCompleted, 0.01, {0.9}),
      Member(4, TrialState::kCompleted, 0.01, {0.9})};
  designer.Update(Ptrs(done, true), Ptrs(done, false));
  CHECK(designer.Suggest(1).empty());
}

TEST_CASE("pbt designer: members exploited out of id order get distinct replacements", "[pbt]") {
  // Every parameter drawn afresh: a replacement depends on its stream alone.
  PbtOptions options{.population = 4, .resample_probability = 1.0};
  PbtDesigner designer(Space(), {"acc", Goal::kMaximize}, 5, options);
  const std::string exploit = std::string(kPbtExploitReason) + "x";
  std::vector<Trial> trials = {Member(1, TrialState::kActive, 0.01, {0.9}),
                               Member(2, TrialState::kActive, 0.02, {0.8}),
                               Member(3, TrialState::kStopped, 0.03, {0.1}, exploit),
                               Member(4, TrialState::kActive, 0.04, {0.5})};
  designer.Update(Ptrs(trials, true), Ptrs(trials, false));
  const std::vector<Assignment> first = designer.Suggest(1);  // replaces 3
  REQUIRE(first.size() == 1);
  trials.push_back(Member(5, TrialState::kActive, 0.05, {}, "", 1));
  trials.back().parameters = first[0];
  // Now 2, with a lower id than 3, is exploited.
  trials[1].state = TrialState::kStopped;
  trials[1].reason = exploit;
  designer.Update(Ptrs(trials, true), Ptrs(trials, false));
  const std::vector<Assignment> second = designer.Suggest(1);
  REQUIRE(second.size() == 1);
  CHECK(second[0] != first[0]);
}

TEST_CASE("pbt explore: perturb by the factors, step integers and discrete values", "[pbt]") {
  PbtOptions options{.resample_probability = 0.0, .perturb_low = 0.8, .perturb_high = 1.2};
  PbtDesigner designer(Space(), {"acc", Goal::kMaximize}, 3, options);
  const Assignment parent = {
      {"lr", 0.01}, {"layers", int64_t{3}}, {"batch", int64_t{32}}, {"opt", std::string("adam")}};
  int up = 0, down = 0;
  for (uint64_t stream = 0; stream < 200; ++stream) {
    Assignment a = designer.Explore(parent, stream);
    REQUIRE(Space().Validate(a).ok());
    const double lr = std::get<double>(a["lr"]);
    CHECK((lr == Approx(0.008) || lr == Approx(0.012)));
    (lr > 0.01 ? up : down) += 1;
    const int64_t layers = std::get<int64_t>(a["layers"]);
    CHECK((layers == 2 || layers == 4));
    const int64_t batch = std::get<int64_t>(a["batch"]);
    CHECK((batch == 16 || batch == 64));
  }
  CHECK(up > 60);
  CHECK(down > 60);
  // Clipped to the range.
  const Assignment edge = {
      {"lr", 1.0}, {"layers", int64_t{5}}, {"batch", int64_t{64}}, {"opt", std::string("sgd")}};
  for (uint64_t stream = 0; stream < 50; ++stream) {
    Assignment a = designer.Explore(edge, stream);
    CHECK(std::get<double>(a["lr"]) <= 1.0);
    CHECK(std::get<int64_t>(a["layers"]) <= 5);
  }
  // resample_probability 1: every value drawn afresh from the prior.
  PbtDesigner resampling(Space(), {"acc", Goal::kMaximize}, 3, {.resample_probability = 1.0});
  int far = 0;
  for (uint64_t stream = 0; stream < 50; ++stream) {
    const double lr = std::get<double>(resampling.Explore(parent, stream)["lr"]);
    far += lr < 0.005 || lr > 0.02;
  }
  CHECK(far > 25);
}

TEST_CASE("pbt schedule: the ancestors' parameters from the step each took over", "[pbt]") {
  std::vector<Trial> trials = {Member(1, TrialState::kStopped, 0.01, {0.1}),
                               Member(2, TrialState::kStopped, 0.02, {0.2}),
                               Member(3, TrialState::kCompleted, 0.03, {0.3}, "", 1),
                               Member(4, TrialState::kCompleted, 0.04, {0.4}, "", 3)};
  trials[2].parent_step = 8;
  trials[3].parent_step = 16;
  std::vector<const Trial*> ptrs;
  for (const Trial& t : trials) ptrs.push_back(&t);
  std::vector<ScheduleEntry> s = PbtSchedule(ptrs, 4);
  REQUIRE(s.size() == 3);
  CHECK(s[0].trial == 1);
  CHECK(s[0].from_step == 0);
  CHECK(s[1].trial == 3);
  CHECK(s[1].from_step == 8);
  CHECK(s[2].trial == 4);
  CHECK(s[2].from_step == 16);
  CHECK(std::get<double>(s[2].parameters.at("lr")) == 0.04);
  CHECK(PbtSchedule(ptrs, 2).size() == 1);
  CHECK(PbtSchedule(ptrs, 9).empty());
}

}  // namespace
}  // namespace tuner
