#!/usr/bin/python3
"""Optuna's samplers on the functions and budgets of bench/bo_quality.cc.

Run with Debian's interpreter (python3-optuna 3.1, python3-scipy, python3-numpy,
python3-cmaes):

    /usr/bin/python3 bench/optuna_quality.py [--seeds N] [--tsv FILE]
        [--samplers random,tpe,tpe_mv,cmaes] [--functions a,b] [--no-latency]

Quality: each sampler runs 50 trials on 2-D functions and 100 on 3- to 6-D
ones, seeds 0..N-1; prints the median and interquartile range of the simple
regret f(best) - f*. Latency: a study is given n completed trials of
Hartmann-6 (random points), then 21 times ask + suggest 6 floats + tell; prints
the median and maximum time of the ask + suggest part, in milliseconds.
The functions are the same formulas as in bo_quality.cc.
"""

import argparse
import math
import statistics
import sys
import time

import numpy as np
import optuna

PI = math.pi


def branin(x):
    b, c, t = 5.1 / (4 * PI * PI), 5 / PI, 1 / (8 * PI)
    return (x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10


def camel(x):
    a, b = x
    return (4 - 2.1 * a * a + a ** 4 / 3) * a * a + a * b + (-4 + 4 * b * b) * b * b


def goldstein_price(x):
    a, b = x
    t1 = 1 + (a + b + 1) ** 2 * (19 - 14 * a + 3 * a * a - 14 * b + 6 * a * b + 3 * b * b)
    t2 = 30 + (2 * a - 3 * b) ** 2 * (18 - 32 * a + 12 * a * a + 48 * b - 36 * a * b + 27 * b * b)
    return t1 * t2


def hartmann(x, a, p):
    alpha = [1.0, 1.2, 3.0, 3.2]
    s = 0.0
    for i in range(4):
        inner = sum(a[i][j] * (x[j] - p[i][j]) ** 2 for j in range(len(x)))
        s += alpha[i] * math.exp(-inner)
    return -s


H3A = [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]]
H3P = [[0.3689, 0.1170, 0.2673], [0.4699, 0.4387, 0.7470],
       [0.1091, 0.8732, 0.5547], [0.0381, 0.5743, 0.8828]]
