// Early-stopping benchmark: our stopping rules against Optuna's pruners on
// MF-Hartmann learning curves (bench/mf_hartmann.h). See docs/early-stopping.md.
//
// For every problem and seed: `configs` random configurations, each a curve
// of one report per step z = 1..100. Trials run one after another in a fixed
// order, each until its rule stops it or it reaches z = 100. Our rules see
// Observe/Finish; Optuna 3.1's MedianPruner, SuccessiveHalvingPruner and
// HyperbandPruner see the SAME curves (written to a file and replayed by
// bench/early_stopping_optuna.py under /usr/bin/python3).
//
// Usage: early_stopping [--problems mfh3_good,mfh6_bad,...] [--seeds 20] [--configs 200]
//          [--min-trials 10] [--grace-steps 20] [--eta 3] [--min-resource 9]
//          [--asha-min-trials 1] [--percentile 25] [--optuna-script PATH | --no-optuna]
//          [--work-dir /tmp/early_stopping_bench]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "algorithms/stopping_rule.h"
#include "bench/mf_hartmann.h"

namespace tuner::bench {
namespace {

constexpr int kSteps = 100;

struct Settings {
  std::vector<std::string> problems = {"mfh3_good", "mfh3_terrible", "mfh6_good", "mfh6_terrible"};
  int seeds = 20;
  int configs = 200;
  int min_trials = 10;       // median/percentile; Optuna n_startup_trials
  int grace_steps = 20;      // median/percentile; Optuna n_warmup_steps
  double eta = 3;            // asha; Optuna reduction_factor
  int64_t min_resource = 9;  // asha; Optuna min_resource (SHA and Hyperband)
  int asha_min_trials = 1;
  double percentile = 25;
  std::string optuna_script;
  std::string work_dir = "/tmp/early_stopping_bench";
};

struct Problem {
  std::string name;
  MfHartmann function;
};

Problem ParseProblem(const std::string& name) {
  // mfh3_good, mfh6_terrible, ...
  const size_t underscore = name.find('_');
  if (name.rfind("mfh", 0) != 0 || underscore == std::string::npos) {
    throw std::invalid_argument("unknown problem " + name + " (e.g. mfh3_good)");
  }
  const int dims = std::stoi(name.substr(3, underscore - 3));
  const std::string preset = name.substr(underscore + 1);
  for (const MfHartmannPreset& p : MfHartmannPresets()) {
    if (p.name == preset) return {name, MfHartmann(dims, p.bias, p.noise, kSteps)};
  }
  throw std::invalid_argument("unknown preset " + preset + " (good, moderate, bad, terrible)");
}

// curves[config * kSteps + z - 1] for one seed.
std::vector<double> Curves(const MfHartmann& f, int seed, int configs) {
  std::mt19937_64 rng(static_cast<uint64_t>(seed) * 1000003 + static_cast<uint64_t>(f.dims()));
  std::vector<double> curves(static_cast<size_t>(configs) * kSteps);
  std::vector<double> x(static_cast<size_t>(f.dims()));
  for (int c = 0; c < configs; ++c) {
    for (double& xi : x) xi = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    const uint64_t key = SplitMix64((static_cast<uint64_t>(seed) << 32) ^ static_cast<uint64_t>(c));
    for (int z = 1; z <= kSteps; ++z) {
      curves[static_cast<size_t>(c) * kSteps + static_cast<size_t>(z - 1)] = f(x, z, key);
    }
  }
  return curves;
}

// The last step each trial reached under `options` ("none": every trial to the end).
std::vector<int> RunOurs(const StoppingRuleOptions& options, const std::vector<double>& curves,
                         int configs) {
  std::vector<int> last(static_cast<size_t>(configs), kSteps);
  absl::StatusOr<std::unique_ptr<StoppingRule>> made = MakeStoppingRule(options);
  if (!made.ok()) throw std::runtime_error(std::string(made.status().message()));
  StoppingRule* rule = made->get();
  if (rule == nullptr) return last;
  for (int c = 0; c < configs; ++c) {
    TrialState end = TrialState::kCompleted;
    for (int z = 1; z <= kSteps; ++z) {
      const StoppingDecision d = rule->Observe(
          c + 1, z, curves[static_cast<size_t>(c) * kSteps + static_cast<size_t>(z - 1)]);
      last[static_cast<size_t>(c)] = z;
      if (d.stop) {
        end = TrialState::kStopped;
        break;
      }
    }
    rule->Finish(c + 1, end);
  }
  return last;
}

struct Outcome {
  double steps = 0;
  double speedup = 0;       // steps of running everything / steps consumed
  double cost_speedup = 0;  // the same with MF-Hartmann's cost of reaching z
  double regret = 0;  // best f(x, 100) among trials that reached z = 100, minus the best of all
  bool best_stopped = false;
};

Outcome Evaluate(const MfHartmann& f, const std::vector<double>& curves,
                 const std::vector<int>& last) {
  Outcome o;
  double cost = 0, best_reached = INFINITY, best_all = INFINITY;
  size_t best_config = 0;
  for (size_t c = 0; c < last.size(); ++c) {
    o.steps += last[c];
    cost += f.Cost(last[c]);
    const double final_value = curves[c * kSteps + (kSteps - 1)];
    if (final_value < best_all) {
      best_all = final_value;
      best_config = c;
    }
    if (last[c] == kSteps) best_reached = std::min(best_reached, final_value);
  }
  const double n = static_cast<double>(last.size());
  o.speedup = n * kSteps / o.steps;
  o.cost_speedup = n * f.Cost(kSteps) / cost;
  o.regret = best_reached - best_all;
  o.best_stopped = last[best_config] < kSteps;
  return o;
}

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  if (lo + 1 >= v.size()) return v[lo];
  return v[lo] + (pos - static_cast<double>(lo)) * (v[lo + 1] - v[lo]);
}

std::string MedianIqr(const std::vector<double>& v, const char* format) {
  char buffer[128];
  std::string f = std::string(format) + " [" + format + ", " + format + "]";
  std::snprintf(buffer, sizeof(buffer), f.c_str(), Quantile(v, 0.5), Quantile(v, 0.25),
                Quantile(v, 0.75));
  return buffer;
}

// Optuna's last steps per (pruner, seed), from the script's stdout lines
// "<pruner> <seed> <last step of config 0> <last step of config 1> ...".
std::map<std::string, std::map<int, std::vector<int>>> RunOptuna(const Settings& s,
                                                                 const std::string& curves_file) {
  std::map<std::string, std::map<int, std::vector<int>>> out;
  if (s.optuna_script.empty()) return out;
  std::ostringstream command;
  command << "/usr/bin/python3 " << s.optuna_script << " --curves " << curves_file << " --seeds "
          << s.seeds << " --configs " << s.configs << " --steps " << kSteps << " --min-trials "
          << s.min_trials << " --grace-steps " << s.grace_steps << " --eta " << s.eta
          << " --min-resource " << s.min_resource;
  FILE* pipe = popen(command.str().c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command.str());
  std::string text;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) text.append(buffer, n);
  if (pclose(pipe) != 0) throw std::runtime_error("failed: " + command.str());
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string pruner;
    int seed;
    if (!(fields >> pruner >> seed)) continue;
    std::vector<int> last;
    int v;
    while (fields >> v) last.push_back(v);
    if (static_cast<int>(last.size()) != s.configs) throw std::runtime_error("bad line: " + line);
    out[pruner][seed] = std::move(last);
  }
  return out;
}

