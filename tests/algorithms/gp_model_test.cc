// The GP designer's numerics: every analytic gradient against central finite
// differences, the Cholesky jitter path, interpolation, log EI's tail, and the
// output warp.
#include <atomic>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_01.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <vector>

#include "algorithms/gp_acquisition.h"
#include "algorithms/gp_kernel.h"
#include "algorithms/gp_output_warping.h"
#include "algorithms/gp_regression.h"

namespace tuner {
namespace {

Eigen::MatrixXd RandomPoints(int n, int d, uint64_t seed) {
  boost::random::mt19937_64 engine(seed);
  boost::random::uniform_01<double> uniform;
  Eigen::MatrixXd x(n, d);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < d; ++j) x(i, j) = uniform(engine);
  }
  return x;
}

// Central differences of a scalar function of a vector.
Eigen::VectorXd NumericGradient(const std::function<double(const Eigen::VectorXd&)>& f,
                                const Eigen::VectorXd& at, double h = 1e-5) {
  Eigen::VectorXd g(at.size());
  for (Eigen::Index i = 0; i < at.size(); ++i) {
    Eigen::VectorXd plus = at, minus = at;
    plus(i) += h;
    minus(i) -= h;
    g(i) = (f(plus) - f(minus)) / (2.0 * h);
  }
  return g;
}

void CheckClose(const Eigen::VectorXd& analytic, const Eigen::VectorXd& numeric,
                double tolerance = 1e-5) {
  INFO("analytic " << analytic.transpose() << "\nnumeric  " << numeric.transpose());
  REQUIRE(analytic.size() == numeric.size());
  const double scale = std::max(1.0, numeric.cwiseAbs().maxCoeff());
  CHECK((analytic - numeric).cwiseAbs().maxCoeff() <= tolerance * scale);
}

Matern52Kernel SomeKernel(int d) {
  Matern52Kernel k;
  k.log_length_scales = Eigen::VectorXd::LinSpaced(d, -1.2, 0.3);
  k.log_signal_variance = 0.4;
  k.log_additive_weight = -0.7;
  return k;
}

double Branin01(double u, double v) {
  const double x1 = -5.0 + 15.0 * u, x2 = 15.0 * v;
  const double pi = 3.14159265358979323846;
  const double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
  return std::pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * std::cos(x1) + 10;
}

TEST_CASE("gp kernel: value, symmetry and r = 0", "[gp]") {
  const Matern52Kernel k = SomeKernel(3);
  const Eigen::MatrixXd x = RandomPoints(5, 3, 1);
  const Eigen::MatrixXd m = k.Matrix(x, x);
  CHECK((m - m.transpose()).cwiseAbs().maxCoeff() < 1e-15);
  const double w = std::exp(-0.7);
  CHECK(m(2, 2) == Approx(std::exp(0.4) * (1 + w)));
  CHECK(k.prior_variance() == Approx(m(2, 2)));
  // Direct evaluation of the formula: ARD part plus additive part.
  const Eigen::VectorXd a = x.row(0).transpose(), b = x.row(1).transpose();
  const Eigen::ArrayXd rd = ((a - b).array() / k.log_length_scales.array().exp()).abs();
  const double r = std::sqrt(rd.square().sum());
  const double s5 = std::sqrt(5.0);
  const auto matern = [&](double t) { return (1 + s5 * t + 5 * t * t / 3) * std::exp(-s5 * t); };
  double additive = 0.0;
  for (double t : rd) additive += matern(t);
  CHECK(k(a, b) == Approx(std::exp(0.4) * (matern(r) + w / 3 * additive)));
  CHECK(m(0, 1) == Approx(k(a, b)));
  // Without the additive part: the plain ARD kernel.
  Matern52Kernel plain = k;
  plain.log_additive_weight = -std::numeric_limits<double>::infinity();
  CHECK(plain(a, b) == Approx(std::exp(0.4) * matern(r)));
  CHECK(plain.Matrix(x, x)(0, 1) == Approx(plain(a, b)));
}

