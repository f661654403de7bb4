"""PBT on the toy problem of its paper (Jaderberg et al. 2017, section 4.1),
next to random search and ASHA with the same budget, all through a real
`tuner serve` and the Python client (ask/tell workers simulated in one
process, in lock step).

The problem: maximise Q(theta) = 1.2 - theta0^2 - theta1^2 by gradient
ascent on the surrogate Qhat(theta | h) = 1.2 - h0 theta0^2 - h1 theta1^2,
from theta = (0.9, 0.5), step size 0.05; h = (h0, h1) in [0, 1]^2 (uniform,
the same prior for every method) is what is tuned. A trial trains up to --steps
steps; --workers trials train side by side; every step is reported, with a
checkpoint (theta and the step) that a PBT copy restores.

Printed: for each method, over --seeds seeds, the median number of total
steps (summed over every trial) until some report reached Q >= 1.19 ("-"
when a seed never did within --budget total steps), how many seeds reached
it, and the median best Q within the budget.

    /usr/bin/python3 bench/pbt_toy.py --tuner build/tuner
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients",
                                "python"))
import tuner_client  # noqa: E402

TARGET = 1.19
LR = 0.05


def q_of(theta):
    return 1.2 - theta[0] ** 2 - theta[1] ** 2


def study_spec(method, seed, args):
    spec = {
        "name": "%s-%d" % (method, seed),
        "objective": {"metric": "Q", "goal": "maximize"},
        "algorithm": {"name": "random", "seed": seed},
        "max_trials": 1000,
        "max_parallel_trials": args.workers,
        "parameters": [{"name": "h0", "type": "double", "min": 0, "max": 1},
                       {"name": "h1", "type": "double", "min": 0, "max": 1}],
    }
    if method == "pbt":
        spec["algorithm"] = {"name": "pbt", "seed": seed, "population": args.workers,
                             "interval": args.interval, "quantile": 0.25}
    elif method == "asha":
        spec["early_stopping"] = {"rule": "asha", "min_resource": args.interval, "eta": 3,
                                  "min_trials": 1}
    return spec


def run(client, method, seed, args, ckpt_dir):
    spec = study_spec(method, seed, args)
    client.create_study(spec)
    name = spec["name"]
    slots = [None] * args.workers  # (trial, theta, step)
    total, reached_at, best = 0, None, float("-inf")
    while total < args.budget:
        progressed = False
        for i in range(args.workers):
            if slots[i] is None:
                got = list(client.suggest(name, 1, client_id="w%d" % i))
                if not got:
                    continue
                trial = got[0]
                theta, step = [0.9, 0.5], 0
                restore = trial.latest_checkpoint()
                if restore:
                    with open(restore) as f:
                        saved = f.read().split()
                    theta, step = [float(saved[0]), float(saved[1])], int(saved[2])
                slots[i] = (trial, theta, step)
            trial, theta, step = slots[i]
            if step >= args.steps:  # a copy of a member that had finished
                trial.report(step, Q=q_of(theta))
                trial.complete()
                slots[i] = None
                continue
            h = (trial.parameters["h0"], trial.parameters["h1"])
            theta = [t - 2 * LR * hi * t for t, hi in zip(theta, h)]
            step += 1
            total += 1
            progressed = True
            q = q_of(theta)
            best = max(best, q)
            if reached_at is None and q >= TARGET:
                reached_at = total
            if method == "pbt":
                path = os.path.join(ckpt_dir, "%s-%d-%d" % (name, trial.id, step))
                with open(path, "w") as f:
                    f.write("%r %r %d" % (theta[0], theta[1], step))
                trial.save_checkpoint(path, step)
            stop = trial.report(step, Q=q)
            if stop or step >= args.steps:
                trial.complete()
                slots[i] = None
            else:
                slots[i] = (trial, theta, step)
            if total >= args.budget:
                break
        if not progressed and all(s is None for s in slots):
            break  # the study has nothing more to run
    for s in slots:
        if s is not None:
            s[0].stop("budget spent")
            s[0].complete()
    return reached_at, best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tuner", default="build/tuner")
    parser.add_argument("--seeds", type=int, default=9)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--steps", type=int, default=40, help="steps a trial trains at most")
    parser.add_argument("--interval", type=int, default=4)
    parser.add_argument("--budget", type=int, default=0,
                        help="total steps of every trial (default: workers x steps, what PBT's "
                             "population trains)")
    args = parser.parse_args()
    args.budget = args.budget or args.workers * args.steps
    with tempfile.TemporaryDirectory() as tmp:
        serve = subprocess.Popen([args.tuner, "serve", "--db", os.path.join(tmp, "b.db"),
                                  "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
        try:
            address = re.search(r"(127\.0\.0\.1:\d+)", serve.stdout.readline()).group(1)
            client = tuner_client.Client(address)
            rows = []
            for method in ("pbt", "random", "asha"):
                reached, bests = [], []
                for seed in range(1, args.seeds + 1):
                    at, best = run(client, method, seed, args, tmp)
                    reached.append(at)
                    bests.append(best)
                ok = [r for r in reached if r is not None]
                # Seeds that never reached it count as the budget + 1.
                med = statistics.median([r if r is not None else args.budget + 1
                                         for r in reached])
                rows.append((method, med, len(ok), statistics.median(bests)))
            client.close()
        finally:
            serve.terminate()
            serve.wait(10)
    print("PBT toy problem (Jaderberg et al. 2017, 4.1): %d workers, %d steps per trial, "
          "budget %d total steps, %d seeds, target Q >= %.2f"
          % (args.workers, args.steps, args.budget, args.seeds, TARGET))
    print()
    print("| method | median total steps to Q >= %.2f | seeds that reached it | "
          "median best Q |" % TARGET)
    print("|---|---|---|---|")
    pbt = rows[0][1]
    for method, med, ok, best in rows:
        shown = "-" if med > args.budget else "%d" % med
        ratio = "" if method == "pbt" or med > args.budget or pbt > args.budget else \
            " (%.2fx PBT's)" % (med / pbt)
        print("| %s | %s%s | %d/%d | %.4f |" % (method, shown, ratio, ok, args.seeds, best))


if __name__ == "__main__":
    main()
