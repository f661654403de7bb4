#!/usr/bin/python3
"""Optuna 5's multi-objective samplers on the problems of bench/mo_quality.cc
(the same formulas on six inputs in [0, 1] and the same real-model table, all
objectives minimised): the hypervolume up to the reference point 1.1 per
objective after --budget trials (digits_size: 40), median [q25, q75] over
seeds 0..N-1.

    /usr/bin/python3 bench/optuna_mo_quality.py [--peers DIR] [--seeds N]
        [--budget T] [--samplers nsga2,tpe,gp,random] [--problems a,b]

The peers' location as for bench/optuna_quality.py (bench/peers.py).
"""
import argparse
import math
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import use_peers  # noqa: E402

if __name__ == "__main__":
    use_peers(sys.argv)

import optuna  # noqa: E402
import optuna_quality  # noqa: E402  (its quantile)

REFERENCE = 1.1


def zdt(concave):
    def f(x):
        g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
        r = x[0] / g
        return [x[0], g * (1 - (r * r if concave else math.sqrt(r)))]
    return f


def dtlz2(x):
    g = sum((v - 0.5) ** 2 for v in x[2:])
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return [(1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b),
            (1 + g) * math.sin(a)]


def box(f):
    def objective(trial):
        return f([trial.suggest_float(f"x{i}", 0, 1) for i in range(6)])
    return objective


def digits_size():
    """Error and stored size of an SVC on digits (bench/make_digits_size_table.py),
    each scaled to [0, 1] by the table's least and largest values."""
    table = {}
    with open(Path(__file__).resolve().parent / "data" / "digits_svc_size.tsv") as f:
        next(f)
        for line in f:
            b, c, g, error, size = line.split()
            table[(int(b), int(c), int(g))] = [float(error), float(size)]
    low = [min(v[j] for v in table.values()) for j in range(2)]
    high = [max(v[j] for v in table.values()) for j in range(2)]
    buckets = sorted({k[0] for k in table})

    def objective(trial):
        b = trial.suggest_categorical("buckets", buckets)
        c = trial.suggest_int("c", -4, 6)
        g = trial.suggest_int("g", -8, 0)
        return [(v - lo) / (hi - lo) for v, lo, hi in zip(table[(b, c, g)], low, high)]
    return objective


# (name, objectives, objective of an Optuna trial, budget or None for --budget)
PROBLEMS = [("zdt1", 2, box(zdt(False)), None), ("zdt2", 2, box(zdt(True)), None),
            ("dtlz2", 3, box(dtlz2), None), ("digits_size", 2, digits_size(), 40)]

SAMPLERS = {
    "nsga2": lambda seed: optuna.samplers.NSGAIISampler(seed=seed),
    "tpe": lambda seed: optuna.samplers.TPESampler(seed=seed),
    "gp": lambda seed: optuna.samplers.GPSampler(seed=seed),
    "random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
}


def hypervolume2(points):
    area, best_f2 = 0.0, REFERENCE
    for p in sorted(points):
        if p[0] >= REFERENCE or p[1] >= best_f2:
            continue
        area += (REFERENCE - p[0]) * (best_f2 - p[1])
        best_f2 = p[1]
    return area


def hypervolume(points, objectives):
    if objectives == 2:
        return hypervolume2(points)
    inside = sorted((p for p in points if all(v < REFERENCE for v in p)), key=lambda p: p[2])
    volume, below = 0.0, []
    for i, p in enumerate(inside):
        below.append(p[:2])
        top = inside[i + 1][2] if i + 1 < len(inside) else REFERENCE
        volume += hypervolume2(below) * (top - p[2])
    return volume


def run_once(objectives, objective, sampler_name, seed, budget):
    study = optuna.create_study(directions=["minimize"] * objectives,
                                sampler=SAMPLERS[sampler_name](seed))
    study.optimize(objective, n_trials=budget)
    return hypervolume([t.values for t in study.trials if t.values], objectives)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--peers")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--samplers", default="nsga2,tpe,gp,random")
    parser.add_argument("--problems", default="")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import warnings
    warnings.filterwarnings("ignore")
    print(f"Optuna {optuna.__version__}: hypervolume after {args.budget} trials (reference "
          f"{REFERENCE} per objective), {args.seeds} seeds: median [q25, q75]")
    only = [p for p in args.problems.split(",") if p]
    for name, objectives, objective, budget in PROBLEMS:
        if only and name not in only:
            continue
        for sampler in [s for s in args.samplers.split(",") if s]:
            hv = [run_once(objectives, objective, sampler, seed, budget or args.budget)
                  for seed in range(args.seeds)]
            print(f"{name:<8} {sampler:<8} {optuna_quality.quantile(hv, 0.5):>10.4f} "
                  f"{optuna_quality.quantile(hv, 0.25):>10.4f} "
                  f"{optuna_quality.quantile(hv, 0.75):>10.4f}", flush=True)


if __name__ == "__main__":
    main()
