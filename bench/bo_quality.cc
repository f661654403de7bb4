// bo_quality: optimisation quality and suggestion latency of our designers on
// standard test functions, as a table next to Optuna's samplers (run
// bench/optuna_quality.py for theirs; bench/combine_quality.py merges both).
//
//   bo_quality [--seeds N] [--jobs J] [--functions a,b]
//              [--designers random,sobol,gp,gp_ucb,gp_one_transform,gp_believer,gp_all_rows]
//              [--budget T]
//              [--tsv FILE] [--no-latency] [--latency-only] [--latency-runs R]
//              [--workers W] [--warm-start]
// (gp_ucb: UCB acquisition; gp_one_transform: no portfolio of output transforms;
// gp_believer: running trials at the posterior mean, their outcomes not drawn;
// gp_all_rows: every start of a cold fit on all its rows.)
//
// Quality: each designer runs sequentially (one trial at a time) for 50 trials
// on 2-D functions and 100 on larger ones (25 on digits_svc; T with --budget),
// the GP designer being told that budget as the study's max_trials, for seeds
// 0..N-1; the table shows the median and interquartile range of the simple
// regret f(best) - f* (for a noisy function, the noise-free value of the best
// observed point).
// --workers W: the same budget with W asynchronous workers instead
// (RunParallel: trial times drawn so that trials finish out of order).
// --warm-start: the warm-start table instead (WarmStartBench).
// Latency: a designer is given n completed trials of Hartmann-6 (random
// points), then max(21, n/10 + 2) times one more completed trial, Update()
// and Suggest(1): enough to pass a point where the GP refits (it refits when
// the data grew by 10%); the table shows the median and the maximum of those
// timings, the first call (a restart), and the first call of a designer
// given the saved state of the first (a restart that kept it), each the
// median over R runs (--latency-runs, 3).
// The first nine functions and their optima as in Surjanovic and Bingham's
// "Virtual library of simulation experiments" (sfu.ca/~ssurjano); the extended
// suite after them is defined here, with the same formulas in
// bench/optuna_quality.py.
#include <algorithm>
#include <atomic>
#include <boost/random/lognormal_distribution.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "algorithms/designer.h"
#include "algorithms/designer_factory.h"
#include "algorithms/gp_designer.h"
#include "algorithms/random_designer.h"
#include "algorithms/sobol_designer.h"
#include "bench/digits_table.h"

