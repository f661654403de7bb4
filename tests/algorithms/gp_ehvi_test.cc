// Expected hypervolume improvement for two objectives: the front, the value
// against a direct quadrature of the hypervolume improvement over the two
// posteriors, the derivatives against central finite differences, and the
// tail far below the front.
#include "algorithms/gp_ehvi.h"

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "algorithms/gp_acquisition.h"

namespace tuner {
namespace {

// Hypervolume (larger is better) of `points` above `r`, by a sweep.
double Hypervolume(std::vector<std::array<double, 2>> points, const std::array<double, 2>& r) {
  std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a[0] > b[0]; });
  double volume = 0.0, height = r[1];
  for (const auto& p : points) {
    if (p[0] <= r[0] || p[1] <= height) continue;
    volume += (p[0] - r[0]) * (p[1] - height);
    height = p[1];
  }
  return volume;
}

// E[HV(front + Y) - HV(front)] by nested adaptive Gauss-Kronrod.
double DirectEhvi(const std::array<double, 2>& mean, const std::array<double, 2>& sd,
                  const Front2& front) {
  const double base = Hypervolume(front.points, front.reference);
  using Quadrature = boost::math::quadrature::gauss_kronrod<double, 61>;
  const auto density = [](double y, double m, double s) {
    return std::exp(-0.5 * (y - m) * (y - m) / (s * s)) / (s * std::sqrt(2 * M_PI));
  };
  return Quadrature::integrate(
      [&](double y1) {
        return density(y1, mean[0], sd[0]) *
               Quadrature::integrate(
                   [&](double y2) {
                     std::vector<std::array<double, 2>> with = front.points;
                     with.push_back({y1, y2});
                     return density(y2, mean[1], sd[1]) *
                            (Hypervolume(with, front.reference) - base);
                   },
                   mean[1] - 10 * sd[1], mean[1] + 10 * sd[1], 12, 1e-11);
      },
      mean[0] - 10 * sd[0], mean[0] + 10 * sd[0], 12, 1e-11);
}

Front2 ThreePoints() {
  Eigen::MatrixXd values(6, 2);
  values << 0.2, 1.0,  //
      0.5, 0.7,        //
      0.4, 0.6,        // dominated by (0.5, 0.7)
      0.9, 0.3,        //
      0.9, 0.3,        // a duplicate
      1.5, -0.2;       // below the reference in the second objective
  return ParetoFront2(values, {0.0, 0.0});
}

}  // namespace

TEST_CASE("EHVI: the front keeps the non-dominated points above the reference, sorted",
          "[gp][multi_objective]") {
  const Front2 front = ThreePoints();
  REQUIRE(front.points.size() == 3);
  CHECK(front.points[0] == std::array<double, 2>{0.2, 1.0});
  CHECK(front.points[1] == std::array<double, 2>{0.5, 0.7});
  CHECK(front.points[2] == std::array<double, 2>{0.9, 0.3});
}

TEST_CASE("EHVI: equals a direct quadrature of the hypervolume improvement",
          "[gp][multi_objective]") {
  const Front2 front = ThreePoints();
  struct Case {
    std::array<double, 2> mean, sd;
  };
  for (const Case& c :
       {Case{{0.6, 0.6}, {0.2, 0.3}}, Case{{0.3, 0.9}, {0.05, 0.1}}, Case{{1.2, 0.1}, {0.3, 0.2}},
        Case{{0.0, 0.0}, {0.2, 0.2}}, Case{{-0.5, 1.5}, {0.4, 0.4}}}) {
    INFO("mean " << c.mean[0] << ", " << c.mean[1]);
    const double direct = DirectEhvi(c.mean, c.sd, front);
    REQUIRE(direct > 0);
    CHECK(LogExpectedHypervolumeImprovement2(c.mean, c.sd, front).value ==
          Approx(std::log(direct)).epsilon(1e-6));
  }
  // No front: the box from the reference, EI_1(r_1) EI_2(r_2).
  const Front2 empty{{}, {0.1, -0.2}};
  const double ei = std::exp(LogExpectedImprovement(0.3, 0.4, 0.1).value +
                             LogExpectedImprovement(0.5, 0.2, -0.2).value);
  CHECK(std::exp(LogExpectedHypervolumeImprovement2({0.3, 0.5}, {0.4, 0.2}, empty).value) ==
        Approx(ei).epsilon(1e-12));
  CHECK(DirectEhvi({0.3, 0.5}, {0.4, 0.2}, empty) == Approx(ei).epsilon(1e-6));
}

TEST_CASE("EHVI: derivatives match central finite differences", "[gp][multi_objective]") {
  const Front2 front = ThreePoints();
  for (const std::array<double, 2>& mean :
       {std::array<double, 2>{0.6, 0.6}, {0.1, 1.1}, {1.0, 0.2}, {-2.0, -1.0}, {0.45, 0.65}}) {
    const std::array<double, 2> sd{0.15, 0.25};
    INFO("mean " << mean[0] << ", " << mean[1]);
    const ScalarisedValue v = LogExpectedHypervolumeImprovement2(mean, sd, front);
    // d value / d mean_j (of_sd false) or d sd_j, by central differences.
    const auto central = [&](int j, bool of_sd) {
      const double h = 1e-6;
      std::array<double, 2> m_up = mean, m_down = mean, s_up = sd, s_down = sd;
      (of_sd ? s_up : m_up)[j] += h;
      (of_sd ? s_down : m_down)[j] -= h;
      return (LogExpectedHypervolumeImprovement2(m_up, s_up, front).value -
              LogExpectedHypervolumeImprovement2(m_down, s_down, front).value) /
             (2 * h);
    };
    for (int j = 0; j < 2; ++j) {
      CHECK(v.d_mean[j] == Approx(central(j, false)).epsilon(1e-5).margin(1e-7));
      CHECK(v.d_sd[j] == Approx(central(j, true)).epsilon(1e-5).margin(1e-7));
    }
  }
}

TEST_CASE("EHVI: far below the front it stays finite and keeps a slope toward it",
          "[gp][multi_objective]") {
  const Front2 front = ThreePoints();
  double previous = -std::numeric_limits<double>::infinity();
  for (const double mean : {-60.0, -30.0, -10.0, -3.0, 0.0}) {
    const ScalarisedValue v = LogExpectedHypervolumeImprovement2({mean, mean}, {0.5, 0.5}, front);
    INFO("mean " << mean << ": " << v.value);
    REQUIRE(std::isfinite(v.value));
    CHECK(v.value > previous);
    CHECK(v.d_mean[0] > 0);
    CHECK(v.d_mean[1] > 0);
    previous = v.value;
  }
}

}  // namespace tuner
