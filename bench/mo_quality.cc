// mo_quality: our multi-objective designer against Optuna 5's multi-objective
// samplers (bench/optuna_mo_quality.py), issue 16 part 4.
//
//   mo_quality [--seeds N] [--jobs J] [--budget T] [--designers random,gp,gp_scalarised]
//              [--problems zdt1,zdt2,dtlz2,digits_size]
//
// Problems (all minimised; the same formulas and table are in
// bench/optuna_mo_quality.py), the first three on six inputs in [0, 1]:
//   zdt1:  f1 = x1, g = 1 + 9 mean(x2..x6), f2 = g (1 - sqrt(f1 / g))
//   zdt2:  the same with f2 = g (1 - (f1 / g)^2)
//   dtlz2: three objectives, g = sum_{i>=3} (x_i - 0.5)^2,
//          f1 = (1+g) cos(x1 pi/2) cos(x2 pi/2), f2 = (1+g) cos(x1 pi/2) sin(x2 pi/2),
//          f3 = (1+g) sin(x1 pi/2)
// (Zitzler, Deb and Thiele 2000; Deb, Thiele, Laumanns and Zitzler 2002.)
//   digits_size: a real model, error against stored size (DigitsSize below),
//          40 trials whatever T.
// The table: the hypervolume dominated by the trials' objective vectors up to
// the reference point (1.1, 1.1[, 1.1]) after T trials (default 100), median
// and interquartile range over seeds 0..N-1; larger is better.
#include <algorithm>
#include <atomic>
#include <boost/random/mersenne_twister.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "algorithms/designer_factory.h"
#include "algorithms/gp_designer.h"
#include "bench/digits_table.h"

