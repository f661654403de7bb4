// bo_quality: optimisation quality and suggestion latency of our designers on
// standard test functions, as a table next to Optuna's samplers (run
// bench/optuna_quality.py for theirs; bench/combine_quality.py merges both).
//
//   bo_quality [--seeds N] [--jobs J] [--functions a,b] [--designers random,sobol,gp]
//              [--budget T] [--tsv FILE] [--no-latency] [--latency-only]
//
// Quality: each designer runs sequentially (one trial at a time) for 50 trials
// on 2-D functions and 100 on 3- to 6-D ones (T with --budget, which the GP
// designer is told as the study's max_trials), for seeds 0..N-1; the table shows
// the median and interquartile range of the simple regret f(best) - f*.
// Latency: a designer is given n completed trials of Hartmann-6 (random
// points), then 21 times one more completed trial, Update() and Suggest(1);
// the table shows the median and the maximum of those 21 timings.
// Functions and optima as in Surjanovic and Bingham's "Virtual library of
// simulation experiments" (sfu.ca/~ssurjano).
#include <algorithm>
#include <atomic>
#include <boost/random/mersenne_twister.hpp>
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
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "algorithms/designer.h"
#include "algorithms/gp_designer.h"
#include "algorithms/random_designer.h"
#include "algorithms/sobol_designer.h"

