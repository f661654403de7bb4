// Property test of the bounds in docs/reliability.md ("Limits"): studies with
// extreme but valid options are parsed, their designer and stopping rule are
// built the way the server builds them, adversarial reports are fed in, and
// what the objects hold (rungs, recorded values, brackets, GP features) stays
// within the documented bound. Deterministic (fixed seeds); no timing. The
// last case measures the heap the objects hold (the allocator's count of bytes
// in use, glibc's or AddressSanitizer's): the part of the RSS a study's
// options could drive, without the allocator's caching that makes RSS itself
// vary from run to run.
#include <cstddef>
#if defined(__SANITIZE_ADDRESS__)
// From the sanitizer runtime (sanitizer/allocator_interface.h, which gcc does
// not ship).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#else
#include <malloc.h>
#endif

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "algorithms/designer_factory.h"
#include "algorithms/gp_designer.h"
#include "algorithms/hyperband_schedule.h"
#include "algorithms/stopping_asha.h"
#include "algorithms/stopping_rule.h"
#include "study/algorithm_options.h"
#include "study/study_json.h"

namespace tuner {
namespace {

std::string Study(const std::string& extra, const std::string& parameters =
                                                R"([{"name": "x", "type": "double",
                                                     "min": 0, "max": 1}])") {
  return R"({"name": "bounds", "objective": {"metric": "loss", "goal": "minimize"},
             "parameters": )" +
         parameters + (extra.empty() ? "" : ", " + extra) + "}";
}

StudySpec ParseOk(const std::string& json) {
  StudyParseResult result = ParseStudy(json);
  std::string faults;
  for (const StudyFault& f : result.faults) faults += f.ToString() + "\n";
  INFO(json << "\n" << faults);
  REQUIRE(result.ok());
  return result.spec;
}

std::string Number(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return buffer;
}

// Steps that cross every rung a rule could have: 0..300 one by one, then
// powers of two up to 2^62, then INT64_MAX.
std::vector<int64_t> AdversarialSteps() {
  std::vector<int64_t> steps;
  for (int64_t s = 0; s <= 300; ++s) steps.push_back(s);
  for (int j = 9; j <= 62; ++j) steps.push_back(int64_t{1} << j);
  steps.push_back(std::numeric_limits<int64_t>::max());
  return steps;
}

TEST_CASE("ASHA: any valid eta and min_resource keep the rungs bounded", "[bounds]") {
  std::mt19937_64 rng(20261130);
  std::vector<double> etas = {1.5, std::nextafter(1.5, 2.0), 1.6, 2, 3, 1e6, 1e300};
  std::uniform_real_distribution<double> log_eta(std::log(1.5), std::log(1e4));
  for (int i = 0; i < 40; ++i) etas.push_back(std::exp(log_eta(rng)));
  std::uniform_int_distribution<int64_t> resource(1, int64_t{1} << 53);
  constexpr int kTrials = 12;
  const std::vector<int64_t> steps = AdversarialSteps();
  for (double eta : etas) {
    for (int64_t min_resource : {int64_t{1}, int64_t{2}, resource(rng), int64_t{1} << 53}) {
      INFO("eta " << Number(eta) << ", min_resource " << min_resource);
      const StudySpec spec = ParseOk(Study(R"("early_stopping": {"rule": "asha", "eta": )" +
                                           Number(eta) + R"(, "min_resource": )" +
                                           std::to_string(min_resource) + R"(, "min_trials": 1})"));
      absl::StatusOr<std::unique_ptr<StoppingRule>> rule =
          MakeStoppingRule(StoppingOptionsFor(spec));
      REQUIRE(rule.ok());
      auto* asha = dynamic_cast<AshaStoppingRule*>(rule->get());
      REQUIRE(asha != nullptr);
      for (int t = 1; t <= kTrials; ++t) {
        for (int64_t step : steps) {
          // Alternating quality, so that some trials are stopped, others not.
          (void)(*rule)->Observe(t, step, (t % 3) + 1.0 / static_cast<double>(step % 97 + 1));
        }
        if (t % 2 == 0) (*rule)->Finish(t, TrialState::kCompleted);
      }
      CHECK(asha->RungCount() <= AshaStoppingRule::kMaxRungs);
      CHECK(asha->RecordedTotal() <= AshaStoppingRule::kMaxRungs * kTrials);
      CHECK(asha->TrackedTrials() <= static_cast<size_t>(kTrials));
      CHECK(std::isinf(asha->RungStep(AshaStoppingRule::kMaxRungs)));
    }
  }
}

