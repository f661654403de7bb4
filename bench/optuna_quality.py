#!/usr/bin/python3
"""Optuna's samplers on the functions and budgets of bench/bo_quality.cc.

Runs the Optuna of ../shared/peers (5.x, with GPSampler; see its README) with
Debian's interpreter and python3-numpy, -scipy, -torch:

    /usr/bin/python3 bench/optuna_quality.py [--peers DIR] [--seeds N] [--tsv FILE]
        [--samplers random,tpe,gp,cmaes] [--functions a,b] [--no-latency]
        [--latency-only] [--latency-sizes 50,200,1000] [--latency-repeats 21]
        [--workers W]

The peers' location: --peers, else $TUNER_PEERS, else ../shared/peers beside
the checkout. The script re-runs itself with the PYTHONPATH the peers' README
gives and prints the Optuna version it ran.

Quality: each sampler runs 50 trials on 2-D functions and 100 on larger ones
(25 on the table digits_svc),
seeds 0..N-1; prints the median and interquartile range of the simple regret
f(best) - f* (for a noisy function, the noise-free value of the best observed
point). Latency: a study is given n completed trials of Hartmann-6 (random
points), then 21 times ask + suggest 6 floats + tell; prints the median and
maximum time of the ask + suggest part, in milliseconds. The functions are the
same formulas as in bo_quality.cc.
"""

import argparse
import heapq
import math
import statistics
import sys
import time

import os
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import use_peers  # noqa: E402


if __name__ == "__main__":
    use_peers(sys.argv)

import numpy as np  # noqa: E402
import optuna  # noqa: E402

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


def hartmann6(x):
    return hartmann(x, H6A, H6P)


def rotate(z):
    """The fixed rotation of bo_quality.cc: Givens rotations of every pair."""
    z = list(z)
    for i in range(len(z)):
        for j in range(i + 1, len(z)):
            t = 0.5 + 0.37 * (i + 1) + 0.23 * (j + 1)
            c, s = math.cos(t), math.sin(t)
            z[i], z[j] = c * z[i] - s * z[j], s * z[i] + c * z[j]
    return z


def rot_quadratic(x):
    c = [0.3, -0.2, 0.5, -0.4, 0.1, 0.25]
    z = rotate([a - b for a, b in zip(x, c)])
    return sum(10.0 ** (3.0 * i / 5) * v * v for i, v in enumerate(z))


def rot_styblinski(x):
    c = [1, -1, 0.5, 2]
    z = rotate([a - b for a, b in zip(x, c)])
    return styblinski_tang([v - 2.903534018185960 for v in z])


WELLS = [((0.8, 0.15, 0.6), 1.5, 0.04), ((0.25, 0.7, 0.3), 1.0, 0.2),
         ((0.6, 0.8, 0.85), 1.2, 0.08), ((0.2, 0.2, 0.8), 0.9, 0.15)]


def narrow_wells(x):
    return -sum(depth * math.exp(-sum((a - b) ** 2 for a, b in zip(x, m)) / (2 * w * w))
                for m, depth, w in WELLS)


def hartmann6_in20(x):
    return hartmann6([x[i] for i in (2, 5, 9, 11, 16, 18)])


def mixed(trial):
    """The mixed space of bo_quality.cc: its value for an Optuna trial."""
    x0 = trial.suggest_float("x0", 0, 1)
    x1 = trial.suggest_float("x1", 0, 1)
    n = trial.suggest_int("n", 1, 20)
    kind = trial.suggest_categorical("kind", ["linear", "quadratic", "sine"])
    f = (x0 - 0.35) ** 2 + (x1 - 0.8) ** 2 + ((n - 13) / 10) ** 2
    if kind == "linear":
        return f + 0.3
    if kind == "quadratic":
        return f + 0.15
    width = trial.suggest_float("width", 0.1, 10, log=True)
    return f + 0.05 + 0.2 * (math.log10(width) - 0.3) ** 2


