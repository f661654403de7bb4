// The GP designer's choice of output transform: leave-one-out predictions,
// rank correlation and the score built on them (gp_output_choice.h).
#include "algorithms/gp_output_choice.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "algorithms/gp_regression.h"

namespace tuner {
namespace {

// n points of the unit square on a Kronecker lattice (golden-ratio steps),
// shifted by `shift`.
Eigen::MatrixXd Points(int n, double shift) {
  Eigen::MatrixXd x(n, 2);
  for (int i = 0; i < n; ++i) {
    x(i, 0) = std::fmod(shift + 0.6180339887 * i, 1.0);
    x(i, 1) = std::fmod(shift + 0.7548776662 * i + 0.5698402910 * i * (i % 2), 1.0);
  }
  return x;
}

Eigen::VectorXd Bowl(const Eigen::MatrixXd& x) {
  // A rotated, ill-conditioned quadratic, oriented larger-is-better.
  Eigen::VectorXd y(x.rows());
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const double u = x(i, 0) + x(i, 1) - 1.0, v = x(i, 0) - x(i, 1);
    y(i) = -(u * u + 20.0 * v * v);
  }
  return y;
}

TEST_CASE("gp output choice: leave-one-out means equal a GP conditioned on the other rows",
          "[gp]") {
  const Eigen::MatrixXd x = Points(12, 0.1);
  Eigen::VectorXd y = Bowl(x);
  y = (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
  GpHyperparameters hp = GpHyperparameters::Default(2);
  hp.log_noise_variance = std::log(1e-2);
  hp.mean = 0.3;
  GaussianProcess gp;
  REQUIRE(gp.Condition(x, y, hp).ok());
  const Eigen::VectorXd loo = gp.LeaveOneOutMeans();
  REQUIRE(loo.size() == 12);
  for (Eigen::Index i = 0; i < 12; ++i) {
    std::vector<Eigen::Index> others;
    for (Eigen::Index r = 0; r < 12; ++r) {
      if (r != i) others.push_back(r);
    }
    GaussianProcess without;
    REQUIRE(without.Condition(x(others, Eigen::all), y(others), hp).ok());
    Eigen::VectorXd mean, var;
    without.Predict(x.row(i), &mean, &var);
    CHECK(loo(i) == Approx(mean(0)).margin(1e-8));
  }
}

TEST_CASE("gp output choice: rank correlation", "[gp]") {
  Eigen::VectorXd a(5), b(5);
  a << 1, 2, 3, 4, 5;
  b << 10, 20, 30, 40, 1e9;
  CHECK(RankCorrelation(a, b) == Approx(1.0));  // any increasing map
  CHECK(RankCorrelation(a, -b) == Approx(-1.0));
  b << 2, 1, 3, 4, 5;
  CHECK(RankCorrelation(a, b) == Approx(0.9));  // 1 - 6 * 2 / (5 * 24)
  b << 1, 1, 1, 1, 1;
  CHECK(RankCorrelation(a, b) == 0.0);  // constant
  b << 1, 1, 2, 2, 3;                   // ties share their average rank
  CHECK(RankCorrelation(a, b) == Approx(0.9486832981));
  CHECK(RankCorrelation(Eigen::VectorXd::Ones(1), Eigen::VectorXd::Ones(1)) == 0.0);
}

TEST_CASE("gp output choice: the score ranks the better half and skips penalties", "[gp]") {
  const Eigen::MatrixXd x = Points(30, 0.3);
  Eigen::VectorXd y = Bowl(x);
  y = (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
  std::vector<bool> has_value(30, true);
  GpHyperparameters hp = GpHyperparameters::Default(2);
  GaussianProcess gp;
  REQUIRE(gp.Condition(x, y, hp).ok());
  const double score = OutputTransformScore(gp, y, has_value);
  CHECK(score > 0.8);  // a smooth bowl is predicted well
  CHECK(score <= 1.0);
  // Only the better half is scored: the same as computed by hand on it.
  const Eigen::VectorXd loo = gp.LeaveOneOutMeans();
  std::vector<Eigen::Index> order(30);
  for (Eigen::Index i = 0; i < 30; ++i) order[static_cast<size_t>(i)] = i;
  std::sort(order.begin(), order.end(),
            [&](Eigen::Index a, Eigen::Index b) { return y(a) > y(b); });
  order.resize(15);
  CHECK(score == Approx(RankCorrelation(loo(order), y(order))));
  // A row marked as a penalty is left out even when it is the best.
  Eigen::VectorXd with_penalty = y;
  with_penalty(order[0]) = 10.0;
  has_value[static_cast<size_t>(order[0])] = false;
  GaussianProcess penalised;
  REQUIRE(penalised.Condition(x, with_penalty, hp).ok());
  const Eigen::VectorXd loo2 = penalised.LeaveOneOutMeans();
  std::vector<Eigen::Index> rest(order.begin() + 1, order.end());
  CHECK(OutputTransformScore(penalised, with_penalty, has_value) ==
        Approx(RankCorrelation(loo2(rest), with_penalty(rest))));
}

}  // namespace
}  // namespace tuner