TEST_CASE("ASHA: the smallest eta on the reported case stays small", "[bounds]") {
  // The issue's case, at the smallest eta now valid: one trial up to step 200.
  const StudySpec spec =
      ParseOk(Study(R"("early_stopping": {"rule": "asha", "eta": 1.5, "min_trials": 1})"));
  absl::StatusOr<std::unique_ptr<StoppingRule>> rule = MakeStoppingRule(StoppingOptionsFor(spec));
  REQUIRE(rule.ok());
  auto* asha = dynamic_cast<AshaStoppingRule*>(rule->get());
  REQUIRE(asha != nullptr);
  for (int64_t step = 0; step <= 200; ++step) (void)(*rule)->Observe(1, step, 0.5);
  // Rungs at 1, 1.5, 2.25, ..., 1.5^13 ~ 194.6: 14 of them.
  CHECK(asha->RungCount() == 14);
  CHECK(asha->RecordedTotal() == 14);
  // And the eta that took the server to 1.7 GiB is refused by the validator.
  CHECK_FALSE(ParseStudy(Study(R"("early_stopping": {"rule": "asha", "eta": 1.000001})")).ok());
}

TEST_CASE("Hyperband: any valid resource range and eta give at most 54 brackets", "[bounds]") {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> resource(1, int64_t{1} << 53);
  std::uniform_real_distribution<double> log_eta(std::log(2.0), std::log(1e6));
  std::vector<std::pair<int64_t, int64_t>> ranges = {
      {1, 2}, {1, int64_t{1} << 53}, {(int64_t{1} << 53) - 1, int64_t{1} << 53}};
  for (int i = 0; i < 30; ++i) {
    int64_t a = resource(rng), b = resource(rng);
    if (a == b) continue;
    ranges.push_back({std::min(a, b), std::max(a, b)});
  }
  std::vector<double> etas = {2, 2.5, 3, 1e6, 1e300};
  for (int i = 0; i < 10; ++i) etas.push_back(std::exp(log_eta(rng)));
  for (const auto& [min, max] : ranges) {
    for (double eta : etas) {
      INFO("resource [" << min << ", " << max << "], eta " << Number(eta));
      const StudySpec spec =
          ParseOk(Study(R"("algorithm": {"name": "hyperband", "eta": )" + Number(eta) +
                        R"(, "resource": {"name": "epochs", "min": )" + std::to_string(min) +
                        R"(, "max": )" + std::to_string(max) + "}}"));
      absl::StatusOr<HyperbandSchedule> schedule = MakeHyperbandSchedule(
          spec.algorithm.resource.min, spec.algorithm.resource.max, spec.algorithm.eta);
      REQUIRE(schedule.ok());
      CHECK(schedule->s_max <= 53);
      CHECK(schedule->brackets.size() <= 54);
      for (const HyperbandBracket& bracket : schedule->brackets) CHECK(bracket.rungs.size() <= 54);
      CHECK(schedule->TrialsPerCycle() > 0);  // no overflow
      // The designer the server builds, and a few suggestions from it.
      absl::StatusOr<std::unique_ptr<Designer>> designer =
          MakeDesigner(DesignerOptionsFor(spec), spec.space, spec.objectives);
      REQUIRE(designer.ok());
      CHECK((*designer)->Suggest(3).size() == 3);
    }
  }
}

// x, then categoricals of `values` values each: 1 + sum(values) GP features.
std::string Categoricals(const std::vector<int>& values) {
  std::string params = R"([{"name": "x", "type": "double", "min": 0, "max": 1})";
  for (size_t c = 0; c < values.size(); ++c) {
    std::string list;
    for (int i = 0; i < values[c]; ++i) list += (i ? ", \"v" : "\"v") + std::to_string(i) + "\"";
    params += R"(, {"name": "c)" + std::to_string(c) + R"(", "type": "categorical", "values": [)" +
              list + "]}";
  }
  return params + "]";
}