namespace tuner {
namespace {

constexpr double kPi = 3.14159265358979323846;

// A minimisation problem: its space, its noise-free value, and the Gaussian
// noise added to what the designer sees (regret is judged on the noise-free
// value of the point with the best observed value, as a user would pick it).
struct TestFunction {
  std::string name;
  int dimension;
  SearchSpace space;
  double optimum;
  std::function<double(const Assignment&)> value;
  double noise_sd = 0.0;
  int fixed_budget = 0;  // 0: 50 trials on 2-D functions, 100 on larger ones
  int budget() const {
    if (fixed_budget > 0) return fixed_budget;
    return dimension == 2 ? 50 : 100;
  }
};

using BoxFunction = std::function<double(const std::vector<double>&)>;

SearchSpace BoxSpace(const std::vector<std::pair<double, double>>& bounds) {
  SearchSpace space;
  for (size_t i = 0; i < bounds.size(); ++i) {
    ParameterSpec p;
    p.name = "x" + std::to_string(i);
    p.type = ParameterType::kDouble;
    p.min = bounds[i].first;
    p.max = bounds[i].second;
    space.parameters.push_back(p);
  }
  return space;
}

std::vector<double> PointOf(const Assignment& a, size_t dimension) {
  std::vector<double> x(dimension);
  for (size_t i = 0; i < dimension; ++i) x[i] = std::get<double>(a.at("x" + std::to_string(i)));
  return x;
}

TestFunction Box(std::string name, std::vector<std::pair<double, double>> bounds, double optimum,
                 BoxFunction f, double noise_sd = 0.0) {
  const size_t d = bounds.size();
  return {std::move(name),
          static_cast<int>(d),
          BoxSpace(bounds),
          optimum,
          [d, f = std::move(f)](const Assignment& a) { return f(PointOf(a, d)); },
          noise_sd};
}

// A fixed rotation of R^d: Givens rotations of every pair (i, j), i < j, in
// order, by the angle 0.5 + 0.37 (i + 1) + 0.23 (j + 1). The same formula is in
// bench/optuna_quality.py.
std::vector<double> Rotate(std::vector<double> z) {
  for (size_t i = 0; i < z.size(); ++i) {
    for (size_t j = i + 1; j < z.size(); ++j) {
      const double t = 0.5 + 0.37 * static_cast<double>(i + 1) + 0.23 * static_cast<double>(j + 1);
      const double c = std::cos(t), s = std::sin(t);
      const double zi = z[i], zj = z[j];
      z[i] = c * zi - s * zj;
      z[j] = s * zi + c * zj;
    }
  }
  return z;
}

double StyblinskiTang(const std::vector<double>& x) {
  double s = 0.0;
  for (double v : x) s += std::pow(v, 4) - 16 * v * v + 5 * v;
  return 0.5 * s;
}

double Hartmann(const std::vector<double>& x, const std::vector<std::vector<double>>& a,
                const std::vector<std::vector<double>>& p) {
  const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  double s = 0.0;
  for (int i = 0; i < 4; ++i) {
    double inner = 0.0;
    for (size_t j = 0; j < x.size(); ++j) inner += a[i][j] * std::pow(x[j] - p[i][j], 2);
    s += alpha[i] * std::exp(-inner);
  }
  return -s;
}

constexpr double kHartmann6Optimum = -3.32236801141551;

double Hartmann6(const std::vector<double>& x) {
  static const std::vector<std::vector<double>> a = {{10, 3, 17, 3.5, 1.7, 8},
                                                     {0.05, 10, 17, 0.1, 8, 14},
                                                     {3, 3.5, 1.7, 10, 17, 8},
                                                     {17, 8, 0.05, 10, 0.1, 14}};
  static const std::vector<std::vector<double>> p = {
      {0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
      {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
      {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
      {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  return Hartmann(x, a, p);
}

// Four Gaussian wells in [0, 1]^3; the deepest (1.5) has width 0.04, the
// others 0.2, 0.08 and 0.15. The optimum, found by a local search from the
// deep well's centre, is a little below -1.5 because of the other wells.
constexpr double kNarrowWellsOptimum = -1.500286114560827;

double NarrowWells(const std::vector<double>& x) {
  static const double m[4][3] = {
      {0.8, 0.15, 0.6}, {0.25, 0.7, 0.3}, {0.6, 0.8, 0.85}, {0.2, 0.2, 0.8}};
  static const double depth[4] = {1.5, 1.0, 1.2, 0.9};
  static const double width[4] = {0.04, 0.2, 0.08, 0.15};
  double s = 0.0;
  for (int k = 0; k < 4; ++k) {
    double r2 = 0.0;
    for (int i = 0; i < 3; ++i) r2 += std::pow(x[i] - m[k][i], 2);
    s -= depth[k] * std::exp(-r2 / (2 * width[k] * width[k]));
  }
  return s;
}

// A mixed space: two doubles, an integer, a categorical, and a log-scale
// double present only for one category. Optimum 0.05 at x0 = 0.35, x1 = 0.8,
// n = 13, kind = "sine", width = 10^0.3.
TestFunction MixedFunction() {
  SearchSpace space = BoxSpace({{0, 1}, {0, 1}});
  ParameterSpec n{.name = "n", .type = ParameterType::kInteger, .min = 1, .max = 20};
  ParameterSpec kind{.name = "kind", .type = ParameterType::kCategorical};
  kind.values = {std::string("linear"), std::string("quadratic"), std::string("sine")};
  ParameterSpec width{.name = "width", .type = ParameterType::kDouble, .min = 0.1, .max = 10};
  width.scale = Scale::kLog;
  width.when = Condition{"kind", {std::string("sine")}};
  space.parameters.push_back(n);
  space.parameters.push_back(kind);
  space.parameters.push_back(width);
  return {"mixed5", 5, space, 0.05, [](const Assignment& a) {
            const double x0 = std::get<double>(a.at("x0")), x1 = std::get<double>(a.at("x1"));
            const double n = static_cast<double>(std::get<int64_t>(a.at("n")));
            const std::string& kind = std::get<std::string>(a.at("kind"));
            double f = std::pow(x0 - 0.35, 2) + std::pow(x1 - 0.8, 2) + std::pow((n - 13) / 10, 2);
            if (kind == "linear") return f + 0.3;
            if (kind == "quadratic") return f + 0.15;
            return f + 0.05 + 0.2 * std::pow(std::log10(std::get<double>(a.at("width"))) - 0.3, 2);
          }};
}

// The tabular `digits_svc` problem: the cross-validated error of a real model
// (an SVC on scikit-learn's digits after bucketing the pixels) for every
// configuration, read from bench/data/digits_svc.tsv (bench/make_digits_table.py
// writes it). Parameters: `buckets` (discrete), `c` and `g` (integer exponents:
// C = 10^(c/2), gamma = 10^(g/2)). Optimum: the table's lowest error. Budget:
// 25 trials (100 would be a seventh of the table, where every method finds it).
TestFunction DigitsSvc() {
  auto table = std::make_shared<DigitsTable>(ReadDigitsTable("digits_svc.tsv", 1));
  double best = std::numeric_limits<double>::infinity();
  for (const auto& [key, v] : table->values) best = std::min(best, v[0]);
  TestFunction f{"digits_svc", 3, table->space, best,
                 [table](const Assignment& a) { return table->values.at(DigitsKeyOf(a))[0]; }};
  f.fixed_budget = 25;
  return f;
}

std::vector<TestFunction> Functions() {
  std::vector<TestFunction> out;
  out.push_back(Box("branin", {{-5, 10}, {0, 15}}, 0.397887357729739, [](const auto& x) {
    const double b = 5.1 / (4 * kPi * kPi), c = 5 / kPi, t = 1 / (8 * kPi);
    return std::pow(x[1] - b * x[0] * x[0] + c * x[0] - 6, 2) + 10 * (1 - t) * std::cos(x[0]) + 10;
  }));
  out.push_back(Box("six_hump_camel", {{-3, 3}, {-2, 2}}, -1.031628453489877, [](const auto& x) {
    const double a = x[0], b = x[1];
    return (4 - 2.1 * a * a + std::pow(a, 4) / 3) * a * a + a * b + (-4 + 4 * b * b) * b * b;
  }));
  out.push_back(Box("goldstein_price", {{-2, 2}, {-2, 2}}, 3.0, [](const auto& x) {
    const double a = x[0], b = x[1];
    const double t1 =
        1 + std::pow(a + b + 1, 2) * (19 - 14 * a + 3 * a * a - 14 * b + 6 * a * b + 3 * b * b);
    const double t2 = 30 + std::pow(2 * a - 3 * b, 2) *
                               (18 - 32 * a + 12 * a * a + 48 * b - 36 * a * b + 27 * b * b);
    return t1 * t2;
  }));
  out.push_back(Box("hartmann3", std::vector<std::pair<double, double>>(3, {0, 1}),
                    -3.86278214782076, [](const auto& x) {
                      static const std::vector<std::vector<double>> a = {
                          {3, 10, 30}, {0.1, 10, 35}, {3, 10, 30}, {0.1, 10, 35}};
                      static const std::vector<std::vector<double>> p = {{0.3689, 0.1170, 0.2673},
                                                                         {0.4699, 0.4387, 0.7470},
                                                                         {0.1091, 0.8732, 0.5547},
                                                                         {0.0381, 0.5743, 0.8828}};
                      return Hartmann(x, a, p);
                    }));
  out.push_back(Box("hartmann6", std::vector<std::pair<double, double>>(6, {0, 1}),
                    kHartmann6Optimum, Hartmann6));
  out.push_back(Box("rosenbrock5", std::vector<std::pair<double, double>>(5, {-5, 10}), 0.0,
                    [](const auto& x) {
                      double s = 0.0;
                      for (size_t i = 0; i + 1 < x.size(); ++i) {
                        s += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(x[i] - 1, 2);
                      }
                      return s;
                    }));
  out.push_back(Box("ackley5", std::vector<std::pair<double, double>>(5, {-32.768, 32.768}), 0.0,
                    [](const auto& x) {
                      double s1 = 0.0, s2 = 0.0;
                      for (double v : x) {
                        s1 += v * v;
                        s2 += std::cos(2 * kPi * v);
                      }
                      const double d = static_cast<double>(x.size());
                      return -20 * std::exp(-0.2 * std::sqrt(s1 / d)) - std::exp(s2 / d) + 20 +
                             std::exp(1.0);
                    }));
  out.push_back(
      Box("levy5", std::vector<std::pair<double, double>>(5, {-10, 10}), 0.0, [](const auto& x) {
        const size_t d = x.size();
        std::vector<double> w(d);
        for (size_t i = 0; i < d; ++i) w[i] = 1 + (x[i] - 1) / 4;
        double s = std::pow(std::sin(kPi * w[0]), 2);
        for (size_t i = 0; i + 1 < d; ++i) {
          s += std::pow(w[i] - 1, 2) * (1 + 10 * std::pow(std::sin(kPi * w[i] + 1), 2));
        }
        s += std::pow(w[d - 1] - 1, 2) * (1 + std::pow(std::sin(2 * kPi * w[d - 1]), 2));
        return s;
      }));
  out.push_back(Box("styblinski_tang5", std::vector<std::pair<double, double>>(5, {-5, 5}),
                    -39.16616570377142 * 5, StyblinskiTang));
  // The extended suite (docs/bayesian-optimisation.md): classes the functions
  // above lack. Smooth and non-separable: an ill-conditioned quadratic
  // (eigenvalues 1 to 1000) and Styblinski-Tang, both rotated, optimum at c.
  out.push_back(Box("rot_quadratic6", std::vector<std::pair<double, double>>(6, {-1, 1}), 0.0,
                    [](const auto& x) {
                      const double c[6] = {0.3, -0.2, 0.5, -0.4, 0.1, 0.25};
                      std::vector<double> z(6);
                      for (int i = 0; i < 6; ++i) z[i] = x[i] - c[i];
                      z = Rotate(z);
                      double s = 0.0;
                      for (int i = 0; i < 6; ++i) s += std::pow(10.0, 3.0 * i / 5) * z[i] * z[i];
                      return s;
                    }));
  out.push_back(Box("rot_styblinski4", std::vector<std::pair<double, double>>(4, {-5, 5}),
                    -39.16616570377142 * 4, [](const auto& x) {
                      const double c[4] = {1, -1, 0.5, 2};
                      std::vector<double> z(4);
                      for (int i = 0; i < 4; ++i) z[i] = x[i] - c[i];
                      z = Rotate(z);
                      for (double& v : z) v += -2.903534018185960;
                      return StyblinskiTang(z);
                    }));
  // Narrow, unequal basins: the deepest well is the narrowest.
  out.push_back(Box("narrow_wells3", std::vector<std::pair<double, double>>(3, {0, 1}),
                    kNarrowWellsOptimum, NarrowWells));
  // Mostly inactive dimensions: Hartmann-6 on 6 of 20 inputs.
  out.push_back(Box("hartmann6_in20", std::vector<std::pair<double, double>>(20, {0, 1}),
                    kHartmann6Optimum, [](const auto& x) {
                      const int active[6] = {2, 5, 9, 11, 16, 18};
                      std::vector<double> h(6);
                      for (int i = 0; i < 6; ++i) h[i] = x[active[i]];
                      return Hartmann6(h);
                    }));
  // Noise: Hartmann-6 seen through Gaussian noise of sd 0.1 (3% of its range).
  out.push_back(Box("noisy_hartmann6", std::vector<std::pair<double, double>>(6, {0, 1}),
                    kHartmann6Optimum, Hartmann6, 0.1));
  out.push_back(MixedFunction());
  // A real model on real data.
  out.push_back(DigitsSvc());
  return out;
}

const std::vector<Objective>& LossObjective() {
  static const std::vector<Objective>* const o =
      new std::vector<Objective>{{"loss", Goal::kMinimize}};
  return *o;
}

std::unique_ptr<Designer> MakeNamed(const std::string& name, const SearchSpace& space,
                                    uint64_t seed, int budget = 0) {
  if (name == "random") return std::make_unique<RandomDesigner>(space, seed);
  if (name == "sobol") return std::make_unique<SobolDesigner>(space, SobolDesignerOptions{seed});
  GpDesignerOptions options;
  options.seed = seed;
  options.max_trials = budget;
  if (name == "gp_ucb") options.acquisition = GpAcquisition::kUcb;
  if (name == "gp_one_transform") options.other_transform_every = 0;  // no portfolio
  if (name == "gp_believer") options.pending_fantasies = 0;  // running trials: the mean alone
  if (name == "gp_all_rows") options.explore_rows = 0;       // cold fits' starts on all rows
  return std::make_unique<GpDesigner>(space, LossObjective(), options);
}

class Study {
 public:
  void Add(const Assignment& a, double loss) {
    Trial t;
    t.id = static_cast<int64_t>(trials_.size()) + 1;
    t.state = TrialState::kCompleted;
    t.parameters = a;
    Measurement m;
    m.metrics["loss"] = loss;
    t.final_measurement = m;
    trials_.push_back(std::move(t));
  }
  void Feed(Designer& designer) const {
    std::vector<const Trial*> finished;
    for (const Trial& t : trials_) finished.push_back(&t);
    designer.Update(finished, {});
  }

 private:
  std::vector<Trial> trials_;
};

double RunOnce(const TestFunction& f, const std::string& designer_name, uint64_t seed, int budget) {
  std::unique_ptr<Designer> designer = MakeNamed(designer_name, f.space, seed, budget);
  boost::random::mt19937_64 noise_engine(seed + 1000);
  boost::random::normal_distribution<double> noise(0.0, f.noise_sd > 0 ? f.noise_sd : 1.0);
  Study study;
  double best_seen = std::numeric_limits<double>::infinity();
  double best_true = best_seen;
  for (int t = 0; t < budget; ++t) {
    study.Feed(*designer);
    const std::vector<Assignment> got = designer->Suggest(1);
    if (got.empty()) break;
    const double truth = f.value(got[0]);
    const double seen = f.noise_sd > 0 ? truth + noise(noise_engine) : truth;
    if (seen < best_seen) {
      best_seen = seen;
      best_true = truth;
    }
    study.Add(got[0], seen);
  }
  return best_true - f.optimum;
}

// `workers` asynchronous workers (issue 16, part 3): each trial takes a
// log-normal time (median 1, sigma 0.5; seeded), so trials finish out of
// order. When one finishes, the designer sees the finished and the running
// trials and proposes the next, until `budget` trials exist. The regret of
// the best observed trial after all `budget` have finished.
double RunParallel(const TestFunction& f, const std::string& designer_name, uint64_t seed,
                   int budget, int workers) {
  std::unique_ptr<Designer> designer = MakeNamed(designer_name, f.space, seed, budget);
  boost::random::mt19937_64 time_engine(seed + 2000);
  boost::random::lognormal_distribution<double> duration(0.0, 0.5);
  boost::random::mt19937_64 noise_engine(seed + 1000);
  boost::random::normal_distribution<double> noise(0.0, f.noise_sd > 0 ? f.noise_sd : 1.0);
  std::vector<Trial> trials;
  using Event = std::pair<double, size_t>;  // (finish time, index into trials)
  std::priority_queue<Event, std::vector<Event>, std::greater<>> running;
  double now = 0.0;
  const auto launch = [&] {
    std::vector<const Trial*> finished, active;
    for (const Trial& t : trials)
      (t.state == TrialState::kActive ? active : finished).push_back(&t);
    designer->Update(finished, active);
    const std::vector<Assignment> got = designer->Suggest(1);
    if (got.empty()) return;
    Trial t;
    t.id = static_cast<int64_t>(trials.size()) + 1;
    t.parameters = got[0];
    trials.push_back(std::move(t));
    running.push({now + duration(time_engine), trials.size() - 1});
  };
  for (int w = 0; w < workers && static_cast<int>(trials.size()) < budget; ++w) launch();
  double best_seen = std::numeric_limits<double>::infinity();
  double best_true = best_seen;
  while (!running.empty()) {
    const auto [time, i] = running.top();
    running.pop();
    now = time;
    Trial& t = trials[i];
    const double truth = f.value(t.parameters);
    const double seen = f.noise_sd > 0 ? truth + noise(noise_engine) : truth;
    if (seen < best_seen) {
      best_seen = seen;
      best_true = truth;
    }
    t.state = TrialState::kCompleted;
    t.final_measurement = Measurement{};
    t.final_measurement->metrics["loss"] = seen;
    if (static_cast<int>(trials.size()) < budget) launch();
  }
  return best_true - f.optimum;
}

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return NAN;
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// One run: a fresh designer on n random Hartmann-6 trials; the first call,
// then max(21, n/10 + 2) calls each after one more completed trial; then the
// first call of another fresh designer given the first one's saved state
// (Designer::SavedState: a restarted server's). Milliseconds.
struct LatencyRun {
  double first = 0.0, median = 0.0, max = 0.0, restored = 0.0;
};

LatencyRun MeasureLatency(const std::string& name, int n) {
  const TestFunction f = Functions()[4];  // hartmann6
  boost::random::mt19937_64 engine(1234);
  boost::random::uniform_01<double> uniform;
  const auto random_point = [&] {
    Assignment a;
    std::vector<double> x(6);
    for (int i = 0; i < 6; ++i) {
      x[i] = uniform(engine);
      a["x" + std::to_string(i)] = x[i];
    }
    return std::make_pair(a, Hartmann6(x));
  };
  const auto since = [](std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  Study study;
  for (int i = 0; i < n; ++i) {
    auto [a, y] = random_point();
    study.Add(a, y);
  }
  std::unique_ptr<Designer> designer = MakeNamed(name, f.space, 7);
  LatencyRun run;
  const auto t0 = std::chrono::steady_clock::now();
  study.Feed(*designer);
  designer->Suggest(1);
  run.first = since(t0);
  std::vector<double> times;
  for (int r = 0; r < std::max(21, n / 10 + 2); ++r) {
    auto [a, y] = random_point();
    study.Add(a, y);
    const auto start = std::chrono::steady_clock::now();
    study.Feed(*designer);
    designer->Suggest(1);
    times.push_back(since(start));
  }
  run.median = Quantile(times, 0.5);
  run.max = *std::max_element(times.begin(), times.end());
  const std::string state = designer->SavedState();
  designer = MakeNamed(name, f.space, 7);
  const auto t1 = std::chrono::steady_clock::now();
  designer->RestoreState(state);
  study.Feed(*designer);
  designer->Suggest(1);
  run.restored = since(t1);
  return run;
}

void Latency(const std::vector<std::string>& designers, int runs) {
  std::printf(
      "\nSuggestion latency, Hartmann-6 (ms): median and max of max(21, trials/10 + 2) "
      "Update+Suggest(1) (one refit point passed), the first call of a fresh designer, and of one "
      "given the saved state of the first, each the median of %d runs\n",
      runs);
  std::printf("%-10s %8s %10s %10s %12s %14s\n", "designer", "trials", "median", "max",
              "first call", "first, saved");
  for (const std::string& name : designers) {
    for (int n : {50, 200, 1000, 10000}) {
      std::vector<double> first, median, max, restored;
      for (int r = 0; r < runs; ++r) {
        const LatencyRun run = MeasureLatency(name, n);
        first.push_back(run.first);
        median.push_back(run.median);
        max.push_back(run.max);
        restored.push_back(run.restored);
      }
      std::printf("%-10s %8d %10.2f %10.2f %12.2f %14.2f\n", name.c_str(), n, Quantile(median, 0.5),
                  Quantile(max, 0.5), Quantile(first, 0.5), Quantile(restored, 0.5));
      std::fflush(stdout);
    }
  }
}

// ---- warm start (docs/warm-start.md)
//
// A family of related tasks: task(x) = scale f(x - shift) + offset, with the
// shift up to `kWarmShift` of each range, scale in [1/2, 2] and offset in
// [-10, 10], drawn per seed. The earlier study is a 40-trial GP study of
// another task of the family (related), of a bowl centred at a random point
// (unrelated), or the related study with its values negated (adversarial: it
// points at the worst region). Regret is in units of f (divided by scale).
constexpr double kWarmShift = 0.05;
constexpr int kPriorBudget = 40;

struct Task {
  std::vector<double> shift;
  double scale = 1.0, offset = 0.0;
};

Task DrawTask(const TestFunction& f, boost::random::mt19937_64& engine) {
  boost::random::uniform_01<double> u;
  Task t;
  for (const ParameterSpec& p : f.space.parameters) {
    t.shift.push_back((2 * u(engine) - 1) * kWarmShift * (p.max - p.min));
  }
  t.scale = std::exp((2 * u(engine) - 1) * std::log(2.0));
  t.offset = (2 * u(engine) - 1) * 10;
  return t;
}

std::function<double(const Assignment&)> TaskValue(const TestFunction& f, const Task& t) {
  return [&f, t](const Assignment& a) {
    Assignment b = a;
    for (size_t i = 0; i < t.shift.size(); ++i) {
      const std::string name = "x" + std::to_string(i);
      b[name] = std::get<double>(a.at(name)) - t.shift[i];
    }
    return t.scale * f.value(b) + t.offset;
  };
}

// `budget` sequential trials of `value` by `algorithm` warm-started from
// `priors`; the best loss seen, and (when `record` is set) the trials as a
// prior study.
double RunStudy(const SearchSpace& space, const std::string& algorithm, uint64_t seed, int budget,
                const std::vector<PriorStudy>& priors,
                const std::function<double(const Assignment&)>& value, PriorStudy* record) {
  DesignerOptions options;
  options.algorithm = algorithm;
  options.seed = seed;
  options.max_trials = budget;
  options.warm_start = priors;
  std::unique_ptr<Designer> designer = std::move(*MakeDesigner(options, space, LossObjective()));
  Study study;
  double best = std::numeric_limits<double>::infinity();
  for (int t = 0; t < budget; ++t) {
    study.Feed(*designer);
    const std::vector<Assignment> got = designer->Suggest(1);
    if (got.empty()) break;
    const double loss = value(got[0]);
    best = std::min(best, loss);
    study.Add(got[0], loss);
    if (record != nullptr) record->trials.push_back({t + 1, got[0], -loss});
  }
  return best;
}

void WarmStartBench(int seeds, int jobs, int budget, const std::vector<std::string>& only) {
  const std::vector<std::string> columns = {"gp cold",        "gp related",  "gp unrelated",
                                            "gp adversarial", "random cold", "random related"};
  std::printf(
      "Warm start: simple regret after %d trials (in units of f), %d seeds, earlier "
      "study of %d GP trials; median [q25, q75]\n",
      budget, seeds, kPriorBudget);
  const std::vector<TestFunction> functions = Functions();
  for (const TestFunction& f : functions) {
    if (only.empty() ? (f.name != "branin" && f.name != "hartmann3" && f.name != "hartmann6")
                     : std::find(only.begin(), only.end(), f.name) == only.end()) {
      continue;
    }
    std::vector<std::vector<double>> regret(columns.size(),
                                            std::vector<double>(static_cast<size_t>(seeds)));
    std::atomic<int> next{0};
    std::vector<std::thread> workers;
    for (int j = 0; j < jobs; ++j) {
      workers.emplace_back([&] {
        for (int s = next++; s < seeds; s = next++) {
          const uint64_t seed = static_cast<uint64_t>(s);
          boost::random::mt19937_64 engine(seed * 7919 + 17);
          const Task target = DrawTask(f, engine), earlier = DrawTask(f, engine);
          std::vector<double> centre;
          boost::random::uniform_01<double> u;
          for (size_t i = 0; i < f.space.parameters.size(); ++i) centre.push_back(u(engine));
          const auto bowl = [&f, centre](const Assignment& a) {
            double sum = 0.0;
            for (size_t i = 0; i < centre.size(); ++i) {
              const ParameterSpec& p = f.space.parameters[i];
              const double z = (std::get<double>(a.at(p.name)) - p.min) / (p.max - p.min);
              sum += (z - centre[i]) * (z - centre[i]);
            }
            return sum;
          };
          PriorStudy related{"related", {}}, unrelated{"unrelated", {}};
          RunStudy(f.space, "bayesian", seed + 100, kPriorBudget, {}, TaskValue(f, earlier),
                   &related);
          RunStudy(f.space, "bayesian", seed + 200, kPriorBudget, {}, bowl, &unrelated);
          PriorStudy adversarial = related;
          for (PriorTrial& t : adversarial.trials) t.value = -*t.value;
          const auto value = TaskValue(f, target);
          const double optimum = target.scale * f.optimum + target.offset;
          const auto run = [&](const std::string& algorithm, std::vector<PriorStudy> priors) {
            return (RunStudy(f.space, algorithm, seed, budget, priors, value, nullptr) - optimum) /
                   target.scale;
          };
          const size_t i = static_cast<size_t>(s);
          regret[0][i] = run("bayesian", {});
          regret[1][i] = run("bayesian", {related});
          regret[2][i] = run("bayesian", {unrelated});
          regret[3][i] = run("bayesian", {adversarial});
          regret[4][i] = run("random", {});
          regret[5][i] = run("random", {related});
        }
      });
    }
    for (std::thread& w : workers) w.join();
    std::printf("\n%s\n", f.name.c_str());
    for (size_t c = 0; c < columns.size(); ++c) {
      const double median = Quantile(regret[c], 0.5);
      const double cold = Quantile(regret[c < 4 ? 0 : 4], 0.5);
      std::printf("  %-16s %11.3g [%9.3g, %9.3g]  %s%.3g\n", columns[c].c_str(), median,
                  Quantile(regret[c], 0.25), Quantile(regret[c], 0.75),
                  c == 1 || c == 5 ? "cold/warm " : "warm/cold ",
                  c == 1 || c == 5 ? cold / median : median / cold);
    }
    std::fflush(stdout);
  }
}

int Main(int argc, char** argv) {
  int seeds = 20, jobs = 1, budget = 0, parallel = 1, latency_runs = 3;
  bool latency = true, quality = true, warm_start = false;
  std::vector<std::string> designers = {"random", "sobol", "gp"};
  std::vector<std::string> only;
  std::string tsv;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--seeds") {
      seeds = std::atoi(value().c_str());
    } else if (arg == "--jobs") {
      jobs = std::max(1, std::atoi(value().c_str()));
    } else if (arg == "--functions") {
      only = Split(value());
    } else if (arg == "--designers") {
      designers = Split(value());
    } else if (arg == "--budget") {
      budget = std::max(1, std::atoi(value().c_str()));
    } else if (arg == "--tsv") {
      tsv = value();
    } else if (arg == "--no-latency") {
      latency = false;
    } else if (arg == "--latency-only") {
      quality = false;
    } else if (arg == "--workers") {
      parallel = std::max(1, std::atoi(value().c_str()));
    } else if (arg == "--latency-runs") {
      latency_runs = std::max(1, std::atoi(value().c_str()));
    } else if (arg == "--warm-start") {
      warm_start = true;
    } else {
      std::fprintf(stderr,
                   "usage: bo_quality [--seeds N] [--jobs J] [--functions a,b] "
                   "[--designers random,sobol,gp,gp_ucb,gp_one_transform,gp_believer,gp_all_rows] "
                   "[--budget T] [--tsv "
                   "FILE] [--no-latency] "
                   "[--latency-only] [--latency-runs R] [--warm-start] [--workers W]\n");
      return 2;
    }
  }
  if (warm_start) {
    WarmStartBench(seeds, jobs, budget > 0 ? budget : 20, only);
    return 0;
  }
  if (quality) {
    std::ofstream out;
    if (!tsv.empty()) {
      out.open(tsv);
      out << "function\tsampler\tseed\tregret\n";
    }
    if (budget > 0) {
      std::printf("Simple regret after %d trials, %d seeds, %d worker(s): median [q25, q75]\n",
                  budget, seeds, parallel);
    } else {
      std::printf(
          "Simple regret after 50 (2-D) / 100 (3-D and more) trials, %d seeds, %d worker(s): "
          "median [q25, q75]\n",
          seeds, parallel);
    }
    std::printf("%-18s %-10s %12s %12s %12s %9s\n", "function", "designer", "median", "q25", "q75",
                "secs/run");
    for (const TestFunction& f : Functions()) {
      if (!only.empty() && std::find(only.begin(), only.end(), f.name) == only.end()) continue;
      for (const std::string& name : designers) {
        std::vector<double> regrets(static_cast<size_t>(seeds));
        std::atomic<int> next{0};
        const auto start = std::chrono::steady_clock::now();
        std::vector<std::thread> workers;
        for (int j = 0; j < jobs; ++j) {
          workers.emplace_back([&] {
            for (int s = next++; s < seeds; s = next++) {
              const int trials = budget > 0 ? budget : f.budget();
              regrets[static_cast<size_t>(s)] =
                  parallel > 1 ? RunParallel(f, name, static_cast<uint64_t>(s), trials, parallel)
                               : RunOnce(f, name, static_cast<uint64_t>(s), trials);
            }
          });
        }
        for (std::thread& w : workers) w.join();
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("%-18s %-10s %12.4g %12.4g %12.4g %9.2f\n", f.name.c_str(), name.c_str(),
                    Quantile(regrets, 0.5), Quantile(regrets, 0.25), Quantile(regrets, 0.75),
                    secs * jobs / std::max(1, seeds));
        std::fflush(stdout);
        if (out.is_open()) {
          for (int s = 0; s < seeds; ++s) {
            out << f.name << '\t' << name << '\t' << s << '\t' << regrets[s] << '\n';
          }
          out.flush();
        }
      }
    }
  }
  if (latency) {
    std::vector<std::string> timed;
    for (const std::string& d : designers) {
      if (d != "sobol") timed.push_back(d);
    }
    Latency(timed, latency_runs);
  }
  return 0;
}

}  // namespace
}  // namespace tuner

int main(int argc, char** argv) { return tuner::Main(argc, argv); }
