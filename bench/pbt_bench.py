"""Population-Based Training next to random search and ASHA with the same
budget, on two problems, all through a real `tuner serve` and the Python
client (ask/tell workers simulated in one process, in lock step: every
step of every running trial is reported, with a checkpoint that a PBT copy
restores).

  --problem toy     the toy problem of the PBT paper (Jaderberg et al. 2017,
                    section 4.1): maximise Q(theta) = 1.2 - theta0^2 - theta1^2
                    by gradient ascent on the surrogate
                    Qhat(theta | h) = 1.2 - h0 theta0^2 - h1 theta1^2 from
                    theta = (0.9, 0.5), step size 0.05; h in [0, 1]^2 is tuned.
                    Printed: the median total steps (summed over every trial)
                    until some report reached Q >= 1.19, and the median best Q.
  --problem digits  a 64-32-10 MLP on scikit-learn's digits (Debian's
                    python3-sklearn; 70/30 split), SGD with momentum 0.9,
                    batch 32, one epoch per step; the learning rate
                    (log-uniform in [1e-3, 1]) is tuned, so PBT can lower it
                    as training goes (a schedule). Printed: the median over
                    seeds of the best validation accuracy of a trial that
                    trained every epoch.

The budget is the same total steps for every method: workers x steps per
trial, what PBT's population trains.

    /usr/bin/python3 bench/pbt_bench.py --tuner build/tuner --problem toy
    /usr/bin/python3 bench/pbt_bench.py --tuner build/tuner --problem digits
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients",
                                "python"))
import tuner_client  # noqa: E402


class Toy:
    metric, steps, target = "Q", 40, 1.19
    parameters = [{"name": "h0", "type": "double", "min": 0, "max": 1},
                  {"name": "h1", "type": "double", "min": 0, "max": 1}]

    def init(self, seed):
        return np.array([0.9, 0.5])

    def step(self, theta, params, step):
        h = np.array([params["h0"], params["h1"]])
        theta = theta - 2 * 0.05 * h * theta
        return theta, self.evaluate(theta)

    def evaluate(self, theta):
        return 1.2 - float(theta @ theta)

    def save(self, theta, path):
        np.save(path, theta)

    def load(self, path):
        return np.load(path)


class Digits:
    metric, steps, target = "val_accuracy", 20, None
    parameters = [{"name": "learning_rate", "type": "double", "min": 1e-3, "max": 1,
                   "scale": "log"}]

    def __init__(self):
        from sklearn.datasets import load_digits
        data = load_digits()
        x = data.data / 16.0
        y = data.target
        order = np.random.default_rng(0).permutation(len(y))
        cut = int(0.7 * len(y))
        self.xt, self.yt = x[order[:cut]], y[order[:cut]]
        self.xv, self.yv = x[order[cut:]], y[order[cut:]]

    def init(self, seed):
        rng = np.random.default_rng(seed)
        w1 = rng.normal(0, 1 / 8, (64, 32))
        w2 = rng.normal(0, 1 / np.sqrt(32), (32, 10))
        return {"w1": w1, "b1": np.zeros(32), "w2": w2, "b2": np.zeros(10),
                "v": [np.zeros((64, 32)), np.zeros(32), np.zeros((32, 10)), np.zeros(10)],
                "seed": np.array(seed)}

    def step(self, s, params, step):
        lr = params["learning_rate"]
        rng = np.random.default_rng(int(s["seed"]) * 1000 + step)
        order = rng.permutation(len(self.yt))
        weights = [s["w1"], s["b1"], s["w2"], s["b2"]]
        for start in range(0, len(order), 32):
            idx = order[start:start + 32]
            x, y = self.xt[idx], self.yt[idx]
            h = np.maximum(0, x @ weights[0] + weights[1])
            z = h @ weights[2] + weights[3]
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(y)), y] -= 1
            p /= len(y)
            gw2, gb2 = h.T @ p, p.sum(axis=0)
            dh = (p @ weights[2].T) * (h > 0)
            gw1, gb1 = x.T @ dh, dh.sum(axis=0)
            for k, g in enumerate((gw1, gb1, gw2, gb2)):
                s["v"][k] = 0.9 * s["v"][k] - lr * g
                weights[k] = weights[k] + s["v"][k]
        s["w1"], s["b1"], s["w2"], s["b2"] = weights
        return s, self.evaluate(s)

    def evaluate(self, s):
        h = np.maximum(0, self.xv @ s["w1"] + s["b1"])
        return float(((h @ s["w2"] + s["b2"]).argmax(axis=1) == self.yv).mean())

    def save(self, s, path):
        np.savez(path, w1=s["w1"], b1=s["b1"], w2=s["w2"], b2=s["b2"], v0=s["v"][0],
                 v1=s["v"][1], v2=s["v"][2], v3=s["v"][3], seed=s["seed"])

    def load(self, path):
        d = np.load(path)
        return {"w1": d["w1"], "b1": d["b1"], "w2": d["w2"], "b2": d["b2"],
                "v": [d["v0"], d["v1"], d["v2"], d["v3"]], "seed": d["seed"]}


def study_spec(problem, method, seed, args):
    spec = {
        "name": "%s-%s-%d" % (args.problem, method, seed),
        "objective": {"metric": problem.metric, "goal": "maximize"},
        "algorithm": {"name": "random", "seed": seed},
        "max_trials": 1000,
        "max_parallel_trials": args.workers,
        "parameters": problem.parameters,
    }
    if method == "pbt":
        spec["algorithm"] = {"name": "pbt", "seed": seed, "population": args.workers,
                             "interval": args.interval, "quantile": 0.25}
    elif method == "asha":
        spec["early_stopping"] = {"rule": "asha", "min_resource": args.interval, "eta": 3,
                                  "min_trials": 1}
    return spec


def run(client, problem, method, seed, args, ckpt_dir):
    """(total steps when the target was first reached or None, best value of
    a report, best final value of a trial that trained every step)."""
    spec = study_spec(problem, method, seed, args)
    client.create_study(spec)
    name = spec["name"]
    slots = [None] * args.workers  # (trial, state, step)
    total, reached_at, best, best_final = 0, None, float("-inf"), float("-inf")
    while total < args.budget:
        progressed = False
        for i in range(args.workers):
            if slots[i] is None:
                got = list(client.suggest(name, 1, client_id="w%d" % i))
                if not got:
                    continue
                trial = got[0]
                state, step = problem.init(seed * 100000 + trial.id), 0
                restore = trial.latest_checkpoint()
                if restore:
                    state = problem.load(restore)
                    step = int(re.search(r"-(\d+)\.np[yz]$", restore).group(1))
                slots[i] = (trial, state, step)
            trial, state, step = slots[i]
            if step >= args.steps:  # a copy of a member that had finished
                trial.report(step, **{problem.metric: problem.evaluate(state)})
                trial.complete()
                slots[i] = None
                continue
            step += 1
            state, value = problem.step(state, trial.parameters, step)
            total += 1
            progressed = True
            best = max(best, value)
            if problem.target is not None and reached_at is None and value >= problem.target:
                reached_at = total
            if method == "pbt":
                path = os.path.join(ckpt_dir, "%s-%d-%d" % (name, trial.id, step))
                problem.save(state, path)
                saved = [p for p in (path, path + ".npy", path + ".npz") if os.path.exists(p)]
                trial.save_checkpoint(saved[0], step)
            stop = trial.report(step, **{problem.metric: value})
            if step >= args.steps:
                best_final = max(best_final, value)
            if stop or step >= args.steps:
                trial.complete()
                slots[i] = None
            else:
                slots[i] = (trial, state, step)
            if total >= args.budget:
                break
        if not progressed and all(s is None for s in slots):
            break  # the study has nothing more to run
    for s in slots:
        if s is not None:
            s[0].stop("budget spent")
            s[0].complete()
    return reached_at, best, best_final


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tuner", default="build/tuner")
    parser.add_argument("--problem", choices=("toy", "digits"), default="toy")
    parser.add_argument("--seeds", type=int, default=9)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--steps", type=int, default=0,
                        help="steps a trial trains at most (default: toy 40, digits 20)")
    parser.add_argument("--interval", type=int, default=4)
    parser.add_argument("--budget", type=int, default=0,
                        help="total steps of every trial (default: workers x steps, what PBT's "
                             "population trains)")
    args = parser.parse_args()
    problem = Toy() if args.problem == "toy" else Digits()
    args.steps = args.steps or problem.steps
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
                results = [run(client, problem, method, seed, args, tmp)
                           for seed in range(1, args.seeds + 1)]
                rows.append((method, results))
            client.close()
        finally:
            serve.terminate()
            serve.wait(10)
    print("PBT bench, problem %s: %d workers, %d steps per trial, budget %d total steps, "
          "%d seeds" % (args.problem, args.workers, args.steps, args.budget, args.seeds))
    print()
    if problem.target is not None:
        print("| method | median total steps to %s >= %.2f | seeds that reached it | "
              "median best %s |" % (problem.metric, problem.target, problem.metric))
        print("|---|---|---|---|")
        never = args.budget + 1
        pbt = statistics.median([r[0] or never for r in rows[0][1]])
        for method, results in rows:
            med = statistics.median([r[0] or never for r in results])
            shown = "-" if med > args.budget else "%d" % med
            if method != "pbt" and med <= args.budget and pbt <= args.budget:
                shown += " (%.2fx PBT's)" % (med / pbt)
            print("| %s | %s | %d/%d | %.4f |" % (
                method, shown, sum(r[0] is not None for r in results), args.seeds,
                statistics.median([r[1] for r in results])))
    else:
        print("| method | median best final %s | worst seed | best seed |" % problem.metric)
        print("|---|---|---|---|")
        for method, results in rows:
            finals = [r[2] for r in results]
            print("| %s | %.4f | %.4f | %.4f |" % (method, statistics.median(finals),
                                                    min(finals), max(finals)))


if __name__ == "__main__":
    main()