TEST_CASE("GP: the feature count is capped in the validator and the factory", "[bounds]") {
  // At the cap: valid, and the designer is built.
  const std::string at_cap = Categoricals({1000, 23});  // 1 + 1023 = 1024
  const StudySpec spec = ParseOk(Study(R"("algorithm": {"name": "bayesian"})", at_cap));
  CHECK(GpFeatureCount(spec.space) == kMaxGpFeatures);
  absl::StatusOr<std::unique_ptr<Designer>> designer =
      MakeDesigner(DesignerOptionsFor(spec), spec.space, spec.objectives);
  REQUIRE(designer.ok());
  CHECK((*designer)->Suggest(2).size() == 2);

  // One more: refused by the validator (at `parameters`) and by the factory.
  const std::string over = Categoricals({1000, 24});
  StudyParseResult refused = ParseStudy(Study(R"("algorithm": {"name": "bayesian"})", over));
  REQUIRE(refused.faults.size() == 1);
  CHECK(refused.faults[0].path == "parameters");
  CHECK_THAT(refused.faults[0].message, Catch::Contains("got 1025"));
  const StudySpec random = ParseOk(Study("", over));  // fine for the random designer
  DesignerOptions options = DesignerOptionsFor(random);
  options.algorithm = "bayesian";
  CHECK(MakeDesigner(options, random.space, random.objectives).status().code() ==
        absl::StatusCode::kInvalidArgument);
  // Hyperband's bayesian sampler: the same cap, the resource not counted.
  CHECK_FALSE(ParseStudy(Study(R"("algorithm": {"name": "hyperband", "sampler": "bayesian",
                                  "resource": {"name": "epochs", "max": 9}})",
                               over))
                  .ok());
  ParseOk(Study(R"("algorithm": {"name": "hyperband", "sampler": "bayesian",
                   "resource": {"name": "epochs", "max": 9}})",
                at_cap));
}

TEST_CASE("Study names '.' and '..' are refused; names with dots are not", "[bounds]") {
  for (const char* name : {".", ".."}) {
    StudyParseResult result = ParseStudy(std::string(R"({"name": ")") + name +
                                         R"(", "objective": {"metric": "m", "goal": "minimize"},
        "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})");
    REQUIRE(result.faults.size() == 1);
    CHECK(result.faults[0].path == "name");
  }
  for (const char* name : {"...", ".a", "a..b", "v1.2"}) {
    INFO(name);
    CHECK(ParseStudy(std::string(R"({"name": ")") + name +
                     R"(", "objective": {"metric": "m", "goal": "minimize"},
        "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})")
              .ok());
  }
}

// Bytes the process has allocated and not freed.
size_t HeapInUse() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
#endif
}

TEST_CASE("Extreme valid options: the heap they hold stays under the documented bounds",
          "[bounds][heap]") {
  constexpr size_t kMiB = size_t{1} << 20;
  const std::vector<int64_t> steps = AdversarialSteps();
  SECTION("ASHA at the smallest eta, 12 trials over adversarial steps: under 1 MiB") {
    const StudySpec spec =
        ParseOk(Study(R"("early_stopping": {"rule": "asha", "eta": 1.5, "min_trials": 1})"));
    const size_t before = HeapInUse();
    auto rule = MakeStoppingRule(StoppingOptionsFor(spec));
    REQUIRE(rule.ok());
    for (int t = 1; t <= 12; ++t) {
      for (int64_t step : steps) (void)(*rule)->Observe(t, step, t + 0.5);
      (*rule)->Finish(t, TrialState::kCompleted);
    }
    CHECK(HeapInUse() - before < kMiB);
  }
  SECTION("median, 200 completed trials at 1500 steps no other uses: under 200 x 72 KiB") {
    const StudySpec spec =
        ParseOk(Study(R"("early_stopping": {"rule": "median", "min_trials": 1})"));
    const size_t before = HeapInUse();
    auto rule = MakeStoppingRule(StoppingOptionsFor(spec));
    REQUIRE(rule.ok());
    for (int t = 1; t <= 200; ++t) {
      for (int64_t k = 1; k <= 1500; ++k) (void)(*rule)->Observe(t, k * 200 + t, 1.0 / k);
      (*rule)->Finish(t, TrialState::kCompleted);
    }
    // Unbounded, the evidence would be 300 000 steps x up to 200 trials.
    CHECK(HeapInUse() - before < 200 * 72 * 1024);
  }
  SECTION("Hyperband over the widest resource range at eta 2: under 1 MiB") {
    const StudySpec spec = ParseOk(Study(
        R"("algorithm": {"name": "hyperband", "eta": 2, "resource": {"name": "epochs", "min": 1, "max": 9007199254740992}})"));
    const size_t before = HeapInUse();
    auto designer = MakeDesigner(DesignerOptionsFor(spec), spec.space, spec.objectives);
    REQUIRE(designer.ok());
    CHECK((*designer)->Suggest(50).size() == 50);
    CHECK(HeapInUse() - before < kMiB);
  }
  SECTION("GP at 1024 features, built and first suggestions (Sobol): under 21 MiB") {
    const StudySpec spec =
        ParseOk(Study(R"("algorithm": {"name": "bayesian"})", Categoricals({1000, 23})));
    const size_t before = HeapInUse();
    auto designer = MakeDesigner(DesignerOptionsFor(spec), spec.space, spec.objectives);
    REQUIRE(designer.ok());
    CHECK((*designer)->Suggest(2).size() == 2);
    CHECK(HeapInUse() - before < 21 * kMiB);
  }
}

}  // namespace
}  // namespace tuner
