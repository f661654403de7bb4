#include "algorithms/random_designer.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "tests/algorithms/test_spaces.h"

namespace tuner {
namespace {

using testing::Categorical;
using testing::Discrete;
using testing::Double;
using testing::History;
using testing::Integer;

// Pearson's chi-square statistic of `counts` against equal expected counts.
double ChiSquare(const std::vector<int>& counts) {
  double total = 0;
  for (int c : counts) total += c;
  const double expected = total / static_cast<double>(counts.size());
  double chi2 = 0;
  for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
  return chi2;
}

// Counts of `units` (positions in [0, 1]) in `bins` equal bins.
std::vector<int> Histogram(const std::vector<double>& units, int bins) {
  std::vector<int> counts(static_cast<size_t>(bins), 0);
  for (double u : units) {
    ++counts[static_cast<size_t>(std::clamp(static_cast<int>(u * bins), 0, bins - 1))];
  }
  return counts;
}

// Kolmogorov–Smirnov statistic of `units` against the uniform law on [0, 1].
double KolmogorovSmirnov(std::vector<double> units) {
  std::sort(units.begin(), units.end());
  const double n = static_cast<double>(units.size());
  double d = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    d = std::max({d, (i + 1) / n - units[i], units[i] - i / n});
  }
  return d;
}

// Thresholds. Under uniformity the chi-square over 10 bins (9 degrees of
// freedom) exceeds 45 with probability ~1e-6, over 5 bins (4 dof) exceeds 30
// with ~5e-6; sqrt(n)·KS exceeds 2.5 with ~1e-5. A wrong scale gives
// statistics in the thousands (checked below), so the margin is huge both ways.
constexpr double kChi2Max9 = 45.0;
constexpr double kChi2Max4 = 30.0;
constexpr double kKsMaxScaled = 2.5;

TEST_CASE("random samples are uniform in the scaled space", "[designer][random]") {
  SearchSpace space;
  space.parameters = {Double("x", -3.0, 7.0), Double("lr", 1e-5, 1.0, Scale::kLog),
                      Double("beta", 0.9, 0.9999, Scale::kReverseLog), Integer("n", 1, 10),
                      Categorical("c", {"a", "b", "c", "d", "e"})};
  RandomDesigner designer(space, /*seed=*/12345);
  History().UpdateDesigner(designer);
  const int kSamples = 20000;
  const std::vector<Assignment> samples = designer.Suggest(kSamples);
  REQUIRE(samples.size() == kSamples);

  // Positions in each parameter's scaled space, written out independently of
  // ToUnit so that the test does not trust the code under test.
  std::vector<double> x_units, lr_units, lr_linear, beta_units, n_units, c_units;
  for (const Assignment& a : samples) {
    REQUIRE(space.Validate(a).ok());
    const double x = std::get<double>(a.at("x"));
    const double lr = std::get<double>(a.at("lr"));
    const double beta = std::get<double>(a.at("beta"));
    const int64_t n = std::get<int64_t>(a.at("n"));
    const std::string& c = std::get<std::string>(a.at("c"));
    x_units.push_back((x + 3.0) / 10.0);
    lr_units.push_back((std::log10(lr) + 5.0) / 5.0);
    lr_linear.push_back((lr - 1e-5) / (1.0 - 1e-5));
    // reverse_log: 0.9 + 0.9999 - beta is log-uniform in [0.9, 0.9999].
    beta_units.push_back(1.0 - (std::log(0.9 + 0.9999 - beta) - std::log(0.9)) /
                                   (std::log(0.9999) - std::log(0.9)));
    n_units.push_back((n - 1 + 0.5) / 10.0);
    c_units.push_back((c[0] - 'a' + 0.5) / 5.0);
  }
  const double sqrt_n = std::sqrt(static_cast<double>(kSamples));

  SECTION("chi-square over 10 bins") {
    CHECK(ChiSquare(Histogram(x_units, 10)) < kChi2Max9);
    CHECK(ChiSquare(Histogram(lr_units, 10)) < kChi2Max9);
    CHECK(ChiSquare(Histogram(beta_units, 10)) < kChi2Max9);
    CHECK(ChiSquare(Histogram(n_units, 10)) < kChi2Max9);
    CHECK(ChiSquare(Histogram(c_units, 5)) < kChi2Max4);
  }
  SECTION("Kolmogorov-Smirnov") {
    CHECK(KolmogorovSmirnov(x_units) * sqrt_n < kKsMaxScaled);
    CHECK(KolmogorovSmirnov(lr_units) * sqrt_n < kKsMaxScaled);
    CHECK(KolmogorovSmirnov(beta_units) * sqrt_n < kKsMaxScaled);
  }
  SECTION("the tests reject the wrong scale") {
    // The log parameter seen on a linear scale: what sampling it linearly
    // would look like from the other side.
    CHECK(ChiSquare(Histogram(lr_linear, 10)) > 1000.0);
    CHECK(KolmogorovSmirnov(lr_linear) * sqrt_n > 50.0);
  }
}

TEST_CASE("random integers and discrete values follow their scale", "[designer][random]") {
  SearchSpace space;
  space.parameters = {Integer("n", 1, 1000, Scale::kLog),
                      Discrete("units", {32.0, 64.0, 128.0, 256.0}, Scale::kLog)};
  RandomDesigner designer(space, /*seed=*/7);
  History().UpdateDesigner(designer);
  const int kSamples = 20000;
  int small = 0;
  std::vector<int> units(4, 0);
  for (const Assignment& a : designer.Suggest(kSamples)) {
    if (std::get<int64_t>(a.at("n")) <= 31) ++small;
    ++units[static_cast<size_t>(std::log2(std::get<double>(a.at("units")))) - 5];
  }
  // n owns [0.5, 1000.5] in log space; n <= 31 is its part below 31.5.
  const double expected = std::log(31.5 / 0.5) / std::log(1000.5 / 0.5);
  CHECK(small / static_cast<double>(kSamples) == Approx(expected).margin(0.02));
  CHECK(ChiSquare(units) < 25.0);  // 3 dof; ~1.5e-5
}

TEST_CASE("random suggestion k depends only on seed and k", "[designer][random]") {
  const SearchSpace space = testing::MixedSpace();
  RandomDesigner one_batch(space, 99);
  History().UpdateDesigner(one_batch);
  const std::vector<Assignment> all = one_batch.Suggest(5);

  RandomDesigner two_batches(space, 99);
  History().UpdateDesigner(two_batches);
  std::vector<Assignment> joined = two_batches.Suggest(2);
  for (Assignment& a : two_batches.Suggest(3)) joined.push_back(std::move(a));
  CHECK(joined == all);

  History history;
  history.Add(all[0], TrialState::kCompleted);
  history.Add(all[1], TrialState::kActive);
  RandomDesigner resumed(space, 99);
  history.UpdateDesigner(resumed);
  CHECK(resumed.Suggest(3) == std::vector<Assignment>(all.begin() + 2, all.end()));

  // Pinned values: Boost.Random's output is the same on every platform, so
  // the first suggestion of seed 99 must never change.
  RandomDesigner pinned(space, 99);
  History().UpdateDesigner(pinned);
  const Assignment first = pinned.Suggest(1)[0];
  CHECK(first == all[0]);
  CHECK(std::get<double>(first.at("learning_rate")) == Approx(0.001298804315035497).epsilon(1e-12));
  CHECK(std::get<double>(first.at("keep_prob")) == Approx(0.5887649229168005).epsilon(1e-12));
  CHECK(first.at("layers") == ParameterValue(int64_t{3}));
  CHECK(first.at("buckets") == ParameterValue(int64_t{217}));
  CHECK(first.at("units") == ParameterValue(64.0));
  CHECK(first.at("activation") == ParameterValue(std::string("relu")));
  CHECK(first.at("optimizer") == ParameterValue(std::string("adam")));
  CHECK(first.size() == 7);
}

}  // namespace
}  // namespace tuner
