#include "algorithms/gp_regression.h"

#include <algorithm>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>
#include <limits>
#include <nlopt.hpp>
#include <numeric>
#include <string>

namespace tuner {
namespace {

constexpr double kLog2Pi = 1.8378770664093454836;

// Prior parameters (see the header).
constexpr double kLengthScaleLogSd = 1.5;
constexpr double kSignalLogSd = 1.5;
constexpr double kNoiseLogMean = -6.907755278982137;  // log 1e-3
constexpr double kNoiseLogSd = 3.0;
constexpr double kMeanSd = 1.0;
constexpr double kAdditiveLogMean = 0.0;  // log 1
constexpr double kAdditiveLogSd = 2.0;

double LengthScaleLogMean(int dimension) {
  return std::log(0.5) + 0.5 * std::log(std::max(1, dimension));
}

constexpr Eigen::Index kBlockedBelow = 48;  // plain solves for smaller blocks

// l := l^-1 for a lower-triangular l (the strict upper part is left alone), by
// blocks: [A 0; B C]^-1 = [A^-1 0; -C^-1 B A^-1 C^-1]. About n^3 / 3 flops, a
// third of a triangular solve against the identity.
void InvertLowerInPlace(Eigen::Ref<Eigen::MatrixXd> l) {
  const Eigen::Index n = l.rows();
  if (n < kBlockedBelow) {
    Eigen::MatrixXd inverse = Eigen::MatrixXd::Identity(n, n);
    l.triangularView<Eigen::Lower>().solveInPlace(inverse);
    l.triangularView<Eigen::Lower>() = inverse;
    return;
  }
  const Eigen::Index h = n / 2, m = n - h;
  InvertLowerInPlace(l.topLeftCorner(h, h));
  InvertLowerInPlace(l.bottomRightCorner(m, m));
  const Eigen::MatrixXd c_inv_b =
      l.bottomRightCorner(m, m).triangularView<Eigen::Lower>() * l.bottomLeftCorner(m, h);
  l.bottomLeftCorner(m, h).noalias() =
      -c_inv_b * l.topLeftCorner(h, h).triangularView<Eigen::Lower>();
}

// out := t^T t (full, symmetric) for a lower-triangular t, by blocks:
// [A 0; B C]^T [A 0; B C] = [A^T A + B^T B, B^T C; C^T B, C^T C]. About n^3 / 2
// flops. `out` is n x n.
void LowerGram(const Eigen::Ref<const Eigen::MatrixXd>& t, Eigen::Ref<Eigen::MatrixXd> out) {
  const Eigen::Index n = t.rows();
  if (n < kBlockedBelow) {
    const Eigen::MatrixXd lower = t.triangularView<Eigen::Lower>();
    out.noalias() = lower.transpose() * lower;
    return;
  }
  const Eigen::Index h = n / 2, m = n - h;
  LowerGram(t.topLeftCorner(h, h), out.topLeftCorner(h, h));
  out.topLeftCorner(h, h).noalias() +=
      t.bottomLeftCorner(m, h).transpose() * t.bottomLeftCorner(m, h);
  LowerGram(t.bottomRightCorner(m, m), out.bottomRightCorner(m, m));
  out.bottomLeftCorner(m, h).noalias() =
      t.bottomRightCorner(m, m).triangularView<Eigen::Lower>().transpose() *
      t.bottomLeftCorner(m, h);
  out.topRightCorner(h, m) = out.bottomLeftCorner(m, h).transpose();
}

// sum_ab w_ab a_ab for a symmetric w and a symmetric `lower` of which only
// the lower triangle is read.
double SymmetricContraction(const Eigen::MatrixXd& w, const Eigen::MatrixXd& lower) {
  double off = 0.0;
  for (Eigen::Index j = 0; j + 1 < w.cols(); ++j) {
    off += w.col(j).tail(w.rows() - j - 1).dot(lower.col(j).tail(w.rows() - j - 1));
  }
  return 2.0 * off + w.diagonal().dot(lower.diagonal());
}

}  // namespace

GpHyperparameters GpHyperparameters::Default(int dimension) {
  GpHyperparameters hp;
  hp.log_length_scales = Eigen::VectorXd::Constant(dimension, LengthScaleLogMean(dimension));
  hp.log_signal_variance = 0.0;
  hp.log_noise_variance = kNoiseLogMean;
  hp.mean = 0.0;
  hp.log_additive_weight = kAdditiveLogMean;
  return hp;
}

Eigen::VectorXd GpHyperparameters::ToVector() const {
  const Eigen::Index d = log_length_scales.size();
  Eigen::VectorXd theta(d + 4);
  theta.head(d) = log_length_scales;
  theta(d) = log_signal_variance;
  theta(d + 1) = log_noise_variance;
  theta(d + 2) = mean;
  theta(d + 3) = log_additive_weight;
  return theta;
}

GpHyperparameters GpHyperparameters::FromVector(const Eigen::VectorXd& theta) {
  const Eigen::Index d = theta.size() - 4;
  GpHyperparameters hp;
  hp.log_length_scales = theta.head(d);
  hp.log_signal_variance = theta(d);
  hp.log_noise_variance = theta(d + 1);
  hp.mean = theta(d + 2);
  hp.log_additive_weight = theta(d + 3);
  return hp;
}

Matern52Kernel GpHyperparameters::Kernel() const {
  return Matern52Kernel{log_length_scales, log_signal_variance, log_additive_weight};
}

void HyperparameterBounds(int dimension, Eigen::VectorXd* lower, Eigen::VectorXd* upper) {
  lower->resize(dimension + 4);
  upper->resize(dimension + 4);
  lower->head(dimension).setConstant(std::log(0.01));
  upper->head(dimension).setConstant(std::log(50.0));
  (*lower)(dimension) = std::log(0.01);
  (*upper)(dimension) = std::log(100.0);
  (*lower)(dimension + 1) = std::log(kGpMinNoiseVariance);
  (*upper)(dimension + 1) = std::log(2.0);
  (*lower)(dimension + 2) = -5.0;
  (*upper)(dimension + 2) = 5.0;
  (*lower)(dimension + 3) = std::log(1e-4);
  (*upper)(dimension + 3) = std::log(100.0);
}

absl::Status CholeskyWithJitter(const Eigen::MatrixXd& a, Eigen::MatrixXd* lower, double* jitter) {
  if (!a.allFinite()) {
    return absl::FailedPreconditionError("Cholesky: the covariance has non-finite entries");
  }
  const Eigen::Index n = a.rows();
  const double scale = n > 0 ? std::max(a.diagonal().mean(), 1e-300) : 1.0;
  double added = 0.0;
  for (int attempt = 0; attempt <= 8; ++attempt) {
    added = attempt == 0 ? 0.0 : scale * std::pow(10.0, -11 + attempt);  // 1e-10 .. 1e-3
    *lower = a;  // factorised in place: no allocation when the size matches
    lower->diagonal().array() += added;
    const Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(*lower);
    if (llt.info() != Eigen::Success) continue;
    lower->triangularView<Eigen::StrictlyUpper>().setZero();
    if (!lower->allFinite() || (lower->diagonal().array() <= 0.0).any()) continue;
    *jitter = added;
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      "Cholesky: the covariance is not positive definite even with jitter " +
      std::to_string(added) + " on the diagonal");
}

namespace {

// Scratch storage of the marginal likelihood, reused across the evaluations
// of one fit: fresh n x n matrices at every evaluation cost as much in page
// faults as the arithmetic.
struct LmlWorkspace {
  Matern52Kernel::SelfTerms terms;
  Eigen::MatrixXd lower, inverse, w, m, x1, mx;
};

absl::StatusOr<double> Lml(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                           const GpHyperparameters& hp, Eigen::VectorXd* gradient,
                           LmlWorkspace& ws) {
  const Eigen::Index n = x.rows(), d = x.cols();
  const Matern52Kernel kernel = hp.Kernel();
  Matern52Kernel::SelfTerms& terms = ws.terms;
  kernel.Self(x, gradient != nullptr, &terms);
  const double noise = std::exp(hp.log_noise_variance);
  terms.k.diagonal().array() += noise;  // K + noise I from here on
  Eigen::MatrixXd& lower = ws.lower;
  double jitter = 0.0;
  if (absl::Status s = CholeskyWithJitter(terms.k, &lower, &jitter); !s.ok()) return s;
  const auto l = lower.triangularView<Eigen::Lower>();
  const Eigen::VectorXd centred = y.array() - hp.mean;
  Eigen::VectorXd alpha = l.solve(centred);
  lower.transpose().triangularView<Eigen::Upper>().solveInPlace(alpha);
  const double lml = -0.5 * centred.dot(alpha) - lower.diagonal().array().log().sum() -
                     0.5 * static_cast<double>(n) * kLog2Pi;
  if (!std::isfinite(lml)) {
    return absl::FailedPreconditionError("log marginal likelihood is not finite");
  }
  if (gradient != nullptr) {
    // W = alpha alpha^T - K^-1, K^-1 = L^-T L^-1; symmetric.
    ws.inverse = lower;
    InvertLowerInPlace(ws.inverse);
    Eigen::MatrixXd& w = ws.w;
    w.resize(n, n);
    LowerGram(ws.inverse, w);
    w = alpha * alpha.transpose() - w;
    gradient->resize(d + 4);
    // dK_ab/dlog l_i = g_ab (x_ai - x_bi)^2 / l_i^2, so with M = W o G:
    // sum_ab M_ab (x_ai - x_bi)^2 = 2 sum_a x_ai^2 (M 1)_a - 2 x_i^T M x_i.
    ws.m = w.cwiseProduct(terms.radial);  // lower triangle
    ws.x1.resize(n, d + 1);
    ws.x1 << x, Eigen::VectorXd::Ones(n);
    ws.mx.noalias() = ws.m.selfadjointView<Eigen::Lower>() * ws.x1;  // [M x, M 1]
    for (Eigen::Index i = 0; i < d; ++i) {
      const double inv_l2 = std::exp(-2.0 * hp.log_length_scales(i));
      const double s = 2.0 * x.col(i).array().square().matrix().dot(ws.mx.col(d)) -
                       2.0 * x.col(i).dot(ws.mx.col(i));
      const double additive =
          terms.additive_length.empty() ? 0.0 : SymmetricContraction(w, terms.additive_length[i]);
      (*gradient)(i) = 0.5 * (s * inv_l2 + additive);
    }
    // dK/dlog s^2 is K without the noise.
    (*gradient)(d) = 0.5 * (SymmetricContraction(w, terms.k) - noise * w.trace());
    (*gradient)(d + 1) = 0.5 * noise * w.trace();
    (*gradient)(d + 2) = alpha.sum();
    (*gradient)(d + 3) =
        terms.additive.size() == 0 ? 0.0 : 0.5 * SymmetricContraction(w, terms.additive);
  }
  return lml;
}

}  // namespace

absl::StatusOr<double> LogMarginalLikelihood(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                             const GpHyperparameters& hp,
                                             Eigen::VectorXd* gradient) {
  LmlWorkspace workspace;
  return Lml(x, y, hp, gradient, workspace);
}

double LogHyperprior(const GpHyperparameters& hp, Eigen::VectorXd* gradient) {
  const Eigen::Index d = hp.log_length_scales.size();
  const double mu_l = LengthScaleLogMean(static_cast<int>(d));
  const Eigen::ArrayXd zl = (hp.log_length_scales.array() - mu_l) / kLengthScaleLogSd;
  const double zs = hp.log_signal_variance / kSignalLogSd;
  const double zn = (hp.log_noise_variance - kNoiseLogMean) / kNoiseLogSd;
  const double zc = hp.mean / kMeanSd;
  const double zw = (hp.log_additive_weight - kAdditiveLogMean) / kAdditiveLogSd;
  if (gradient != nullptr) {
    gradient->resize(d + 4);
    gradient->head(d) = (-zl / kLengthScaleLogSd).matrix();
    (*gradient)(d) = -zs / kSignalLogSd;
    (*gradient)(d + 1) = -zn / kNoiseLogSd;
    (*gradient)(d + 2) = -zc / kMeanSd;
    (*gradient)(d + 3) = -zw / kAdditiveLogSd;
  }
  return -0.5 * (zl.square().sum() + zs * zs + zn * zn + zc * zc + zw * zw);
}

namespace {

struct FitState {
  const Eigen::MatrixXd* x;
  const Eigen::VectorXd* y;
  double best_value = -std::numeric_limits<double>::infinity();
  Eigen::VectorXd best_theta;
  LmlWorkspace workspace;
  const std::atomic<bool>* cancel = nullptr;
};

bool Cancelled(const FitState& state) {
  return state.cancel != nullptr && state.cancel->load(std::memory_order_relaxed);
}

double FitObjective(const std::vector<double>& theta_std, std::vector<double>& grad, void* data) {
  FitState* state = static_cast<FitState*>(data);
  if (Cancelled(*state)) throw nlopt::forced_stop();
  const Eigen::VectorXd theta = Eigen::Map<const Eigen::VectorXd>(
      theta_std.data(), static_cast<Eigen::Index>(theta_std.size()));
  const GpHyperparameters hp = GpHyperparameters::FromVector(theta);
  Eigen::VectorXd lml_grad, prior_grad;
  absl::StatusOr<double> lml =
      Lml(*state->x, *state->y, hp, grad.empty() ? nullptr : &lml_grad, state->workspace);
  const double prior = LogHyperprior(hp, grad.empty() ? nullptr : &prior_grad);
  if (!lml.ok()) {
    // A very poor value with a gradient pulling towards more noise and
    // shorter correlation makes the line search back off.
    for (size_t i = 0; i < grad.size(); ++i) grad[i] = 0.0;
    if (!grad.empty()) grad[grad.size() - 3] = 1.0;
    return -1e10;
  }
  const double value = *lml + prior;
  if (!grad.empty()) {
    const Eigen::VectorXd total = lml_grad + prior_grad;
    for (size_t i = 0; i < grad.size(); ++i) grad[i] = total(static_cast<Eigen::Index>(i));
  }
  if (value > state->best_value && std::isfinite(value)) {
    state->best_value = value;
    state->best_theta = theta;
  }
  return value;
}

// The best point seen by L-BFGS-B from each of `thetas` within [lower, upper].
Eigen::VectorXd MaximisePosterior(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                  const std::vector<Eigen::VectorXd>& thetas,
                                  const Eigen::VectorXd& lower, const Eigen::VectorXd& upper,
                                  const GpFitOptions& options) {
  FitState state{&x, &y};
  state.cancel = options.cancel;
  state.best_theta = thetas.front().cwiseMax(lower).cwiseMin(upper);
  const std::vector<double> lo(lower.data(), lower.data() + lower.size());
  const std::vector<double> hi(upper.data(), upper.data() + upper.size());
  for (const Eigen::VectorXd& theta0 : thetas) {
    if (Cancelled(state)) break;
    const Eigen::VectorXd clamped = theta0.cwiseMax(lower).cwiseMin(upper);
    std::vector<double> theta(clamped.data(), clamped.data() + clamped.size());
    nlopt::opt opt(nlopt::LD_LBFGS, static_cast<unsigned>(theta.size()));
    opt.set_lower_bounds(lo);
    opt.set_upper_bounds(hi);
    opt.set_max_objective(FitObjective, &state);
    opt.set_maxeval(options.max_evaluations);
    opt.set_ftol_rel(1e-9);
    opt.set_xtol_rel(1e-6);
    double value = 0.0;
    try {
      opt.optimize(theta, value);
    } catch (const std::exception&) {
      // Round-off limits, a cancelled fit and the like: the best point seen
      // is kept in `state`.
    }
  }
  return state.best_theta;
}

// `count` of the `n` row indices, a seeded sample, ascending.
std::vector<Eigen::Index> SampleRows(Eigen::Index n, Eigen::Index count, uint64_t seed) {
  std::vector<Eigen::Index> rows(static_cast<size_t>(n));
  std::iota(rows.begin(), rows.end(), Eigen::Index{0});
  boost::random::mt19937_64 engine(seed);
  for (Eigen::Index i = 0; i < count; ++i) {  // partial Fisher-Yates
    boost::random::uniform_int_distribution<Eigen::Index> pick(i, n - 1);
    std::swap(rows[static_cast<size_t>(i)], rows[static_cast<size_t>(pick(engine))]);
  }
  rows.resize(static_cast<size_t>(count));
  std::sort(rows.begin(), rows.end());
  return rows;
}

}  // namespace

GpHyperparameters FitHyperparameters(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                     const std::vector<GpHyperparameters>& starts,
                                     const GpFitOptions& options) {
  const int d = static_cast<int>(x.cols());
  std::vector<Eigen::VectorXd> thetas;
  for (const GpHyperparameters& s : starts) thetas.push_back(s.ToVector());
  if (thetas.empty()) thetas.push_back(GpHyperparameters::Default(d).ToVector());
  Eigen::VectorXd lower, upper;
  HyperparameterBounds(d, &lower, &upper);
  if (!options.additive) upper(d + 3) = lower(d + 3);
  lower(d + 1) = std::log(options.min_noise_variance);
  boost::random::mt19937_64 engine(options.seed);
  {
    boost::random::normal_distribution<double> normal;
    const GpHyperparameters mode = GpHyperparameters::Default(d);
    for (int r = 0; r < options.random_starts; ++r) {
      GpHyperparameters hp = mode;
      for (int i = 0; i < d; ++i) hp.log_length_scales(i) += kLengthScaleLogSd * normal(engine);
      hp.log_signal_variance += 0.5 * kSignalLogSd * normal(engine);
      hp.log_noise_variance += 0.5 * kNoiseLogSd * normal(engine);
      hp.log_additive_weight += 0.5 * kAdditiveLogSd * normal(engine);
      thetas.push_back(hp.ToVector());
    }
  }
  if (options.explore_rows > 0 && x.rows() > options.explore_rows && thetas.size() > 1) {
    const std::vector<Eigen::Index> rows = SampleRows(x.rows(), options.explore_rows, engine());
    const Eigen::MatrixXd xs = x(rows, Eigen::all);
    const Eigen::VectorXd ys = y(rows);
    thetas = {MaximisePosterior(xs, ys, thetas, lower, upper, options)};
  }
  return GpHyperparameters::FromVector(MaximisePosterior(x, y, thetas, lower, upper, options));
}

absl::Status GaussianProcess::Condition(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                        const GpHyperparameters& hp) {
  hp_ = hp;
  kernel_ = hp.Kernel();
  x_ = x;
  y_ = y;
  Matern52Kernel::SelfTerms terms;
  kernel_.Self(x, false, &terms);
  Eigen::MatrixXd& k = terms.k;
  k.diagonal().array() += std::exp(hp.log_noise_variance);
  if (absl::Status s = CholeskyWithJitter(k, &lower_, &jitter_); !s.ok()) {
    x_.resize(0, x.cols());
    y_.resize(0);
    return s;
  }
  const auto l = lower_.triangularView<Eigen::Lower>();
  alpha_ = l.solve((y.array() - hp.mean).matrix());
  lower_.transpose().triangularView<Eigen::Upper>().solveInPlace(alpha_);
  return absl::OkStatus();
}

void GaussianProcess::Append(const Eigen::VectorXd& x, double y) {
  const Eigen::Index n = x_.rows();
  const Eigen::VectorXd kx = kernel_.Matrix(x_, x.transpose()).col(0);
  const Eigen::VectorXd l = lower_.triangularView<Eigen::Lower>().solve(kx);
  const double kxx = kernel_.prior_variance() + std::exp(hp_.log_noise_variance) + jitter_;
  // The new diagonal entry is at least the noise and jitter, so the factor
  // stays positive definite even for a duplicate input.
  const double floor = std::max(std::exp(hp_.log_noise_variance) + jitter_, 1e-10);
  const double d2 = std::max(kxx - l.squaredNorm(), floor);
  lower_.conservativeResize(n + 1, n + 1);
  lower_.row(n).head(n) = l.transpose();
  lower_.col(n).setZero();
  lower_(n, n) = std::sqrt(d2);
  x_.conservativeResize(n + 1, Eigen::NoChange);
  x_.row(n) = x.transpose();
  y_.conservativeResize(n + 1);
  y_(n) = y;
  const auto lv = lower_.triangularView<Eigen::Lower>();
  alpha_ = lv.solve((y_.array() - hp_.mean).matrix());
  lower_.transpose().triangularView<Eigen::Upper>().solveInPlace(alpha_);
}

void GaussianProcess::Predict(const Eigen::MatrixXd& points, Eigen::VectorXd* mean,
                              Eigen::VectorXd* variance) const {
  Eigen::MatrixXd means;
  PredictUnder(alpha_, points, &means, variance);
  *mean = means.col(0);
}

void GaussianProcess::PredictWithGradient(const Eigen::VectorXd& x, double* mean, double* variance,
                                          Eigen::VectorXd* mean_gradient,
                                          Eigen::VectorXd* variance_gradient) const {
  Eigen::VectorXd means;
  Eigen::MatrixXd gradients;
  PredictWithGradientUnder(alpha_, x, &means, variance, &gradients, variance_gradient);
  *mean = means(0);
  *mean_gradient = gradients.col(0);
}

Eigen::MatrixXd GaussianProcess::TrailingCovariance(int count) const {
  // The factor's trailing block L22 gives L22 L22' = the predictive
  // covariance of the noisy outputs given the others (the Schur complement);
  // the latent values' lacks the noise and jitter on the diagonal.
  const Eigen::MatrixXd l22 =
      lower_.bottomRightCorner(count, count).triangularView<Eigen::Lower>().toDenseMatrix();
  Eigen::MatrixXd c = l22 * l22.transpose();
  c.diagonal().array() -= std::exp(hp_.log_noise_variance) + jitter_;
  return c;
}

Eigen::MatrixXd GaussianProcess::ShiftedWeights(const Eigen::MatrixXd& shifts) const {
  Eigen::MatrixXd w = lower_.triangularView<Eigen::Lower>().solve(shifts);
  lower_.transpose().triangularView<Eigen::Upper>().solveInPlace(w);
  return w.colwise() + alpha_;
}

void GaussianProcess::PredictUnder(const Eigen::MatrixXd& weights, const Eigen::MatrixXd& points,
                                   Eigen::MatrixXd* means, Eigen::VectorXd* variance) const {
  const Eigen::MatrixXd ks = kernel_.Matrix(points, x_);  // N x n
  *means = (ks * weights).array() + hp_.mean;
  const Eigen::MatrixXd v = lower_.triangularView<Eigen::Lower>().solve(ks.transpose());
  *variance = (kernel_.prior_variance() - v.colwise().squaredNorm().transpose().array())
                  .cwiseMax(0.0)
                  .matrix();
}

void GaussianProcess::PredictWithGradientUnder(const Eigen::MatrixXd& weights,
                                               const Eigen::VectorXd& x, Eigen::VectorXd* means,
                                               double* variance, Eigen::MatrixXd* mean_gradients,
                                               Eigen::VectorXd* variance_gradient) const {
  const Eigen::VectorXd ks = kernel_.Matrix(x.transpose(), x_).row(0).transpose();
  const Eigen::MatrixXd dk = kernel_.GradientWrtX(x, x_);  // D x n
  *means = (weights.transpose() * ks).array() + hp_.mean;
  const auto l = lower_.triangularView<Eigen::Lower>();
  const Eigen::VectorXd v = l.solve(ks);
  const Eigen::VectorXd k_inv_ks = lower_.transpose().triangularView<Eigen::Upper>().solve(v);
  const double var = kernel_.prior_variance() - v.squaredNorm();
  *mean_gradients = dk * weights;
  if (var > 0.0) {
    *variance = var;
    *variance_gradient = -2.0 * dk * k_inv_ks;
  } else {
    *variance = 0.0;
    *variance_gradient = Eigen::VectorXd::Zero(x.size());
  }
}

Eigen::VectorXd GaussianProcess::TrainingMean() const {
  // k(X, X) alpha = (K - (sn^2 + jitter) I) alpha = y - c - (sn^2 + jitter) alpha.
  return y_ - (std::exp(hp_.log_noise_variance) + jitter_) * alpha_;
}

Eigen::VectorXd GaussianProcess::LeaveOneOutMeans() const {
  // diag(K^-1) = squared column norms of L^-1.
  Eigen::MatrixXd inverse_lower = lower_;
  InvertLowerInPlace(inverse_lower);
  const Eigen::VectorXd diagonal = inverse_lower.colwise().squaredNorm().transpose();
  return y_ - alpha_.cwiseQuotient(diagonal);
}

}  // namespace tuner
