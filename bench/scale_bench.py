#!/usr/bin/python3
"""Suggestion latency and memory of a real `tuner serve` with a large study.

Fills a `bayesian` study of Hartmann-6 (six doubles, minimised) with N random
finished trials through the Python client (CreateTrial + CompleteTrial, as an
ask/tell user adding results would), then times SuggestTrials + CompleteTrial
round trips from the client: the first (the model is built from the bulk-added
history), then the median and max of max(--repeats, N/10 + 2) more, enough
to pass a point where the GP refits its hyperparameters. It prints the
server's resident memory (VmRSS) and peak (VmHWM) from /proc after each size,
and the designer's first suggestion after a restart of the server on the
same db (the model is rebuilt from the history).

    /usr/bin/python3 bench/scale_bench.py --tuner build/tuner [--sizes 200,1000,10000]
"""
import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients",
                                "python"))
import tuner_client  # noqa: E402

A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8],
     [17, 8, 0.05, 10, 0.1, 14]]
P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
     [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
     [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
     [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]
ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(x):
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6)))
                for i in range(4))


def memory_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def serve(tuner, db):
    proc = subprocess.Popen([tuner, "serve", "--db", db, "--listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    address = re.search(r"(127\.0\.0\.1:\d+)", line)
    if not address:
        proc.kill()
        raise SystemExit(f"tuner serve did not start: {line}")
    return proc, address.group(1)


def timed_suggestions(client, name, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        trial = client.suggest(name, 1)[0]
        times.append((time.perf_counter() - start) * 1000)
        trial.complete(y=hartmann6([trial.parameters[f"x{i}"] for i in range(6)]))
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tuner", default="build/tuner")
    parser.add_argument("--sizes", default="200,1000,10000")
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    print("tuner serve, bayesian study of Hartmann-6: SuggestTrials round trip (ms) from the "
          "Python client: the first after the bulk fill, then median and max of "
          f"max({args.repeats}, trials/10 + 2); server memory (MiB)")
    print(f"{'trials':>8} {'first':>9} {'median':>9} {'max':>9} {'first after restart':>20} "
          f"{'RSS':>7} {'peak RSS':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            db = os.path.join(tmp, f"scale{n}.db")
            name = f"scale{n}"
            spec = {"name": name, "objective": {"metric": "y", "goal": "minimize"},
                    "algorithm": {"name": "bayesian", "seed": 7},
                    "max_trials": 2 * n + 10 * args.repeats,
                    "parameters": [{"name": f"x{i}", "type": "double", "min": 0, "max": 1}
                                   for i in range(6)]}
            proc, address = serve(args.tuner, db)
            try:
                rng = np.random.default_rng(1234)
                with tuner_client.Client(address) as client:
                    client.create_study(spec)
                    for _ in range(n):
                        x = rng.uniform(0, 1, 6).tolist()
                        trial = client.create_trial(name, {f"x{i}": v for i, v in enumerate(x)})
                        trial.complete(y=hartmann6(x))
                    after_fill = timed_suggestions(client, name, 1)[0]
                    times = timed_suggestions(client, name, max(args.repeats, n // 10 + 2))
                mem = memory_kib(proc.pid)
            finally:
                proc.terminate()
                proc.wait(30)
            proc, address = serve(args.tuner, db)
            try:
                with tuner_client.Client(address) as client:
                    first = timed_suggestions(client, name, 1)[0]
            finally:
                proc.terminate()
                proc.wait(30)
            print(f"{n:>8} {after_fill:>9.1f} {statistics.median(times):>9.1f} "
                  f"{max(times):>9.1f} {first:>20.1f} "
                  f"{mem['VmRSS'] / 1024:>7.1f} {mem['VmHWM'] / 1024:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