def box(bounds, f):
    """An objective over x0..x{d-1} in `bounds`."""
    def objective(trial):
        return f([trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)])
    return objective


def digits_svc():
    """The tabular real-model problem of bo_quality.cc (bench/make_digits_table.py)."""
    table = {}
    with open(Path(__file__).resolve().parent / "data" / "digits_svc.tsv") as f:
        next(f)
        for line in f:
            b, c, g, error = line.split()
            table[(int(b), int(c), int(g))] = float(error)
    buckets = sorted({k[0] for k in table})

    def objective(trial):
        b = trial.suggest_categorical("buckets", buckets)
        c = trial.suggest_int("c", -4, 6)
        g = trial.suggest_int("g", -8, 0)
        return table[(b, c, g)]
    return objective, min(table.values())


DIGITS_SVC, DIGITS_SVC_OPTIMUM = digits_svc()

# (name, dimension, optimum, objective of an Optuna trial, noise sd)
FUNCTIONS = [
    ("branin", 2, 0.397887357729739, box([(-5, 10), (0, 15)], branin), 0),
    ("six_hump_camel", 2, -1.031628453489877, box([(-3, 3), (-2, 2)], camel), 0),
    ("goldstein_price", 2, 3.0, box([(-2, 2), (-2, 2)], goldstein_price), 0),
    ("hartmann3", 3, -3.86278214782076, box([(0, 1)] * 3, lambda x: hartmann(x, H3A, H3P)), 0),
    ("hartmann6", 6, -3.32236801141551, box([(0, 1)] * 6, hartmann6), 0),
    ("rosenbrock5", 5, 0.0, box([(-5, 10)] * 5, rosenbrock), 0),
    ("ackley5", 5, 0.0, box([(-32.768, 32.768)] * 5, ackley), 0),
    ("levy5", 5, 0.0, box([(-10, 10)] * 5, levy), 0),
    ("styblinski_tang5", 5, -39.16616570377142 * 5, box([(-5, 5)] * 5, styblinski_tang), 0),
    ("rot_quadratic6", 6, 0.0, box([(-1, 1)] * 6, rot_quadratic), 0),
    ("rot_styblinski4", 4, -39.16616570377142 * 4, box([(-5, 5)] * 4, rot_styblinski), 0),
    ("narrow_wells3", 3, -1.500286114560827, box([(0, 1)] * 3, narrow_wells), 0),
    ("hartmann6_in20", 20, -3.32236801141551, box([(0, 1)] * 20, hartmann6_in20), 0),
    ("noisy_hartmann6", 6, -3.32236801141551, box([(0, 1)] * 6, hartmann6), 0.1),
    ("mixed5", 5, 0.05, mixed, 0),
    ("digits_svc", 3, DIGITS_SVC_OPTIMUM, DIGITS_SVC, 0),
]

SAMPLERS = {
    "random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
    "tpe": lambda seed: optuna.samplers.TPESampler(seed=seed),
    "gp": lambda seed: optuna.samplers.GPSampler(seed=seed),
    "cmaes": lambda seed: optuna.samplers.CmaEsSampler(seed=seed),
}


def run_once(objective, noise_sd, sampler_name, seed, budget):
    """Regret input: the noise-free value of the best observed trial."""
    study = optuna.create_study(direction="minimize", sampler=SAMPLERS[sampler_name](seed))
    rng = np.random.default_rng(seed + 1000)
    truth = {}

    def observed(trial):
        y = objective(trial)
        truth[trial.number] = y
        return y + rng.normal(0, noise_sd) if noise_sd > 0 else y

    study.optimize(observed, n_trials=budget)
    return truth[study.best_trial.number]


# With several workers: TPE with constant_liar (running trials count as bad
# ones), the others as they are (GPSampler handles running trials itself).
PARALLEL_SAMPLERS = dict(SAMPLERS, tpe=lambda seed: optuna.samplers.TPESampler(
    seed=seed, constant_liar=True))