// Matrix and Self compute pairs in bulk (column by column, one exponential per
// point and dimension for the additive part, symmetry in Self): every entry
// must be the pairwise formula, including a dimension too wide to factor the
// exponentials (scaled range over 268) and a first argument with fewer rows.
TEST_CASE("gp kernel: Matrix and Self agree with the pairwise kernel and its derivatives", "[gp]") {
  Matern52Kernel k = SomeKernel(3);
  k.log_length_scales(2) = std::log(0.01);
  Eigen::MatrixXd x = RandomPoints(60, 3, 21);
  x.col(2) *= 5.0;      // scaled range up to 500: exponentiated per pair
  x.row(7) = x.row(3);  // a duplicate: r = 0 off the diagonal
  const Eigen::MatrixXd few = RandomPoints(4, 3, 22);
  const Eigen::MatrixXd ab = k.Matrix(x, few), ba = k.Matrix(few, x);
  REQUIRE(ab.rows() == 60);
  REQUIRE(ba.rows() == 4);
  for (int i = 0; i < 60; ++i) {
    for (int j = 0; j < 4; ++j) {
      const double direct = k(x.row(i).transpose(), few.row(j).transpose());
      CHECK(ab(i, j) == Approx(direct).epsilon(1e-12).margin(1e-250));
      CHECK(ba(j, i) == Approx(direct).epsilon(1e-12).margin(1e-250));
    }
  }
  Matern52Kernel::SelfTerms terms;
  for (bool additive : {true, false}) {
    INFO("additive part " << additive);
    Matern52Kernel kk = k;
    if (!additive) kk.log_additive_weight = -std::numeric_limits<double>::infinity();
    kk.Self(x, true, &terms);
    CHECK(terms.additive_length.size() == (additive ? 3u : 0u));
    const Eigen::MatrixXd full = kk.Matrix(x, x);
    const Eigen::RowVectorXd inv_l2 = (-2.0 * kk.log_length_scales.array()).exp().transpose();
    for (int i = 0; i < 60; ++i) {
      for (int j = 0; j < 60; ++j) {
        const Eigen::VectorXd a = x.row(i).transpose(), b = x.row(j).transpose();
        CHECK(terms.k(i, j) == Approx(full(i, j)).epsilon(1e-12).margin(1e-250));
        if (i < j) {  // the derivatives hold their lower triangle
          CHECK(terms.radial(i, j) == 0.0);
          continue;
        }
        // dk/dlog l_d = g(r) (a_d - b_d)^2 / l_d^2 + dK^add/dlog l_d, and
        // dk/dlog w is the additive part.
        const Eigen::VectorXd grad = kk.GradientWrtLogParameters(a, b);
        for (int d = 0; d < 3; ++d) {
          const double ard = terms.radial(i, j) * (a(d) - b(d)) * (a(d) - b(d)) * inv_l2(d);
          const double add = additive ? terms.additive_length[d](i, j) : 0.0;
          CHECK(ard + add == Approx(grad(d)).epsilon(1e-10).margin(1e-250));
        }
        CHECK((additive ? terms.additive(i, j) : 0.0) ==
              Approx(grad(4)).epsilon(1e-10).margin(1e-250));
      }
    }
  }
}

TEST_CASE("gp kernel: gradients wrt x and log hyperparameters match finite differences", "[gp]") {
  const Matern52Kernel k = SomeKernel(4);
  const Eigen::MatrixXd pts = RandomPoints(6, 4, 2);
  const Eigen::VectorXd x = pts.row(0).transpose();
  const Eigen::MatrixXd grad = k.GradientWrtX(x, pts.bottomRows(5));
  for (int j = 0; j < 5; ++j) {
    const Eigen::VectorXd b = pts.row(j + 1).transpose();
    CheckClose(grad.col(j), NumericGradient([&](const Eigen::VectorXd& p) { return k(p, b); }, x));
    Eigen::VectorXd theta(6);
    theta << k.log_length_scales, k.log_signal_variance, k.log_additive_weight;
    const auto as_params = [&](const Eigen::VectorXd& t) {
      Matern52Kernel kt{t.head(4), t(4), t(5)};
      return kt(x, b);
    };
    CheckClose(k.GradientWrtLogParameters(x, b), NumericGradient(as_params, theta));
  }
  // At r = 0 the gradient wrt x is zero, not NaN.
  const Eigen::MatrixXd at_self = k.GradientWrtX(x, x.transpose());
  CHECK(at_self.allFinite());
  CHECK(at_self.cwiseAbs().maxCoeff() == 0.0);
}

