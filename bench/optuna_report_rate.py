"""Optuna 3.1 peer for bench_report_throughput: trial.report + trial.should_prune
per step with SQLite storage and MedianPruner. Prints the median reports/s of
--runs runs on stdout (one number)."""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def one_run(steps: int, seed: int) -> float:
    with tempfile.TemporaryDirectory() as d:
        storage = f"sqlite:///{os.path.join(d, 'optuna.db')}"
        study = optuna.create_study(
            storage=storage, direction="maximize",
            pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2))
        rng = random.Random(seed)
        for _ in range(10):  # completed curves, as in the C++ side
            t = study.ask()
            for step in range(1, 51):
                t.report(rng.random(), step)
            study.tell(t, rng.random())
        trial = study.ask()
        start = time.perf_counter()
        for step in range(1, steps + 1):
            trial.report(rng.random(), step)
            trial.should_prune()
        return steps / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    rates = [one_run(args.steps, seed) for seed in range(args.runs)]
    print(f"{statistics.median(rates):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
