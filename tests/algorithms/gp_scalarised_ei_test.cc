// The acquisition for several objectives: log E[max(0, min_j Z_j - best)]
// against log EI (one objective), against an independent adaptive quadrature
// (two and three objectives), its derivatives against central finite
// differences, and its tail.
#include "algorithms/gp_scalarised_ei.h"

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "algorithms/gp_acquisition.h"

namespace tuner {
namespace {

// integral_best^inf prod_j P(Z_j > t) dt by adaptive Gauss-Kronrod.
double Reference(const std::vector<double>& mean, const std::vector<double>& sd, double best) {
  const auto survival = [&](double t) {
    double p = 1.0;
    for (size_t j = 0; j < mean.size(); ++j)
      p *= 0.5 * std::erfc((t - mean[j]) / (sd[j] * M_SQRT2));
    return p;
  };
  return boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
      survival, best, std::numeric_limits<double>::infinity(), 15, 1e-12);
}

}  // namespace

TEST_CASE("scalarised EI: one objective is log EI", "[gp][multi_objective]") {
  for (double z : {3.0, 1.0, 0.0, -1.0, -3.0, -8.0, -20.0, -30.0}) {
    INFO("z = " << z);
    const ScalarisedValue s = LogScalarisedExpectedImprovement({z * 0.7}, {0.7}, 0.0);
    const AcquisitionValue a = LogExpectedImprovement(z * 0.7, 0.7, 0.0);
    CHECK(s.value == Approx(a.value).epsilon(1e-6));
    CHECK(s.d_mean[0] == Approx(a.d_mean).epsilon(1e-4));
    CHECK(s.d_sd[0] == Approx(a.d_sd).epsilon(1e-4));
  }
}

TEST_CASE("scalarised EI: two and three objectives match an adaptive quadrature",
          "[gp][multi_objective]") {
  const std::vector<std::vector<double>> means = {
      {0.3, -0.2}, {1.5, 1.4}, {-0.5, 2.0}, {0.2, 0.4, -0.1}, {3.0, 0.5, 2.0}};
  const std::vector<std::vector<double>> sds = {
      {0.5, 1.0}, {0.1, 0.3}, {0.2, 2.0}, {0.3, 0.3, 0.6}, {1.0, 0.05, 0.2}};
  for (size_t c = 0; c < means.size(); ++c) {
    for (double best : {-1.0, 0.0, 0.35, 1.0}) {
      INFO("case " << c << ", best " << best);
      const double reference = Reference(means[c], sds[c], best);
      REQUIRE(reference > 1e-300);
      CHECK(LogScalarisedExpectedImprovement(means[c], sds[c], best).value ==
            Approx(std::log(reference)).epsilon(1e-5));
    }
  }
}

TEST_CASE("scalarised EI: derivatives match finite differences", "[gp][multi_objective]") {
  const std::vector<std::vector<double>> means = {{0.3, -0.2}, {-4.0, -6.0, -3.0}, {0.1, 2.0}};
  const std::vector<std::vector<double>> sds = {{0.5, 1.0}, {0.4, 0.8, 0.5}, {0.05, 0.5}};
  for (size_t c = 0; c < means.size(); ++c) {
    const double best = 0.25;
    const ScalarisedValue s = LogScalarisedExpectedImprovement(means[c], sds[c], best);
    const double h = 1e-6;
    for (size_t j = 0; j < means[c].size(); ++j) {
      INFO("case " << c << ", objective " << j);
      std::vector<double> up = means[c], down = means[c];
      up[j] += h;
      down[j] -= h;
      const double dm = (LogScalarisedExpectedImprovement(up, sds[c], best).value -
                         LogScalarisedExpectedImprovement(down, sds[c], best).value) /
                        (2 * h);
      up = sds[c];
      down = sds[c];
      up[j] += h;
      down[j] -= h;
      const double ds = (LogScalarisedExpectedImprovement(means[c], up, best).value -
                         LogScalarisedExpectedImprovement(means[c], down, best).value) /
                        (2 * h);
      CHECK(s.d_mean[j] == Approx(dm).epsilon(1e-3));
      CHECK(s.d_sd[j] == Approx(ds).epsilon(1e-3));
      CHECK(s.d_mean[j] > 0.0);
    }
  }
}

TEST_CASE("scalarised EI: finite and ordered far in the tail", "[gp][multi_objective]") {
  // EI itself underflows here (best is ~40 sd above both means); its log
  // keeps ranking candidates: a higher mean of either objective is better.
  double previous = -std::numeric_limits<double>::infinity();
  for (double m : {-60.0, -50.0, -45.0, -40.0}) {
    const ScalarisedValue s = LogScalarisedExpectedImprovement({m, m + 1.0}, {1.0, 1.0}, 0.0);
    INFO("mean " << m);
    CHECK(std::isfinite(s.value));
    CHECK(s.value < -700.0);
    CHECK(s.value > previous);
    CHECK(s.d_mean[0] > 0.0);
    CHECK(std::isfinite(s.d_mean[1]));
    previous = s.value;
  }
  // Both must improve; the one further behind has the steeper slope.
  const ScalarisedValue s = LogScalarisedExpectedImprovement({-45.0, -20.0}, {1.0, 1.0}, 0.0);
  CHECK(s.d_mean[0] > 2.0 * s.d_mean[1]);
  CHECK(s.d_mean[1] > 10.0);
}

}  // namespace tuner

namespace tuner {

TEST_CASE("scalarisation reference: a utopia point beyond the non-dominated rows' best",
          "[gp][multi_objective]") {
  // Larger is better. Rows 0, 1 and 3 are non-dominated; row 2 is dominated
  // by row 1 and row 4 (a copy of row 0) adds nothing; row 2's much worse
  // values do not widen the range.
  Eigen::MatrixXd values(5, 2);
  values << 1.0, 0.0,  //
      0.5, 0.6,        //
      -5.0, -7.0,      //
      0.0, 1.0,        //
      1.0, 0.0;
  const Eigen::VectorXd r = ScalarisationReference(values, 0.2, 0.01);
  CHECK(r(0) == Approx(1.0 + 0.2 * 1.0));
  CHECK(r(1) == Approx(1.0 + 0.2 * 1.0));
  // A single best row gets the minimum margin.
  const Eigen::VectorXd single = ScalarisationReference(values.topRows(1), 0.2, 0.1);
  CHECK(single(0) == Approx(1.1));
  CHECK(single(1) == Approx(0.1));
  // Three objectives; a row better in one objective only is non-dominated.
  Eigen::MatrixXd three(3, 3);
  three << 1.0, 1.0, 1.0,  //
      0.0, 0.0, 3.0,       //
      0.5, 0.5, 0.5;
  const Eigen::VectorXd r3 = ScalarisationReference(three, 0.5, 0.0);
  CHECK(r3(0) == Approx(1.5));
  CHECK(r3(1) == Approx(1.5));
  CHECK(r3(2) == Approx(3.0 + 0.5 * 2.0));
}

}  // namespace tuner