TEST_CASE("gp: log marginal likelihood and prior gradients match finite differences", "[gp]") {
  const int d = 3;
  const Eigen::MatrixXd x = RandomPoints(25, d, 3);
  Eigen::VectorXd y(25);
  for (int i = 0; i < 25; ++i) y(i) = std::sin(6 * x(i, 0)) + x(i, 1) * x(i, 2) - 0.3;
  for (double noise : {-8.0, -3.0, -0.5}) {
    GpHyperparameters hp = GpHyperparameters::Default(d);
    hp.log_length_scales << -1.0, -0.4, 0.2;
    hp.log_signal_variance = 0.3;
    hp.log_noise_variance = noise;
    hp.mean = 0.2;
    hp.log_additive_weight = -0.5;
    Eigen::VectorXd grad;
    absl::StatusOr<double> lml = LogMarginalLikelihood(x, y, hp, &grad);
    REQUIRE(lml.ok());
    const auto f = [&](const Eigen::VectorXd& theta) {
      return *LogMarginalLikelihood(x, y, GpHyperparameters::FromVector(theta), nullptr);
    };
    INFO("log noise " << noise);
    CheckClose(grad, NumericGradient(f, hp.ToVector(), 1e-6), 1e-4);

    Eigen::VectorXd prior_grad;
    LogHyperprior(hp, &prior_grad);
    const auto prior = [&](const Eigen::VectorXd& theta) {
      return LogHyperprior(GpHyperparameters::FromVector(theta), nullptr);
    };
    CheckClose(prior_grad, NumericGradient(prior, hp.ToVector()));
  }
}

// Above 48 points the inverse the gradient needs is computed by blocks (and by
// blocks of blocks above 96); 110 points split unevenly on the way down.
TEST_CASE("gp: the marginal likelihood's gradient by blocks and leave-one-out means, 110 points",
          "[gp]") {
  const int n = 110, d = 2;
  const Eigen::MatrixXd x = RandomPoints(n, d, 23);
  Eigen::VectorXd y(n);
  for (int i = 0; i < n; ++i) y(i) = std::sin(5 * x(i, 0)) * std::cos(3 * x(i, 1));
  GpHyperparameters hp = GpHyperparameters::Default(d);
  hp.log_length_scales << -1.0, -0.6;
  hp.log_noise_variance = -4.0;
  hp.log_additive_weight = -0.5;
  Eigen::VectorXd grad;
  REQUIRE(LogMarginalLikelihood(x, y, hp, &grad).ok());
  const auto f = [&](const Eigen::VectorXd& theta) {
    return *LogMarginalLikelihood(x, y, GpHyperparameters::FromVector(theta), nullptr);
  };
  CheckClose(grad, NumericGradient(f, hp.ToVector(), 1e-6), 1e-4);

  // Leave-one-out means are the posterior mean of the model without the point.
  GaussianProcess gp;
  REQUIRE(gp.Condition(x, y, hp).ok());
  const Eigen::VectorXd loo = gp.LeaveOneOutMeans();
  for (int i : {0, 47, 48, 109}) {
    Eigen::MatrixXd xo(n - 1, d);
    Eigen::VectorXd yo(n - 1);
    for (int r = 0, o = 0; r < n; ++r) {
      if (r == i) continue;
      xo.row(o) = x.row(r);
      yo(o++) = y(r);
    }
    GaussianProcess without;
    REQUIRE(without.Condition(xo, yo, hp).ok());
    Eigen::VectorXd mean, var;
    without.Predict(x.row(i), &mean, &var);
    CHECK(loo(i) == Approx(mean(0)).epsilon(1e-8).margin(1e-10));
  }
}

TEST_CASE("gp: posterior mean and variance gradients wrt x match finite differences", "[gp]") {
  const int d = 2;
  const Eigen::MatrixXd x = RandomPoints(15, d, 4);
  Eigen::VectorXd y(15);
  for (int i = 0; i < 15; ++i) y(i) = std::cos(5 * x(i, 0)) * x(i, 1);
  GpHyperparameters hp = GpHyperparameters::Default(d);
  hp.log_noise_variance = std::log(1e-4);
  GaussianProcess gp;
  REQUIRE(gp.Condition(x, y, hp).ok());
  const Eigen::MatrixXd probes = RandomPoints(5, d, 5);
  for (int i = 0; i < probes.rows(); ++i) {
    const Eigen::VectorXd p = probes.row(i).transpose();
    double mean, var;
    Eigen::VectorXd dmean, dvar;
    gp.PredictWithGradient(p, &mean, &var, &dmean, &dvar);
    Eigen::VectorXd m, v;
    gp.Predict(p.transpose(), &m, &v);
    CHECK(m(0) == Approx(mean).margin(1e-12));
    CHECK(v(0) == Approx(var).margin(1e-12));
    const auto mean_of = [&](const Eigen::VectorXd& q) {
      Eigen::VectorXd mm, vv;
      gp.Predict(q.transpose(), &mm, &vv);
      return mm(0);
    };
    const auto var_of = [&](const Eigen::VectorXd& q) {
      Eigen::VectorXd mm, vv;
      gp.Predict(q.transpose(), &mm, &vv);
      return vv(0);
    };
    CheckClose(dmean, NumericGradient(mean_of, p));
    CheckClose(dvar, NumericGradient(var_of, p));
  }
}