namespace tuner {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kReference = 1.1;

struct Problem {
  std::string name;
  int objectives;
  SearchSpace space;
  std::function<std::vector<double>(const Assignment&)> f;
  int budget = 0;  // 0: --budget
};

SearchSpace UnitBox() {
  SearchSpace space;
  for (int i = 0; i < 6; ++i) {
    ParameterSpec p;
    p.name = "x" + std::to_string(i);
    p.min = 0.0;
    p.max = 1.0;
    space.parameters.push_back(p);
  }
  return space;
}

// A problem on the unit box from f(x0..x5).
Problem Box(std::string name, int objectives,
            std::function<std::vector<double>(const std::vector<double>&)> f) {
  return {std::move(name), objectives, UnitBox(), [f](const Assignment& a) {
            std::vector<double> x;
            for (int i = 0; i < 6; ++i)
              x.push_back(std::get<double>(a.at("x" + std::to_string(i))));
            return f(x);
          }};
}

// The two-objective real model `digits_size`: the cross-validated error of
// an SVC on scikit-learn's digits and the size of the stored model, read from
// bench/data/digits_svc_size.tsv (bench/make_digits_size_table.py). Both are
// scaled to [0, 1] by the table's least and largest values. Parameters as in
// bo_quality.cc's digits_svc. Budget: 40 trials.
Problem DigitsSize() {
  auto table = std::make_shared<DigitsTable>(ReadDigitsTable("digits_svc_size.tsv", 2));
  std::vector<double> low(2, std::numeric_limits<double>::infinity()),
      high(2, -std::numeric_limits<double>::infinity());
  for (const auto& [key, v] : table->values) {
    for (size_t j = 0; j < 2; ++j) {
      low[j] = std::min(low[j], v[j]);
      high[j] = std::max(high[j], v[j]);
    }
  }
  for (auto& [key, v] : table->values) {
    for (size_t j = 0; j < 2; ++j) v[j] = (v[j] - low[j]) / (high[j] - low[j]);
  }
  return {"digits_size", 2, table->space,
          [table](const Assignment& a) { return table->values.at(DigitsKeyOf(a)); }, 40};
}

std::vector<Problem> Problems() {
  const auto zdt = [](bool concave) {
    return [concave](const std::vector<double>& x) {
      double sum = 0.0;
      for (size_t i = 1; i < x.size(); ++i) sum += x[i];
      const double g = 1.0 + 9.0 * sum / static_cast<double>(x.size() - 1);
      const double r = x[0] / g;
      return std::vector<double>{x[0], g * (1.0 - (concave ? r * r : std::sqrt(r)))};
    };
  };
  return {Box("zdt1", 2, zdt(false)), Box("zdt2", 2, zdt(true)),
          Box("dtlz2", 3,
              [](const std::vector<double>& x) {
                double g = 0.0;
                for (size_t i = 2; i < x.size(); ++i) g += (x[i] - 0.5) * (x[i] - 0.5);
                const double a = x[0] * kPi / 2, b = x[1] * kPi / 2;
                return std::vector<double>{(1 + g) * std::cos(a) * std::cos(b),
                                           (1 + g) * std::cos(a) * std::sin(b),
                                           (1 + g) * std::sin(a)};
              }),
          DigitsSize()};
}

// The area dominated by `points` (2 objectives, minimised) up to (r, r).
double Hypervolume2(std::vector<std::vector<double>> points) {
  std::sort(points.begin(), points.end());
  double area = 0.0, best_f2 = kReference;
  for (const std::vector<double>& p : points) {
    if (p[0] >= kReference || p[1] >= best_f2) continue;
    area += (kReference - p[0]) * (best_f2 - p[1]);
    best_f2 = p[1];
  }
  return area;
}

// Two or three objectives: three by slicing along the third.
double Hypervolume(const std::vector<std::vector<double>>& points, int objectives) {
  if (objectives == 2) return Hypervolume2(points);
  std::vector<std::vector<double>> inside;
  for (const std::vector<double>& p : points) {
    if (p[0] < kReference && p[1] < kReference && p[2] < kReference) inside.push_back(p);
  }
  std::sort(inside.begin(), inside.end(), [](const auto& a, const auto& b) { return a[2] < b[2]; });
  double volume = 0.0;
  std::vector<std::vector<double>> below;
  for (size_t i = 0; i < inside.size(); ++i) {
    below.push_back({inside[i][0], inside[i][1]});
    const double top = i + 1 < inside.size() ? inside[i + 1][2] : kReference;
    volume += Hypervolume2(below) * (top - inside[i][2]);
  }
  return volume;
}

double RunOnce(const Problem& problem, const std::string& algorithm, uint64_t seed, int budget) {
  const SearchSpace& space = problem.space;
  std::vector<Objective> objectives;
  for (int j = 0; j < problem.objectives; ++j) {
    objectives.push_back({"f" + std::to_string(j + 1), Goal::kMinimize});
  }
  DesignerOptions options;
  options.algorithm = algorithm == "gp" ? "bayesian" : algorithm;
  options.seed = seed;
  options.max_trials = budget;
  std::unique_ptr<Designer> designer;
  if (algorithm == "gp_scalarised") {  // the scalarised log EI for two objectives, not EHVI
    GpDesignerOptions gp;
    gp.seed = seed;
    gp.max_trials = budget;
    gp.ehvi = false;
    designer = std::make_unique<GpDesigner>(space, objectives, gp);
  } else {
    designer = std::move(*MakeDesigner(options, space, objectives));
  }
  std::vector<Trial> trials;
  std::vector<std::vector<double>> values;
  for (int t = 0; t < budget; ++t) {
    std::vector<const Trial*> finished;
    for (const Trial& trial : trials) finished.push_back(&trial);
    designer->Update(finished, {});
    const std::vector<Assignment> got = designer->Suggest(1);
    if (got.empty()) break;
    const std::vector<double> f = problem.f(got[0]);
    Trial trial;
    trial.id = t + 1;
    trial.state = TrialState::kCompleted;
    trial.parameters = got[0];
    trial.final_measurement = Measurement{};
    for (int j = 0; j < problem.objectives; ++j) {
      trial.final_measurement->metrics["f" + std::to_string(j + 1)] = f[static_cast<size_t>(j)];
    }
    trials.push_back(std::move(trial));
    values.push_back(f);
  }
  return Hypervolume(values, problem.objectives);
}

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

int Main(int argc, char** argv) {
  int seeds = 20, jobs = 1, budget = 100;
  std::vector<std::string> designers = {"random", "gp"};
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr,
                   "usage: mo_quality [--seeds N] [--jobs J] [--budget T] "
                   "[--designers random,gp,gp_scalarised] [--problems a,b]\n");
      return 2;
    }
    const std::string value = argv[++i];
    if (arg == "--seeds") {
      seeds = std::max(1, std::atoi(value.c_str()));
    } else if (arg == "--jobs") {
      jobs = std::max(1, std::atoi(value.c_str()));
    } else if (arg == "--budget") {
      budget = std::max(1, std::atoi(value.c_str()));
    } else if (arg == "--designers" || arg == "--problems") {
      std::vector<std::string>& list = arg == "--designers" ? designers : only;
      list.clear();
      std::stringstream in(value);
      for (std::string d; std::getline(in, d, ',');) list.push_back(d);
    } else {
      std::fprintf(stderr, "unknown option %s\n", arg.c_str());
      return 2;
    }
  }
  std::printf(
      "Hypervolume after %d trials (reference 1.1 per objective), %d seeds: median "
      "[q25, q75]; larger is better\n",
      budget, seeds);
  std::printf("%-8s %-8s %10s %10s %10s\n", "problem", "designer", "median", "q25", "q75");
  for (const Problem& problem : Problems()) {
    if (!only.empty() && std::find(only.begin(), only.end(), problem.name) == only.end()) continue;
    for (const std::string& name : designers) {
      std::vector<double> hv(static_cast<size_t>(seeds));
      std::atomic<int> next{0};
      std::vector<std::thread> workers;
      for (int j = 0; j < jobs; ++j) {
        workers.emplace_back([&] {
          for (int s = next++; s < seeds; s = next++) {
            hv[static_cast<size_t>(s)] = RunOnce(problem, name, static_cast<uint64_t>(s),
                                                 problem.budget > 0 ? problem.budget : budget);
          }
        });
      }
      for (std::thread& w : workers) w.join();
      std::printf("%-8s %-8s %10.4f %10.4f %10.4f\n", problem.name.c_str(), name.c_str(),
                  Quantile(hv, 0.5), Quantile(hv, 0.25), Quantile(hv, 0.75));
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace
}  // namespace tuner

int main(int argc, char** argv) { return tuner::Main(argc, argv); }