void RunProblem(const Settings& s, const std::string& name) {
  const Problem problem = ParseProblem(name);
  const MfHartmann& f = problem.function;
  std::vector<std::vector<double>> curves;
  for (int seed = 0; seed < s.seeds; ++seed) curves.push_back(Curves(f, seed, s.configs));

  std::filesystem::create_directories(s.work_dir);
  const std::string curves_file = s.work_dir + "/" + name + ".f64";
  {
    std::ofstream out(curves_file, std::ios::binary);
    for (const std::vector<double>& c : curves) {
      out.write(reinterpret_cast<const char*>(c.data()),
                static_cast<std::streamsize>(c.size() * sizeof(double)));
    }
  }

  struct Row {
    std::string label;
    std::vector<std::vector<int>> last;  // per seed
  };
  std::vector<Row> rows;
  auto ours = [&](const std::string& label, StoppingRuleOptions o) {
    o.goal = Goal::kMinimize;
    Row row{label, {}};
    for (int seed = 0; seed < s.seeds; ++seed) {
      row.last.push_back(RunOurs(o, curves[static_cast<size_t>(seed)], s.configs));
    }
    rows.push_back(std::move(row));
  };
  StoppingRuleOptions none;
  ours("none (every trial to z=100)", none);
  StoppingRuleOptions median;
  median.rule = "median";
  median.min_trials = s.min_trials;
  median.grace_steps = s.grace_steps;
  ours("median (ours)", median);
  std::map<std::string, std::map<int, std::vector<int>>> optuna = RunOptuna(s, curves_file);
  auto theirs = [&](const std::string& label, const std::string& key) {
    auto it = optuna.find(key);
    if (it == optuna.end()) return;
    Row row{label, {}};
    for (int seed = 0; seed < s.seeds; ++seed) row.last.push_back(it->second.at(seed));
    rows.push_back(std::move(row));
  };
  theirs("MedianPruner (Optuna)", "median");
  StoppingRuleOptions asha;
  asha.rule = "asha";
  asha.min_trials = s.asha_min_trials;
  asha.eta = s.eta;
  asha.min_resource = s.min_resource;
  ours("asha (ours)", asha);
  theirs("SuccessiveHalvingPruner (Optuna)", "sha");
  theirs("HyperbandPruner (Optuna)", "hyperband");
  StoppingRuleOptions percentile = median;
  percentile.rule = "percentile";
  percentile.percentile = s.percentile;
  char label[64];
  std::snprintf(label, sizeof(label), "percentile %g (ours)", s.percentile);
  ours(label, percentile);

  std::printf("\n%s: Hartmann-%d, %d configs x %d steps, %d seeds; median [q25, q75] over seeds\n",
              name.c_str(), f.dims(), s.configs, kSteps, s.seeds);
  std::printf("%-34s %-24s %-22s %-22s %-26s %-12s %s\n", "rule", "steps", "speed-up",
              "cost speed-up", "final regret", "mean regret", "best stopped");
  for (const Row& row : rows) {
    std::vector<double> steps, speedup, cost, regret;
    int best_stopped = 0;
    for (int seed = 0; seed < s.seeds; ++seed) {
      const Outcome o =
          Evaluate(f, curves[static_cast<size_t>(seed)], row.last[static_cast<size_t>(seed)]);
      steps.push_back(o.steps);
      speedup.push_back(o.speedup);
      cost.push_back(o.cost_speedup);
      regret.push_back(o.regret);
      best_stopped += o.best_stopped ? 1 : 0;
    }
    double mean_regret = 0;
    for (double r : regret) mean_regret += r / static_cast<double>(regret.size());
    std::printf("%-34s %-24s %-22s %-22s %-26s %-12.3f %d/%d\n", row.label.c_str(),
                MedianIqr(steps, "%.0f").c_str(), MedianIqr(speedup, "%.2f").c_str(),
                MedianIqr(cost, "%.2f").c_str(), MedianIqr(regret, "%.3f").c_str(), mean_regret,
                best_stopped, s.seeds);
  }
  std::fflush(stdout);
}

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