TEST_CASE("gp: the posterior sd and log EI / UCB gradients wrt x match finite differences",
          "[gp]") {
  const int d = 3;
  const Eigen::MatrixXd x = RandomPoints(20, d, 6);
  Eigen::VectorXd y(20);
  for (int i = 0; i < 20; ++i) y(i) = -(x.row(i).array() - 0.4).square().sum();
  GpHyperparameters hp = GpHyperparameters::Default(d);
  hp.log_noise_variance = std::log(1e-5);
  GaussianProcess gp;
  REQUIRE(gp.Condition(x, y, hp).ok());
  const double best = y.maxCoeff();
  const std::vector<std::function<AcquisitionValue(double, double)>> acquisitions = {
      [best](double m, double s) { return LogExpectedImprovement(m, s, best); },
      [best](double m, double s) { return LogExpectedImprovement(m, s, best + 3.0); },
      [](double m, double s) { return UpperConfidenceBound(m, s, 2.0); }};
  const Eigen::MatrixXd probes = RandomPoints(4, d, 7);
  for (int i = 0; i < probes.rows(); ++i) {
    const Eigen::VectorXd p = probes.row(i).transpose();
    const PosteriorGradient posterior = PosteriorWithGradient(gp, p);
    const auto sd_of = [&](const Eigen::VectorXd& q) { return PosteriorWithGradient(gp, q).sd; };
    CheckClose(posterior.d_sd, NumericGradient(sd_of, p, 1e-6), 1e-4);
    // The chain rule through mean and sd, as the designer applies it.
    for (const auto& a : acquisitions) {
      const AcquisitionValue v = a(posterior.mean, posterior.sd);
      const auto f = [&](const Eigen::VectorXd& q) {
        const PosteriorGradient at = PosteriorWithGradient(gp, q);
        return a(at.mean, at.sd).value;
      };
      CheckClose(v.d_mean * posterior.d_mean + v.d_sd * posterior.d_sd, NumericGradient(f, p, 1e-6),
                 1e-4);
    }
  }
}

TEST_CASE("gp: fantasies of the last outputs match a GP conditioned on those outputs", "[gp]") {
  const int d = 3, n = 14, pending = 3;
  const Eigen::MatrixXd x = RandomPoints(n, d, 21);
  Eigen::VectorXd y(n);
  for (int i = 0; i < n; ++i) y(i) = std::sin(4 * x(i, 0)) + x(i, 1) * x(i, 2);
  GpHyperparameters hp = GpHyperparameters::Default(d);
  hp.log_noise_variance = std::log(1e-3);
  GaussianProcess gp;
  REQUIRE(gp.Condition(x, y, hp).ok());

  // The posterior covariance of the last latent values given the other
  // outputs, from the kernel directly.
  const Matern52Kernel kernel = hp.Kernel();
  const double noise = std::exp(hp.log_noise_variance) + gp.jitter();
  const Eigen::MatrixXd rest = x.topRows(n - pending), last = x.bottomRows(pending);
  Eigen::MatrixXd k_rest = kernel.Matrix(rest, rest);
  k_rest.diagonal().array() += noise;
  const Eigen::MatrixXd k_cross = kernel.Matrix(last, rest);
  const Eigen::MatrixXd expected =
      kernel.Matrix(last, last) - k_cross * k_rest.ldlt().solve(k_cross.transpose());
  CHECK((gp.TrailingCovariance(pending) - expected).cwiseAbs().maxCoeff() < 1e-9);
  CHECK(gp.TrailingCovariance(pending).diagonal().minCoeff() > 1e-4);  // not all noise

  // Means under shifted outputs: those of a GP conditioned on them; the
  // variance stays.
  Eigen::MatrixXd shifts = Eigen::MatrixXd::Zero(n, 2);
  shifts.bottomRows(pending) << 0.3, -0.3, -1.0, 1.0, 0.5, 0.2;
  shifts(0, 1) = 0.7;  // any row may move
  const Eigen::MatrixXd weights = gp.ShiftedWeights(shifts);
  const Eigen::MatrixXd probes = RandomPoints(6, d, 22);
  Eigen::MatrixXd means;
  Eigen::VectorXd variance, plain_mean, plain_variance;
  gp.PredictUnder(weights, probes, &means, &variance);
  gp.Predict(probes, &plain_mean, &plain_variance);
  CHECK((variance - plain_variance).cwiseAbs().maxCoeff() < 1e-12);
  for (int s = 0; s < 2; ++s) {
    GaussianProcess shifted;
    REQUIRE(shifted.Condition(x, y + shifts.col(s), hp).ok());
    Eigen::VectorXd m, v;
    shifted.Predict(probes, &m, &v);
    CHECK((means.col(s) - m).cwiseAbs().maxCoeff() < 1e-9);
    CHECK((means.col(s) - plain_mean).cwiseAbs().maxCoeff() > 1e-3);  // the shift shows
    for (int i = 0; i < probes.rows(); ++i) {
      const Eigen::VectorXd p = probes.row(i).transpose();
      Eigen::VectorXd point_means, dvar, dmean;
      Eigen::MatrixXd dmeans;
      double var, mean, unused;
      gp.PredictWithGradientUnder(weights, p, &point_means, &var, &dmeans, &dvar);
      shifted.PredictWithGradient(p, &mean, &unused, &dmean, &dvar);
      CHECK(point_means(s) == Approx(mean).margin(1e-9));
      CheckClose(dmeans.col(s), dmean, 1e-9);
    }
  }
  // The chain rule the designer applies: log EI averaged over the fantasies,
  // through their means and the shared sd, against finite differences.
  const Eigen::VectorXd bests = Eigen::Vector2d(y.maxCoeff(), y.maxCoeff() + 0.4);
  const auto value_at = [&](const Eigen::VectorXd& q) {
    const FantasyPosteriorGradient at = PosteriorWithGradient(gp, weights, q);
    return LogMeanExpectedImprovement(at.means, at.sd, bests).value;
  };
  for (int i = 0; i < probes.rows(); ++i) {
    const Eigen::VectorXd p = probes.row(i).transpose();
    const FantasyPosteriorGradient at = PosteriorWithGradient(gp, weights, p);
    const FantasyValue v = LogMeanExpectedImprovement(at.means, at.sd, bests);
    CheckClose(at.d_means * v.d_means + v.d_sd * at.d_sd, NumericGradient(value_at, p, 1e-6), 1e-4);
  }
}

