#include "tuner/service/dashboard_analysis.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>

namespace tuner {
namespace {

SearchSpace Space() {
  SearchSpace space;
  ParameterSpec lr{
      .name = "lr", .type = ParameterType::kDouble, .min = 1e-4, .max = 1, .scale = Scale::kLog};
  ParameterSpec noise{.name = "noise", .type = ParameterType::kDouble, .min = 0, .max = 1};
  ParameterSpec opt{.name = "opt", .type = ParameterType::kCategorical};
  opt.values = {std::string("adam"), std::string("sgd")};
  ParameterSpec momentum{.name = "momentum", .type = ParameterType::kDouble, .min = 0, .max = 1};
  momentum.when = Condition{"opt", {std::string("sgd")}};
  space.parameters = {lr, noise, opt, momentum};
  return space;
}

Trial Make(int64_t id, double lr, double noise, const std::string& opt, double y,
           TrialState state = TrialState::kCompleted) {
  Trial t;
  t.id = id;
  t.state = state;
  t.parameters = {{"lr", lr}, {"noise", noise}, {"opt", opt}};
  if (opt == "sgd") t.parameters["momentum"] = 0.5;
  if (state == TrialState::kCompleted || state == TrialState::kStopped) {
    t.final_measurement = Measurement{.step = 1, .metrics = {{"acc", y}}};
  }
  t.create_time = 100;
  t.end_time = 100 + id;
  return t;
}

std::vector<const Trial*> Ptrs(const std::vector<Trial>& trials) {
  std::vector<const Trial*> out;
  for (const Trial& t : trials) out.push_back(&t);
  return out;
}

TEST_CASE("importance finds the parameter the objective depends on", "[dashboard_analysis]") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Trial> trials;
  for (int i = 0; i < 200; ++i) {
    const double lr = std::pow(10, -4 + 4 * u(rng));
    const double noise = u(rng);
    // acc depends on log10(lr) only, plus a little jitter.
    const double y = -std::pow(std::log10(lr) + 2, 2) + 0.05 * u(rng);
    trials.push_back(Make(i + 1, lr, noise, i % 2 ? "adam" : "sgd", y));
  }
  auto imps = ParameterImportances(Space(), Ptrs(trials), "acc");
  REQUIRE(imps.size() == 4);
  CHECK(imps[0].parameter == "lr");
  CHECK(imps[0].variance_explained > 0.8);
  CHECK(imps[0].groups == 10);
  CHECK(imps[1].variance_explained < 0.05);
  CHECK(imps[2].variance_explained < 0.05);
  CHECK(imps[2].groups == 2);
  CHECK(imps[3].groups == 2);  // momentum: one value, or inactive
  double sum = 0;
  for (const auto& p : imps) sum += p.importance;
  CHECK(sum == Approx(1.0));
  CHECK(imps[0].importance > 0.9);
}

TEST_CASE("importance intervals: narrow with many trials, wide with few, reproducible",
          "[dashboard_analysis]") {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  auto make = [&](int n, double signal) {
    std::vector<Trial> trials;
    for (int i = 0; i < n; ++i) {
      const double lr = std::pow(10, -4 + 4 * u(rng));
      const double y = -signal * std::pow(std::log10(lr) + 2, 2) + u(rng);
      trials.push_back(Make(i + 1, lr, u(rng), i % 2 ? "adam" : "sgd", y));
    }
    return trials;
  };
  const std::vector<Trial> many = make(300, 1.0);
  auto imps = ParameterImportances(Space(), Ptrs(many), "acc");
  CHECK(imps[0].importance_low > 0.7);
  CHECK(imps[0].importance_high - imps[0].importance_low < 0.25);
  for (const auto& p : imps) CHECK(p.importance_low <= p.importance_high);

  // Pure noise from 12 trials: some share could be anything.
  const std::vector<Trial> few = make(12, 0.0);
  auto noisy = ParameterImportances(Space(), Ptrs(few), "acc");
  double widest = 0;
  for (const auto& p : noisy) widest = std::max(widest, p.importance_high - p.importance_low);
  CHECK(widest > 0.4);
  // A fixed seed: the same trials give the same intervals.
  auto again = ParameterImportances(Space(), Ptrs(few), "acc");
  for (size_t j = 0; j < noisy.size(); ++j) {
    CHECK(again[j].importance_low == noisy[j].importance_low);
    CHECK(again[j].importance_high == noisy[j].importance_high);
  }
}

TEST_CASE("importance of a categorical effect; degenerate inputs give zeros",
          "[dashboard_analysis]") {
  std::vector<Trial> trials;
  for (int i = 0; i < 40; ++i) {
    const bool sgd = i % 2;
    trials.push_back(Make(i + 1, 0.01 + i * 1e-4, (i * 7 % 40) / 40.0, sgd ? "sgd" : "adam",
                          (sgd ? 1.0 : 0.0) + 0.001 * (i % 3)));
  }
  auto imps = ParameterImportances(Space(), Ptrs(trials), "acc");
  CHECK(imps[2].parameter == "opt");
  CHECK(imps[2].variance_explained > 0.95);
  // momentum is active exactly for sgd: the same split.
  CHECK(imps[3].variance_explained > 0.95);

  // Stopped trials and other metrics are not used.
  std::vector<Trial> few = {Make(1, 0.1, 0.1, "adam", 1), Make(2, 0.2, 0.2, "sgd", 2),
                            Make(3, 0.3, 0.3, "sgd", 3, TrialState::kStopped)};
  for (const auto& p : ParameterImportances(Space(), Ptrs(few), "acc")) {
    CHECK(p.importance == 0);
    CHECK(p.variance_explained == 0);
    CHECK(p.importance_high == 0);
  }
  std::vector<Trial> flat;
  for (int i = 0; i < 10; ++i) flat.push_back(Make(i + 1, 0.001 * (i + 1), 0.1 * i, "adam", 0.5));
  for (const auto& p : ParameterImportances(Space(), Ptrs(flat), "acc")) CHECK(p.importance == 0);
  for (const auto& p : ParameterImportances(Space(), Ptrs(trials), "nope"))
    CHECK(p.importance == 0);
}

struct TableFixture {
  std::vector<Trial> trials;
  TableFixture() {
    trials.push_back(Make(1, 0.001, 0.5, "adam", 0.7));
    trials.push_back(Make(2, 0.01, 0.25, "sgd", 0.9));
    trials.push_back(Make(3, 0.1, 0.75, "adam", 0.8));
    trials.push_back(Make(4, 0.05, 0.1, "sgd", 0, TrialState::kFailed));
    trials.back().reason = "trainer exited with code 3";
    trials.push_back(Make(5, 0.003, 0.9, "adam", 0.6, TrialState::kStopped));
  }
  std::vector<int64_t> Ids(const TrialQuery& q) {
    auto page = QueryTrials(Ptrs(trials), {"lr", "noise", "opt", "momentum"}, {"acc"}, q);
    REQUIRE(page.ok());
    std::vector<int64_t> ids;
    for (const Trial* t : page->trials) ids.push_back(t->id);
    return ids;
  }
  absl::Status Error(const TrialQuery& q) {
    return QueryTrials(Ptrs(trials), {"lr", "noise", "opt", "momentum"}, {"acc"}, q).status();
  }
};

TEST_CASE("trials table: sorting puts missing values last", "[dashboard_analysis]") {
  TableFixture f;
  CHECK(f.Ids({}) == std::vector<int64_t>{1, 2, 3, 4, 5});
  CHECK(f.Ids({.sort = "acc", .descending = true}) == std::vector<int64_t>{2, 3, 1, 5, 4});
  CHECK(f.Ids({.sort = "metrics.acc"}) == std::vector<int64_t>{5, 1, 3, 2, 4});
  CHECK(f.Ids({.sort = "params.momentum"}) == std::vector<int64_t>{2, 4, 1, 3, 5});
  CHECK(f.Ids({.sort = "opt"}) == std::vector<int64_t>{1, 3, 5, 2, 4});
  CHECK(f.Ids({.sort = "state"}) == std::vector<int64_t>{1, 2, 3, 4, 5});
  CHECK(f.Ids({.sort = "duration", .descending = true}) == std::vector<int64_t>{5, 4, 3, 2, 1});
  CHECK(f.Ids({.offset = 1, .limit = 2, .sort = "lr"}) == std::vector<int64_t>{5, 2});
  auto page = QueryTrials(Ptrs(f.trials), {"lr"}, {"acc"}, {.offset = 4, .limit = 10});
  REQUIRE(page.ok());
  CHECK(page->total == 5);
  CHECK(page->matched == 5);
  CHECK(page->trials.size() == 1);
}

TEST_CASE("trials table: filters", "[dashboard_analysis]") {
  TableFixture f;
  CHECK(f.Ids({.filter = "opt=sgd"}) == std::vector<int64_t>{2, 4});
  CHECK(f.Ids({.filter = "opt=SGD"}) == std::vector<int64_t>{2, 4});
  CHECK(f.Ids({.filter = "lr<0.01"}) == std::vector<int64_t>{1, 5});
  CHECK(f.Ids({.filter = "lr<=0.01, acc>=0.7"}) == std::vector<int64_t>{1, 2});
  CHECK(f.Ids({.filter = "acc>0.65 opt!=adam"}) == std::vector<int64_t>{2});
  CHECK(f.Ids({.filter = "momentum>0"}) == std::vector<int64_t>{2, 4});
  CHECK(f.Ids({.filter = "state=failed"}) == std::vector<int64_t>{4});
  CHECK(f.Ids({.filter = "id>=4"}) == std::vector<int64_t>{4, 5});
  CHECK(f.Ids({.filter = "exited"}) == std::vector<int64_t>{4});  // a bare word
  CHECK(f.Ids({.filter = "  "}) == std::vector<int64_t>{1, 2, 3, 4, 5});
  CHECK(f.Ids({.states = {TrialState::kCompleted, TrialState::kStopped}}) ==
        std::vector<int64_t>{1, 2, 3, 5});
  CHECK(f.Ids({.states = {TrialState::kCompleted}, .filter = "opt=adam"}) ==
        std::vector<int64_t>{1, 3});
}

TEST_CASE("trials table: errors name the bad part", "[dashboard_analysis]") {
  TableFixture f;
  auto bad_field = f.Error({.filter = "lr<0.1 speed>3"});
  CHECK(bad_field.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(bad_field.message()).find("speed") != std::string::npos);
  CHECK(f.Error({.filter = "lr<"}).code() == absl::StatusCode::kInvalidArgument);
  CHECK(f.Error({.filter = "=3"}).code() == absl::StatusCode::kInvalidArgument);
  auto bad_sort = f.Error({.sort = "nope"});
  CHECK(std::string(bad_sort.message()).find("sort") != std::string::npos);
  CHECK(f.Error({.limit = 0}).code() == absl::StatusCode::kInvalidArgument);
  CHECK(f.Error({.limit = 1001}).code() == absl::StatusCode::kInvalidArgument);
  CHECK(f.Error({.offset = -1}).code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseTrialState("stopped") == TrialState::kStopped);
  CHECK(ParseTrialState("STOP") == std::nullopt);
}

}  // namespace
}  // namespace tuner