namespace tuner {
namespace {

constexpr double kPi = 3.14159265358979323846;

struct TestFunction {
  std::string name;
  int dimension;
  std::vector<std::pair<double, double>> bounds;
  double optimum;
  std::function<double(const std::vector<double>&)> f;
  int budget() const { return dimension == 2 ? 50 : 100; }
};

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

std::vector<TestFunction> Functions() {
  std::vector<TestFunction> out;
  out.push_back({"branin", 2, {{-5, 10}, {0, 15}}, 0.397887357729739, [](const auto& x) {
                   const double b = 5.1 / (4 * kPi * kPi), c = 5 / kPi, t = 1 / (8 * kPi);
                   return std::pow(x[1] - b * x[0] * x[0] + c * x[0] - 6, 2) +
                          10 * (1 - t) * std::cos(x[0]) + 10;
                 }});
  out.push_back({"six_hump_camel", 2, {{-3, 3}, {-2, 2}}, -1.031628453489877, [](const auto& x) {
                   const double a = x[0], b = x[1];
                   return (4 - 2.1 * a * a + std::pow(a, 4) / 3) * a * a + a * b +
                          (-4 + 4 * b * b) * b * b;
                 }});
  out.push_back({"goldstein_price", 2, {{-2, 2}, {-2, 2}}, 3.0, [](const auto& x) {
                   const double a = x[0], b = x[1];
                   const double t1 = 1 + std::pow(a + b + 1, 2) * (19 - 14 * a + 3 * a * a -
                                                                   14 * b + 6 * a * b + 3 * b * b);
                   const double t2 =
                       30 + std::pow(2 * a - 3 * b, 2) *
                                (18 - 32 * a + 12 * a * a + 48 * b - 36 * a * b + 27 * b * b);
                   return t1 * t2;
                 }});
  out.push_back({"hartmann3", 3, std::vector<std::pair<double, double>>(3, {0, 1}),
                 -3.86278214782076, [](const auto& x) {
                   static const std::vector<std::vector<double>> a = {
                       {3, 10, 30}, {0.1, 10, 35}, {3, 10, 30}, {0.1, 10, 35}};
                   static const std::vector<std::vector<double>> p = {{0.3689, 0.1170, 0.2673},
                                                                      {0.4699, 0.4387, 0.7470},
                                                                      {0.1091, 0.8732, 0.5547},
                                                                      {0.0381, 0.5743, 0.8828}};
                   return Hartmann(x, a, p);
                 }});
  out.push_back({"hartmann6", 6, std::vector<std::pair<double, double>>(6, {0, 1}),
                 -3.32236801141551, [](const auto& x) {
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
                 }});
  out.push_back({"rosenbrock5", 5, std::vector<std::pair<double, double>>(5, {-5, 10}), 0.0,
                 [](const auto& x) {
                   double s = 0.0;
                   for (size_t i = 0; i + 1 < x.size(); ++i) {
                     s += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(x[i] - 1, 2);
                   }
                   return s;
                 }});
  out.push_back({"ackley5", 5, std::vector<std::pair<double, double>>(5, {-32.768, 32.768}), 0.0,
                 [](const auto& x) {
                   double s1 = 0.0, s2 = 0.0;
                   for (double v : x) {
                     s1 += v * v;
                     s2 += std::cos(2 * kPi * v);
                   }
                   const double d = static_cast<double>(x.size());
                   return -20 * std::exp(-0.2 * std::sqrt(s1 / d)) - std::exp(s2 / d) + 20 +
                          std::exp(1.0);
                 }});
  out.push_back(
      {"levy5", 5, std::vector<std::pair<double, double>>(5, {-10, 10}), 0.0, [](const auto& x) {
         const size_t d = x.size();
         std::vector<double> w(d);
         for (size_t i = 0; i < d; ++i) w[i] = 1 + (x[i] - 1) / 4;
         double s = std::pow(std::sin(kPi * w[0]), 2);
         for (size_t i = 0; i + 1 < d; ++i) {
           s += std::pow(w[i] - 1, 2) * (1 + 10 * std::pow(std::sin(kPi * w[i] + 1), 2));
         }
         s += std::pow(w[d - 1] - 1, 2) * (1 + std::pow(std::sin(2 * kPi * w[d - 1]), 2));
         return s;
       }});
  out.push_back({"styblinski_tang5", 5, std::vector<std::pair<double, double>>(5, {-5, 5}),
                 -39.16616570377142 * 5, [](const auto& x) {
                   double s = 0.0;
                   for (double v : x) s += std::pow(v, 4) - 16 * v * v + 5 * v;
                   return 0.5 * s;
                 }});
  return out;
}

SearchSpace SpaceOf(const TestFunction& f) {
  SearchSpace space;
  for (int i = 0; i < f.dimension; ++i) {
    ParameterSpec p;
    p.name = "x" + std::to_string(i);
    p.type = ParameterType::kDouble;
    p.min = f.bounds[i].first;
    p.max = f.bounds[i].second;
    space.parameters.push_back(p);
  }
  return space;
}

std::vector<double> PointOf(const TestFunction& f, const Assignment& a) {
  std::vector<double> x(f.dimension);
  for (int i = 0; i < f.dimension; ++i) x[i] = std::get<double>(a.at("x" + std::to_string(i)));
  return x;
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

double RunOnce(const TestFunction& f, const std::string& designer_name, uint64_t seed,
               int budget) {
  const SearchSpace space = SpaceOf(f);
  std::unique_ptr<Designer> designer = MakeNamed(designer_name, space, seed, budget);
  Study study;
  double best = std::numeric_limits<double>::infinity();
  for (int t = 0; t < budget; ++t) {
    study.Feed(*designer);
    const std::vector<Assignment> got = designer->Suggest(1);
    if (got.empty()) break;
    const double y = f.f(PointOf(f, got[0]));
    best = std::min(best, y);
    study.Add(got[0], y);
  }
  return best - f.optimum;
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

void Latency(const std::vector<std::string>& designers) {
  const TestFunction f = Functions()[4];  // hartmann6
  const SearchSpace space = SpaceOf(f);
  std::printf("\nSuggestion latency, Hartmann-6 (ms): median and max of 21 Update+Suggest(1)\n");
  std::printf("%-10s %8s %10s %10s %12s\n", "designer", "trials", "median", "max", "first call");
  for (const std::string& name : designers) {
    for (int n : {50, 200, 1000}) {
      boost::random::mt19937_64 engine(1234);
      boost::random::uniform_01<double> uniform;
      const auto random_point = [&] {
        Assignment a;
        std::vector<double> x(6);
        for (int i = 0; i < 6; ++i) {
          x[i] = uniform(engine);
          a["x" + std::to_string(i)] = x[i];
        }
        return std::make_pair(a, f.f(x));
      };
      Study study;
      for (int i = 0; i < n; ++i) {
        auto [a, y] = random_point();
        study.Add(a, y);
      }
      std::unique_ptr<Designer> designer = MakeNamed(name, space, 7);
      const auto t0 = std::chrono::steady_clock::now();
      study.Feed(*designer);
      designer->Suggest(1);
      const double first =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      std::vector<double> times;
      for (int r = 0; r < 21; ++r) {
        auto [a, y] = random_point();
        study.Add(a, y);
        const auto start = std::chrono::steady_clock::now();
        study.Feed(*designer);
        designer->Suggest(1);
        times.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
      }
      std::printf("%-10s %8d %10.2f %10.2f %12.2f\n", name.c_str(), n, Quantile(times, 0.5),
                  *std::max_element(times.begin(), times.end()), first);
      std::fflush(stdout);
    }
  }
}

int Main(int argc, char** argv) {
  int seeds = 20, jobs = 1, budget = 0;
  bool latency = true, quality = true;
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
    } else {
      std::fprintf(stderr,
                   "usage: bo_quality [--seeds N] [--jobs J] [--functions a,b] "
                   "[--designers random,sobol,gp,gp_ucb] [--budget T] [--tsv FILE] [--no-latency] "
                   "[--latency-only]\n");
      return 2;
    }
  }
  if (quality) {
    std::ofstream out;
    if (!tsv.empty()) {
      out.open(tsv);
      out << "function\tsampler\tseed\tregret\n";
    }
    if (budget > 0) {
      std::printf("Simple regret after %d trials, %d seeds: median [q25, q75]\n", budget, seeds);
    } else {
      std::printf("Simple regret after 50 (2-D) / 100 (3-6-D) trials, %d seeds: median [q25, q75]\n",
                  seeds);
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
              regrets[static_cast<size_t>(s)] = RunOnce(f, name, static_cast<uint64_t>(s),
                                                          budget > 0 ? budget : f.budget());
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
    Latency(timed);
  }
  return 0;
}

}  // namespace
}  // namespace tuner

int main(int argc, char** argv) { return tuner::Main(argc, argv); }