TEST_CASE("gp: log EI averaged over fantasies: one is log EI, several the log of the mean",
          "[gp]") {
  const AcquisitionValue single = LogExpectedImprovement(0.2, 0.5, 0.4);
  const FantasyValue one = LogMeanExpectedImprovement(Eigen::VectorXd::Constant(1, 0.2), 0.5,
                                                      Eigen::VectorXd::Constant(1, 0.4));
  CHECK(one.value == Approx(single.value).epsilon(1e-14));
  CHECK(one.d_means(0) == Approx(single.d_mean).epsilon(1e-14));
  CHECK(one.d_sd == Approx(single.d_sd).epsilon(1e-14));

  const auto check = [](const Eigen::VectorXd& means, double sd, const Eigen::VectorXd& bests) {
    const FantasyValue v = LogMeanExpectedImprovement(means, sd, bests);
    double sum = 0.0;
    for (Eigen::Index s = 0; s < means.size(); ++s)
      sum += std::exp(LogExpectedImprovement(means(s), sd, bests(s)).value);
    if (sum > 0.0) CHECK(v.value == Approx(std::log(sum / means.size())).epsilon(1e-12));
    CHECK(std::isfinite(v.value));
    const double h = 1e-6;
    for (Eigen::Index s = 0; s < means.size(); ++s) {
      Eigen::VectorXd plus = means, minus = means;
      plus(s) += h;
      minus(s) -= h;
      const double numeric = (LogMeanExpectedImprovement(plus, sd, bests).value -
                              LogMeanExpectedImprovement(minus, sd, bests).value) /
                             (2 * h);
      CHECK(v.d_means(s) == Approx(numeric).epsilon(1e-5).margin(1e-9));
    }
    const double numeric_sd = (LogMeanExpectedImprovement(means, sd + h, bests).value -
                               LogMeanExpectedImprovement(means, sd - h, bests).value) /
                              (2 * h);
    CHECK(v.d_sd == Approx(numeric_sd).epsilon(1e-5).margin(1e-9));
    return v;
  };
  Eigen::VectorXd means(4), bests(4);
  means << 0.1, -0.3, 0.6, 0.2;
  bests << 0.5, 0.5, 0.9, 0.4;
  check(means, 0.3, bests);
  // Far in the tail, where every EI underflows, it stays finite with a slope.
  const Eigen::VectorXd far_means = means.array() - 40.0;
  const FantasyValue far = check(far_means, 0.3, bests);
  CHECK(far.value < -1000.0);
  CHECK(far.d_means.sum() > 0.0);
  // A fantasy that raises the incumbent lowers the value.
  Eigen::VectorXd higher = bests;
  higher(2) += 1.0;
  CHECK(LogMeanExpectedImprovement(means, 0.3, higher).value <
        LogMeanExpectedImprovement(means, 0.3, bests).value);
}

