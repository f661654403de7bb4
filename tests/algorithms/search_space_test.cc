#include "algorithms/search_space.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "tests/algorithms/test_spaces.h"

namespace tuner {
namespace {

using testing::Categorical;
using testing::Discrete;
using testing::Double;
using testing::Integer;
using testing::When;

constexpr Scale kAllScales[] = {Scale::kLinear, Scale::kLog, Scale::kReverseLog};

TEST_CASE("doubles round-trip through the unit interval in every scale", "[search_space]") {
  for (Scale scale : kAllScales) {
    INFO("scale " << ToString(scale));
    const ParameterSpec p = Double("x", 1e-3, 10.0, scale);
    CHECK(std::get<double>(FromUnit(p, 0.0)) == 1e-3);
    CHECK(std::get<double>(FromUnit(p, 1.0)) == 10.0);
    CHECK(ToUnit(p, 1e-3) == Approx(0.0).margin(1e-12));
    CHECK(ToUnit(p, 10.0) == Approx(1.0));
    for (int i = 0; i <= 100; ++i) {
      const double u = i / 100.0;
      const ParameterValue x = FromUnit(p, u);
      REQUIRE(std::holds_alternative<double>(x));
      CHECK(ToUnit(p, x) == Approx(u).margin(1e-9));
      const double v = 1e-3 + (10.0 - 1e-3) * u;
      CHECK(std::get<double>(FromUnit(p, ToUnit(p, v))) == Approx(v).epsilon(1e-9));
    }
  }
}

TEST_CASE("log scale is uniform in log space", "[search_space]") {
  const ParameterSpec p = Double("lr", 1e-4, 1.0, Scale::kLog);
  CHECK(std::get<double>(FromUnit(p, 0.5)) == Approx(1e-2));
  CHECK(std::get<double>(FromUnit(p, 0.25)) == Approx(1e-3));
  CHECK(ToUnit(p, 1e-1) == Approx(0.75));
}

TEST_CASE("reverse_log concentrates resolution near the maximum", "[search_space]") {
  const ParameterSpec rev = Double("beta", 0.0 + 1e-3, 1.0, Scale::kReverseLog);
  const ParameterSpec log = Double("beta", 0.0 + 1e-3, 1.0, Scale::kLog);
  // Mirror image of log: FromUnit(rev, u) = max + min - FromUnit(log, 1 - u).
  for (double u : {0.1, 0.5, 0.9}) {
    CHECK(std::get<double>(FromUnit(rev, u)) ==
          Approx(1.0 + 1e-3 - std::get<double>(FromUnit(log, 1.0 - u))));
  }
  CHECK(std::get<double>(FromUnit(rev, 0.5)) > 0.9);
  // The top tenth of the range takes far more than a tenth of the unit interval.
  CHECK(1.0 - ToUnit(rev, 0.9) > 0.3);
  CHECK(1.0 - ToUnit(log, 0.9) < 0.05);
}

TEST_CASE("integers round-trip and own equal cells of the scaled space", "[search_space]") {
  for (Scale scale : kAllScales) {
    INFO("scale " << ToString(scale));
    const ParameterSpec p = Integer("n", 1, 50, scale);
    CHECK(std::get<int64_t>(FromUnit(p, 0.0)) == 1);
    CHECK(std::get<int64_t>(FromUnit(p, 1.0)) == 50);
    double previous = -1.0;
    for (int64_t v = 1; v <= 50; ++v) {
      const double u = ToUnit(p, v);
      CHECK(u > previous);
      previous = u;
      CHECK(std::get<int64_t>(FromUnit(p, u)) == v);
    }
  }
  // Linear: each of 1..4 gets a quarter of [0, 1]. Log: the cell of v is
  // [log(v - 0.5), log(v + 0.5)] normalised by [log 0.5, log 4.5].
  const int kSteps = 100000;
  for (Scale scale : {Scale::kLinear, Scale::kLog}) {
    const ParameterSpec p = Integer("n", 1, 4, scale);
    std::map<int64_t, int> hits;
    for (int i = 0; i < kSteps; ++i) ++hits[std::get<int64_t>(FromUnit(p, (i + 0.5) / kSteps))];
    for (int64_t v = 1; v <= 4; ++v) {
      const double expected = scale == Scale::kLinear ? 0.25
                                                      : (std::log(v + 0.5) - std::log(v - 0.5)) /
                                                            (std::log(4.5) - std::log(0.5));
      CHECK(hits[v] / static_cast<double>(kSteps) == Approx(expected).margin(1e-4));
    }
  }
}

TEST_CASE("discrete and categorical values round-trip", "[search_space]") {
  const ParameterSpec numeric = Discrete("units", {32.0, 64.0, 128.0, 256.0});
  const ParameterSpec numeric_log = Discrete("units", {32.0, 64.0, 128.0, 256.0}, Scale::kLog);
  const ParameterSpec strings = Discrete("act", {std::string("relu"), std::string("tanh")});
  const ParameterSpec categorical = Categorical("opt", {"adam", "sgd", "rmsprop"});
  for (const ParameterSpec* p : {&numeric, &numeric_log, &strings, &categorical}) {
    INFO(p->name << " " << ToString(p->scale));
    for (const ParameterValue& v : p->values) {
      const double u = ToUnit(*p, v);
      CHECK(u >= 0.0);
      CHECK(u <= 1.0);
      CHECK(SameValue(FromUnit(*p, u), v));
    }
    CHECK(SameValue(FromUnit(*p, 0.0), p->values.front()));
    CHECK(SameValue(FromUnit(*p, 1.0), p->values.back()));
  }
  // Categories own equal cells, centred.
  CHECK(ToUnit(categorical, std::string("sgd")) == Approx(0.5));
  CHECK(std::get<std::string>(FromUnit(categorical, 0.34)) == "sgd");
  // An integer-typed value matches a numeric discrete value.
  CHECK(SameValue(FromUnit(numeric, ToUnit(numeric, int64_t{64})), 64.0));
}

TEST_CASE("FromUnit clamps its argument", "[search_space]") {
  const ParameterSpec p = Double("x", 2.0, 3.0);
  CHECK(std::get<double>(FromUnit(p, -1.0)) == 2.0);
  CHECK(std::get<double>(FromUnit(p, 7.0)) == 3.0);
  CHECK(std::get<double>(FromUnit(p, std::numeric_limits<double>::quiet_NaN())) == 2.0);
}

TEST_CASE("FromUnitPoint leaves inactive children out", "[search_space]") {
  SearchSpace space;
  space.parameters = {Categorical("opt", {"adam", "sgd"}),
                      When(Double("momentum", 0.0, 1.0), "opt", {std::string("sgd")})};
  const Assignment adam = FromUnitPoint(space, {0.1, 0.5});
  CHECK(adam == Assignment{{"opt", std::string("adam")}});
  const Assignment sgd = FromUnitPoint(space, {0.9, 0.5});
  CHECK(sgd == Assignment{{"opt", std::string("sgd")}, {"momentum", 0.5}});
  CHECK(space.Validate(adam).ok());
  CHECK(space.Validate(sgd).ok());
}

TEST_CASE("Validate names the faulty parameter", "[search_space]") {
  SearchSpace space;
  space.parameters = {Double("lr", 1e-3, 1.0, Scale::kLog), Integer("layers", 1, 3),
                      Discrete("units", {32.0, 64.0}), Categorical("opt", {"adam", "sgd"}),
                      When(Double("momentum", 0.0, 0.9), "opt", {std::string("sgd")})};
  const Assignment good = {{"lr", 0.01},
                           {"layers", int64_t{2}},
                           {"units", 64.0},
                           {"opt", std::string("sgd")},
                           {"momentum", 0.5}};
  REQUIRE(space.Validate(good).ok());

  auto expect_error = [&](Assignment a, const std::string& fragment) {
    const absl::Status status = space.Validate(a);
    INFO(status.ToString());
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(status.message()), Catch::Contains(fragment));
  };
  {
    Assignment a = good;
    a.erase("layers");
    expect_error(a, "parameters.layers: missing");
  }
  {
    Assignment a = good;
    a["dropout"] = 0.1;
    expect_error(a, "parameters.dropout: not in the search space");
  }
  {
    Assignment a = good;
    a["lr"] = std::string("fast");
    expect_error(a, "parameters.lr: expected a number");
  }
  {
    Assignment a = good;
    a["layers"] = 2.5;
    expect_error(a, "parameters.layers: expected an integer");
  }
  {
    Assignment a = good;
    a["lr"] = 2.0;
    expect_error(a, "parameters.lr: 2 is outside");
  }
  {
    Assignment a = good;
    a["layers"] = int64_t{7};
    expect_error(a, "parameters.layers: 7 is outside [1, 3]");
  }
  {
    Assignment a = good;
    a["units"] = 48.0;
    expect_error(a, "parameters.units: 48 is not one of [32, 64]");
  }
  {
    Assignment a = good;
    a["opt"] = std::string("lbfgs");
    expect_error(a, "parameters.opt: lbfgs is not one of");
  }
  {
    Assignment a = good;
    a["opt"] = std::string("adam");  // momentum is now inactive but present
    expect_error(a, "parameters.momentum: must be absent");
  }
  {
    Assignment a = good;
    a["opt"] = std::string("adam");
    a.erase("momentum");
    CHECK(space.Validate(a).ok());
  }
}

}  // namespace
}  // namespace tuner
