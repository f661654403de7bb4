#!/usr/bin/python3
"""Merges the per-run TSVs of bo_quality and optuna_quality.py into one
Markdown table of median simple regret [q25, q75], plus a short scorecard.

    /usr/bin/python3 bench/combine_quality.py ours.tsv optuna.tsv
"""

import csv
import sys
from collections import defaultdict

ORDER = ["branin", "six_hump_camel", "goldstein_price", "hartmann3", "hartmann6",
         "rosenbrock5", "ackley5", "levy5", "styblinski_tang5",
         "rot_quadratic6", "rot_styblinski4", "narrow_wells3", "hartmann6_in20",
         "noisy_hartmann6", "mixed5", "digits_svc"]


def quantile(values, q):
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = int(pos)
    hi = min(len(v) - 1, lo + 1)
    return v[lo] + (pos - lo) * (v[hi] - v[lo])


def fmt(x):
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 0.01:
        return f"{x:.3g}"
    return f"{x:.1e}"


def main(paths):
    runs = defaultdict(list)  # (function, column) -> regrets
    columns = []
    for path, prefix in zip(paths, ["", "optuna "]):
        with open(path) as f:
            for row in csv.DictReader(f, delimiter="\t"):
                column = prefix + row["sampler"]
                if column not in columns:
                    columns.append(column)
                runs[(row["function"], column)].append(float(row["regret"]))
    functions = [f for f in ORDER if any((f, c) in runs for c in columns)]
    print("| function | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for f in functions:
        cells = []
        for c in columns:
            r = runs.get((f, c))
            cells.append("—" if not r else
                         f"{fmt(quantile(r, 0.5))} [{fmt(quantile(r, 0.25))}, "
                         f"{fmt(quantile(r, 0.75))}]")
        print(f"| {f} | " + " | ".join(cells) + " |")
    seeds = {len(v) for v in runs.values()}
    print(f"\nSeeds per cell: {sorted(seeds)}")
    optuna_columns = [c for c in columns if c.startswith("optuna ")]
    if "gp" in columns:
        wins = within = 0
        for f in functions:
            gp = quantile(runs[(f, "gp")], 0.5)
            others = {c: quantile(runs[(f, c)], 0.5) for c in optuna_columns if (f, c) in runs}
            beats = all(gp < o for o in others.values())
            best_peer = min(others, key=others.get) if others else None
            ratio = gp / max(others[best_peer], 1e-300) if best_peer else float("nan")
            wins += beats
            within += ratio <= 2
            print(f"- {f}: gp below every Optuna sampler: {'yes' if beats else 'NO'}; "
                  f"gp / best peer ({best_peer}) median regret = {ratio:.3g}")
        print(f"\ngp median regret below every Optuna sampler on {wins} of {len(functions)} "
              f"(goal: 90%); within 2x the best peer on {within} of {len(functions)} "
              "(goal: all)")

if __name__ == "__main__":
    main(sys.argv[1:])