TEST_CASE("gp: log EI matches log(EI) and its derivatives, and stays finite in the tail", "[gp]") {
  const auto ei = [](double m, double s, double best) {
    const double z = (m - best) / s;
    const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
    const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
    return s * (pdf + z * cdf);
  };
  for (double z : {3.0, 1.0, 0.0, -0.5, -1.0, -2.0, -5.0, -10.0, -20.0, -26.0, -30.0, -35.0}) {
    const double value = LogExpectedImprovement(z * 0.7, 0.7, 0.0).value;
    const double direct = std::log(ei(z * 0.7, 0.7, 0.0));
    INFO("z = " << z);
    REQUIRE(std::isfinite(direct));
    CHECK(value == Approx(direct).epsilon(1e-9));
    // Derivatives with respect to mean and sd by finite differences of log EI.
    const AcquisitionValue a = LogExpectedImprovement(z * 0.7, 0.7, 0.0);
    const double h = 1e-6;
    const double dm = (LogExpectedImprovement(z * 0.7 + h, 0.7, 0.0).value -
                       LogExpectedImprovement(z * 0.7 - h, 0.7, 0.0).value) /
                      (2 * h);
    const double ds = (LogExpectedImprovement(z * 0.7, 0.7 + h, 0.0).value -
                       LogExpectedImprovement(z * 0.7, 0.7 - h, 0.0).value) /
                      (2 * h);
    CHECK(a.d_mean == Approx(dm).epsilon(1e-5));
    CHECK(a.d_sd == Approx(ds).epsilon(1e-5));
  }
  // Where EI underflows, log EI is finite, decreasing and keeps a slope.
  CHECK(ei(-40.0, 1.0, 0.0) == 0.0);
  double previous = std::numeric_limits<double>::infinity();
  for (double z : {-24.9, -25.1, -40.0, -1e3, -1e6, -1e10, -1e100}) {
    const AcquisitionValue a = LogExpectedImprovement(z, 1.0, 0.0);
    INFO("z = " << z);
    CHECK(std::isfinite(a.value));
    CHECK(a.value < previous);
    CHECK(std::isfinite(a.d_mean));
    CHECK(a.d_mean > 0.0);
    previous = a.value;
  }
  // Continuity across the branch points.
  for (double z : {-1.0, -25.0}) {
    CHECK(LogH(z - 1e-12) == Approx(LogH(z + 1e-12)).epsilon(1e-9));
  }
  // log h(z) ~ -z^2/2 - log(sqrt(2 pi)) - 2 log|z| far in the tail.
  CHECK(LogH(-1e4) == Approx(-0.5e8 - 0.5 * std::log(2 * M_PI) - 2 * std::log(1e4)));
}