def run_parallel(objective, noise_sd, sampler_name, seed, budget, workers):
    """As bo_quality.cc's RunParallel: `workers` asynchronous workers, each
    trial taking a log-normal time (median 1, sigma 0.5), so trials finish out
    of order; a trial is asked (and its parameters sampled, seeing the running
    ones) when a worker is free and told when it finishes."""
    study = optuna.create_study(direction="minimize",
                                sampler=PARALLEL_SAMPLERS[sampler_name](seed))
    noise = np.random.default_rng(seed + 1000)
    durations = np.random.default_rng(seed + 2000)
    truth, running, now = {}, [], 0.0

    def launch():
        trial = study.ask()
        y = objective(trial)
        truth[trial.number] = y
        seen = y + noise.normal(0, noise_sd) if noise_sd > 0 else y
        heapq.heappush(running, (now + durations.lognormal(0.0, 0.5), trial.number, trial, seen))

    launched = 0
    while launched < min(workers, budget):
        launch()
        launched += 1
    while running:
        now, _, trial, seen = heapq.heappop(running)
        study.tell(trial, seen)
        if launched < budget:
            launch()
            launched += 1
    return truth[study.best_trial.number]


def quantile(values, q):
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = int(math.floor(pos))
    hi = min(len(v) - 1, lo + 1)
    return v[lo] + (pos - lo) * (v[hi] - v[lo])


def latency(sampler_names, sizes=(50, 200, 1000), repeats=21):
    bounds, f = [(0, 1)] * 6, hartmann6
    print(f"\nSuggestion latency, Hartmann-6 (ms): median and max of {repeats} ask+suggest")
    print(f"{'sampler':<10} {'trials':>8} {'median':>10} {'max':>10}")
    for sampler_name in sampler_names:
        for n in sizes:
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
            for _ in range(repeats):
                start = time.perf_counter()
                trial = study.ask()
                x = [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]
                times.append((time.perf_counter() - start) * 1000)
                study.tell(trial, f(x))
            print(f"{sampler_name:<10} {n:>8} {statistics.median(times):>10.2f} "
                  f"{max(times):>10.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", help="the peers' folder (default: $TUNER_PEERS or "
                        "../shared/peers)")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--tsv")
    parser.add_argument("--samplers", default="random,tpe,gp,cmaes")
    parser.add_argument("--functions", default="")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--latency-only", action="store_true")
    parser.add_argument("--workers", type=int, default=1,
                        help="asynchronous workers (1: sequential)")
    parser.add_argument("--latency-sizes", default="50,200,1000",
                        help="history sizes of the latency table")
    parser.add_argument("--latency-repeats", type=int, default=21)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import warnings
    warnings.filterwarnings("ignore")
    samplers = [s for s in args.samplers.split(",") if s]
    only = [s for s in args.functions.split(",") if s]
    out = open(args.tsv, "w") if args.tsv else None
    if out:
        out.write("function\tsampler\tseed\tregret\n")
    print(f"Optuna {optuna.__version__} from {Path(optuna.__file__).parent.parent}")
    if not args.latency_only:
        print(f"Simple regret after 50 (2-D) / 100 (3-D and more) trials, {args.seeds} seeds, "
              f"{args.workers} worker(s): median [q25, q75]")
        print(f"{'function':<18} {'sampler':<10} {'median':>12} {'q25':>12} {'q75':>12} "
              f"{'secs/run':>9}")
        for name, dimension, optimum, objective, noise_sd in FUNCTIONS:
            if only and name not in only:
                continue
            budget = 25 if name == "digits_svc" else 50 if dimension == 2 else 100
            for sampler_name in samplers:
                start = time.perf_counter()
                regrets = [(run_once(objective, noise_sd, sampler_name, seed, budget)
                            if args.workers == 1 else
                            run_parallel(objective, noise_sd, sampler_name, seed, budget,
                                         args.workers)) - optimum
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
        latency([s for s in samplers if s != "cmaes"],
                [int(n) for n in args.latency_sizes.split(",") if n], args.latency_repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