H6A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
       [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H6P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
       [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
       [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
       [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (x[i] - 1) ** 2 for i in range(len(x) - 1))


def ackley(x):
    d = len(x)
    s1 = sum(v * v for v in x)
    s2 = sum(math.cos(2 * PI * v) for v in x)
    return -20 * math.exp(-0.2 * math.sqrt(s1 / d)) - math.exp(s2 / d) + 20 + math.e


def levy(x):
    w = [1 + (v - 1) / 4 for v in x]
    s = math.sin(PI * w[0]) ** 2
    for i in range(len(x) - 1):
        s += (w[i] - 1) ** 2 * (1 + 10 * math.sin(PI * w[i] + 1) ** 2)
    s += (w[-1] - 1) ** 2 * (1 + math.sin(2 * PI * w[-1]) ** 2)
    return s


def styblinski_tang(x):
    return 0.5 * sum(v ** 4 - 16 * v * v + 5 * v for v in x)


FUNCTIONS = [
    ("branin", [(-5, 10), (0, 15)], 0.397887357729739, branin),
    ("six_hump_camel", [(-3, 3), (-2, 2)], -1.031628453489877, camel),
    ("goldstein_price", [(-2, 2), (-2, 2)], 3.0, goldstein_price),
    ("hartmann3", [(0, 1)] * 3, -3.86278214782076, lambda x: hartmann(x, H3A, H3P)),
    ("hartmann6", [(0, 1)] * 6, -3.32236801141551, lambda x: hartmann(x, H6A, H6P)),
    ("rosenbrock5", [(-5, 10)] * 5, 0.0, rosenbrock),
    ("ackley5", [(-32.768, 32.768)] * 5, 0.0, ackley),
    ("levy5", [(-10, 10)] * 5, 0.0, levy),
    ("styblinski_tang5", [(-5, 5)] * 5, -39.16616570377142 * 5, styblinski_tang),
]

SAMPLERS = {
    "random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
    "tpe": lambda seed: optuna.samplers.TPESampler(seed=seed),
    "tpe_mv": lambda seed: optuna.samplers.TPESampler(seed=seed, multivariate=True),
    "cmaes": lambda seed: optuna.samplers.CmaEsSampler(seed=seed),
}


def run_once(bounds, f, sampler_name, seed, budget):
    study = optuna.create_study(direction="minimize", sampler=SAMPLERS[sampler_name](seed))

    def objective(trial):
        x = [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]
        return f(x)

    study.optimize(objective, n_trials=budget)
    return study.best_value


def quantile(values, q):
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = int(math.floor(pos))
    hi = min(len(v) - 1, lo + 1)
    return v[lo] + (pos - lo) * (v[hi] - v[lo])


def latency(sampler_names):
    name, bounds, _, f = FUNCTIONS[4]
    print("\nSuggestion latency, Hartmann-6 (ms): median and max of 21 ask+suggest")
    print(f"{'sampler':<10} {'trials':>8} {'median':>10} {'max':>10}")
    for sampler_name in sampler_names:
        for n in (50, 200, 1000):
            rng = np.random.default_rng(1234)
            study = optuna.create_study(direction="minimize", sampler=SAMPLERS[sampler_name](7))
            distributions = {f"x{i}": optuna.distributions.FloatDistribution(lo, hi)
                             for i, (lo, hi) in enumerate(bounds)}
            trials = []
            for _ in range(n):
                x = rng.uniform(0, 1, 6).tolist()
                trials.append(optuna.trial.create_trial(
                    params={f"x{i}": v for i, v in enumerate(x)},
                    distributions=distributions, value=f(x)))
            study.add_trials(trials)
            times = []
            for _ in range(21):
                start = time.perf_counter()
                trial = study.ask()
                x = [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]
                times.append((time.perf_counter() - start) * 1000)
                study.tell(trial, f(x))
            print(f"{sampler_name:<10} {n:>8} {statistics.median(times):>10.2f} "
                  f"{max(times):>10.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--tsv")
    parser.add_argument("--samplers", default="random,tpe,tpe_mv,cmaes")
    parser.add_argument("--functions", default="")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--latency-only", action="store_true")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import warnings
    warnings.filterwarnings("ignore")
    samplers = [s for s in args.samplers.split(",") if s]
    only = [s for s in args.functions.split(",") if s]
    out = open(args.tsv, "w") if args.tsv else None
    if out:
        out.write("function\tsampler\tseed\tregret\n")
    if not args.latency_only:
        print(f"Simple regret after 50 (2-D) / 100 (3-6-D) trials, {args.seeds} seeds: "
              "median [q25, q75]")
        print(f"{'function':<18} {'sampler':<10} {'median':>12} {'q25':>12} {'q75':>12} "
              f"{'secs/run':>9}")
        for name, bounds, optimum, f in FUNCTIONS:
            if only and name not in only:
                continue
            budget = 50 if len(bounds) == 2 else 100
            for sampler_name in samplers:
                start = time.perf_counter()
                regrets = [run_once(bounds, f, sampler_name, seed, budget) - optimum
                           for seed in range(args.seeds)]
                secs = (time.perf_counter() - start) / args.seeds
                print(f"{name:<18} {sampler_name:<10} {quantile(regrets, 0.5):>12.4g} "
                      f"{quantile(regrets, 0.25):>12.4g} {quantile(regrets, 0.75):>12.4g} "
                      f"{secs:>9.2f}", flush=True)
                if out:
                    for seed, r in enumerate(regrets):
                        out.write(f"{name}\t{sampler_name}\t{seed}\t{r!r}\n")
                    out.flush()
    if not args.no_latency:
        latency(["random", "tpe", "tpe_mv"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