TEST_CASE("gp: the fit's noise floor: 1e-8 by default, higher when asked", "[gp]") {
  const int d = 2;
  const Eigen::MatrixXd x = RandomPoints(40, d, 41);
  Eigen::VectorXd y(40);
  for (int i = 0; i < 40; ++i) y(i) = std::pow(x(i, 0) - 0.3, 2) + 0.5 * std::pow(x(i, 1) - 0.6, 2);
  y = (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
  GpFitOptions options;
  const GpHyperparameters free = FitHyperparameters(x, y, {}, options);
  INFO("noise variance " << std::exp(free.log_noise_variance));
  // Noise-free data: the noise goes below the old floor of 1e-6, not below 1e-8.
  CHECK(free.log_noise_variance < std::log(1e-6));
  CHECK(free.log_noise_variance >= std::log(kGpMinNoiseVariance) - 1e-9);
  options.min_noise_variance = 1e-6;
  const GpHyperparameters floored = FitHyperparameters(x, y, {}, options);
  CHECK(floored.log_noise_variance >= std::log(1e-6) - 1e-9);
}

TEST_CASE("gp: a cancelled fit stops and returns its best point so far", "[gp]") {
  const int d = 2;
  const Eigen::MatrixXd x = RandomPoints(30, d, 31);
  Eigen::VectorXd y(30);
  for (int i = 0; i < 30; ++i) y(i) = std::sin(6 * x(i, 0)) + x(i, 1);
  GpHyperparameters start = GpHyperparameters::Default(d);
  start.log_signal_variance = 1.5;  // far from the optimum
  GpFitOptions options;
  const GpHyperparameters plain = FitHyperparameters(x, y, {start}, options);
  std::atomic<bool> cancel(false);
  options.cancel = &cancel;
  // Not set: the same fit.
  CHECK(FitHyperparameters(x, y, {start}, options).ToVector() == plain.ToVector());
  // Set before it starts: no evaluation, the start comes back.
  cancel = true;
  const GpHyperparameters stopped = FitHyperparameters(x, y, {start}, options);
  CHECK(stopped.ToVector() == start.ToVector());
  CHECK(stopped.ToVector() != plain.ToVector());
}

TEST_CASE("gp: starts explored on a sample of rows reach the all-rows fit's mode", "[gp]") {
  const int n = 160, d = 4;
  const Eigen::MatrixXd x = RandomPoints(n, d, 51);
  Eigen::VectorXd y(n);
  for (int i = 0; i < n; ++i) {
    y(i) = std::sin(7 * x(i, 0)) + 3 * std::pow(x(i, 1) - 0.4, 2) + 0.3 * x(i, 2) * x(i, 3);
  }
  y = (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
  const auto posterior = [&](const Eigen::MatrixXd& xs, const Eigen::VectorXd& ys,
                             const GpHyperparameters& hp) {
    return *LogMarginalLikelihood(xs, ys, hp, nullptr) + LogHyperprior(hp, nullptr);
  };
  GpFitOptions options;
  options.seed = 5;
  const GpHyperparameters all = FitHyperparameters(x, y, {}, options);
  options.explore_rows = 40;
  const GpHyperparameters explored = FitHyperparameters(x, y, {}, options);
  CHECK(explored.ToVector() != all.ToVector());  // another path
  CHECK(posterior(x, y, explored) == Approx(posterior(x, y, all)).margin(0.05));
  // Without the last fit on all rows it would be well below: a fit to 40 of
  // the rows alone is.
  const GpHyperparameters sample_only =
      FitHyperparameters(x.topRows(40), y.head(40), {}, GpFitOptions{});
  CHECK(posterior(x, y, sample_only) < posterior(x, y, all) - 1.0);
  // Deterministic; and with no more rows than that, or a single start, as before.
  CHECK(FitHyperparameters(x, y, {}, options).ToVector() == explored.ToVector());
  options.explore_rows = n;
  CHECK(FitHyperparameters(x, y, {}, options).ToVector() == all.ToVector());
  options.explore_rows = 40;
  options.random_starts = 0;
  GpFitOptions one_start = options;
  one_start.explore_rows = 0;
  CHECK(FitHyperparameters(x, y, {}, options).ToVector() ==
        FitHyperparameters(x, y, {}, one_start).ToVector());
}

TEST_CASE("gp: Cholesky escalates jitter and reports failure", "[gp]") {
  Eigen::MatrixXd lower;
  double jitter = -1.0;
  // Positive definite: no jitter.
  Eigen::MatrixXd spd(2, 2);
  spd << 2.0, 0.5, 0.5, 1.0;
  REQUIRE(CholeskyWithJitter(spd, &lower, &jitter).ok());
  CHECK(jitter == 0.0);
  // Exactly singular (a point observed three times, no noise): needs jitter.
  const Eigen::MatrixXd ones = Eigen::MatrixXd::Ones(3, 3);
  REQUIRE(CholeskyWithJitter(ones, &lower, &jitter).ok());
  CHECK(jitter > 0.0);
  CHECK(jitter <= 1e-3);
  CHECK(((lower * lower.transpose()) - ones).cwiseAbs().maxCoeff() < 1e-3);
  // A kernel matrix with a duplicated point factorises (with or without jitter).
  const Matern52Kernel k = SomeKernel(2);
  Eigen::MatrixXd x = RandomPoints(4, 2, 8);
  x.row(3) = x.row(1);
  const Eigen::MatrixXd singular = k.Matrix(x, x);
  REQUIRE(CholeskyWithJitter(singular, &lower, &jitter).ok());
  CHECK(lower.allFinite());
  // Indefinite beyond any jitter, and non-finite: errors, no crash.
  Eigen::MatrixXd indefinite(2, 2);
  indefinite << 1.0, 0.0, 0.0, -1.0;
  absl::Status s = CholeskyWithJitter(indefinite, &lower, &jitter);
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s.message().find("jitter") != std::string::npos);
  Eigen::MatrixXd nan = spd;
  nan(0, 1) = nan(1, 0) = std::nan("");
  CHECK(!CholeskyWithJitter(nan, &lower, &jitter).ok());
  // The model reports it instead of predicting NaN.
  GaussianProcess gp;
  Eigen::MatrixXd bad = RandomPoints(3, 2, 9);
  bad(1, 1) = std::nan("");
  CHECK(!gp.Condition(bad, Eigen::VectorXd::Zero(3), GpHyperparameters::Default(2)).ok());
}

TEST_CASE("gp: posterior interpolates noise-free data and the fit learns little noise", "[gp]") {
  const Eigen::MatrixXd x = RandomPoints(30, 2, 10);
  Eigen::VectorXd y(30);
  for (int i = 0; i < 30; ++i) y(i) = Branin01(x(i, 0), x(i, 1));
  y = (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
  GpFitOptions options;
  options.seed = 1;
  const GpHyperparameters hp = FitHyperparameters(x, y, {}, options);
  CHECK(hp.log_noise_variance < std::log(1e-3));
  GaussianProcess gp;
  REQUIRE(gp.Condition(x, y, hp).ok());
  Eigen::VectorXd mean, var;
  gp.Predict(x, &mean, &var);
  CHECK((mean - y).cwiseAbs().maxCoeff() < 0.05);
  CHECK(var.maxCoeff() < 0.01);
  // Away from data the variance is larger.
  Eigen::VectorXd m2, v2;
  gp.Predict(RandomPoints(50, 2, 11), &m2, &v2);
  CHECK(v2.maxCoeff() > var.maxCoeff());
  // Appending an observation equals conditioning on all of it.
  GaussianProcess appended;
  REQUIRE(appended.Condition(x.topRows(29), y.head(29), hp).ok());
  appended.Append(x.row(29).transpose(), y(29));
  Eigen::VectorXd m3, v3;
  appended.Predict(RandomPoints(5, 2, 12), &m3, &v3);
  gp.Predict(RandomPoints(5, 2, 12), &m2, &v2);
  CHECK((m3 - m2).cwiseAbs().maxCoeff() < 1e-6);
  CHECK((v3 - v2).cwiseAbs().maxCoeff() < 1e-6);
}

TEST_CASE("gp: output warp without the half-rank part only standardises", "[gp]") {
  const std::vector<std::optional<double>> values = {3.0, -1e9, 1.0, std::nullopt, 2.0};
  const Eigen::VectorXd plain = WarpOutputs(values, 1.0, false);
  Eigen::VectorXd finite(4);
  finite << 3.0, -1e9, 1.0, 2.0;
  const double mean = finite.mean();
  const double sd = std::sqrt((finite.array() - mean).square().mean());
  CHECK(plain(0) == Approx((3.0 - mean) / sd));
  CHECK(plain(1) == Approx((-1e9 - mean) / sd));
  CHECK(plain(2) == Approx((1.0 - mean) / sd));
  CHECK(plain(4) == Approx((2.0 - mean) / sd));
  CHECK(plain(3) == Approx(plain(1) - 1.0));  // the penalty below the lowest
  // The diverged run flattens the others, which the half-rank warp prevents.
  CHECK(plain(0) - plain(2) < 1e-6);
  const Eigen::VectorXd warped = WarpOutputs(values);
  CHECK(warped(0) - warped(2) > 0.5);
}

TEST_CASE("gp: output warp is monotone, standardised, robust and penalises failures", "[gp]") {
  std::vector<std::optional<double>> values = {1.0,          2.0, 3.0,          -1e9,
                                               std::nullopt, 4.0, std::nan(""), 2.5};
  const Eigen::VectorXd w = WarpOutputs(values);
  REQUIRE(w.allFinite());
  CHECK(w(0) < w(1));
  CHECK(w(1) < w(7));
  CHECK(w(7) < w(2));
  CHECK(w(2) < w(5));
  CHECK(w(3) < w(0));
  // The outlier does not squash the rest: it sits a few sd below.
  CHECK(w(3) > -4.0);
  CHECK((w(5) - w(1)) > 0.5);
  const double worst = std::min({w(0), w(1), w(2), w(3), w(5), w(7)});
  CHECK(w(4) == Approx(worst - 1.0));
  CHECK(w(6) == Approx(worst - 1.0));
  // All equal or all missing: finite.
  CHECK(WarpOutputs({2.0, 2.0, 2.0}).allFinite());
  CHECK(WarpOutputs({std::nullopt, std::nullopt}).allFinite());
  CHECK(NormalQuantile(0.975) == Approx(1.959964).epsilon(1e-6));
}

}  // namespace
}  // namespace tuner