int Main(int argc, char** argv) {
  Settings s;
#ifdef TUNER_SOURCE_DIR
  s.optuna_script = std::string(TUNER_SOURCE_DIR) + "/bench/early_stopping_optuna.py";
#else
  s.optuna_script = "bench/early_stopping_optuna.py";
#endif
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--problems") {
      s.problems = Split(value());
    } else if (arg == "--seeds") {
      s.seeds = std::stoi(value());
    } else if (arg == "--configs") {
      s.configs = std::stoi(value());
    } else if (arg == "--min-trials") {
      s.min_trials = std::stoi(value());
    } else if (arg == "--grace-steps") {
      s.grace_steps = std::stoi(value());
    } else if (arg == "--eta") {
      s.eta = std::stod(value());
    } else if (arg == "--min-resource") {
      s.min_resource = std::stoll(value());
    } else if (arg == "--asha-min-trials") {
      s.asha_min_trials = std::stoi(value());
    } else if (arg == "--percentile") {
      s.percentile = std::stod(value());
    } else if (arg == "--optuna-script") {
      s.optuna_script = value();
    } else if (arg == "--no-optuna") {
      s.optuna_script.clear();
    } else if (arg == "--work-dir") {
      s.work_dir = value();
    } else {
      throw std::invalid_argument("unknown argument " + arg);
    }
  }
  std::printf(
      "settings: min_trials=%d grace_steps=%d (median, percentile; Optuna "
      "n_startup_trials, n_warmup_steps), eta=%g min_resource=%lld asha min_trials=%d "
      "(Optuna reduction_factor, min_resource; Hyperband max_resource=%d)\n",
      s.min_trials, s.grace_steps, s.eta, static_cast<long long>(s.min_resource), s.asha_min_trials,
      kSteps);
  for (const std::string& p : s.problems) RunProblem(s, p);
  return 0;
}

}  // namespace
}  // namespace tuner::bench

int main(int argc, char** argv) {
  try {
    return tuner::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "early_stopping: %s\n", e.what());
    return 1;
  }
}
