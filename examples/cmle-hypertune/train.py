"""A trainer written for Cloud ML Engine, run unchanged by the tuner.

It knows nothing of this service. Like a Cloud ML Engine (AI Platform
Training) trainer it takes its hyperparameters as --name=value arguments,
writes its model to --job-dir, and reports its metrics the way the
cloudml-hypertune library does: one JSON object per report, appended to the
queue of reports the file holds (the whole file is written again each time),
at $CLOUD_ML_HP_METRIC_FILE or /tmp/hypertune/output.metrics, e.g.

    {"global_step": "3", "timestamp": 1700000000.5, "trial": "7", "val_loss": "0.41"}

With `"metrics": {"source": "hypertune"}` the tuner points that variable at a
file of each rank's own and reads the chief's as it grows. (A real trainer
would `import hypertune`; this one writes the same format itself, so that it
needs no package.)

The model: logistic regression on a fixed synthetic data set (8 features, a
linear score plus noise), full-batch gradient descent, pure Python. The
learning rate of epoch e is `learning_rate * schedule(e)`: `constant` 1,
`cosine` 0.5 * (1 + cos(pi * (e - 1) / epochs)), and `broken` 0 -- the
weights never move, so val_loss stays at log(2) and the median stopping rule
ends such trials once it has evidence.

Run alone:

    /usr/bin/python3 train.py --learning_rate=0.5 --schedule=cosine --job-dir=/tmp/job
"""

import argparse
import collections
import json
import math
import os
import random
import sys
import time

N_FEATURES = 8
MAX_REPORTS_KEPT = 100  # as the library keeps them


class MetricFile:
    """The cloudml-hypertune file format, written the way that library does."""

    def __init__(self):
        self.path = os.environ.get("CLOUD_ML_HP_METRIC_FILE", "/tmp/hypertune/output.metrics")
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.trial = os.environ.get("CLOUD_ML_TRIAL_ID", "0")
        self.reports = collections.deque(maxlen=MAX_REPORTS_KEPT)

    def report(self, tag, value, global_step):
        self.reports.append({"timestamp": time.time(), "trial": str(self.trial),
                             tag: str(float(value)), "global_step": str(int(global_step))})
        with open(self.path, "w") as f:
            for entry in self.reports:
                f.write(json.dumps(entry, sort_keys=True) + "\n")


def make_data(n, true_w, rng):
    rows = []
    for _ in range(n):
        x = [rng.gauss(0, 1) for _ in range(N_FEATURES)]
        score = sum(w * v for w, v in zip(true_w, x)) + rng.gauss(0, 1.0)
        rows.append((x, 1.0 if score > 0 else 0.0))
    return rows


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0


def evaluate(w, b, rows):
    loss, correct = 0.0, 0
    for x, y in rows:
        p = min(max(sigmoid(sum(wi * xi for wi, xi in zip(w, x)) + b), 1e-12), 1 - 1e-12)
        loss -= y * math.log(p) + (1 - y) * math.log(1 - p)
        correct += (p > 0.5) == (y > 0.5)
    return loss / len(rows), correct / len(rows)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--learning_rate", type=float, default=0.5)
    parser.add_argument("--schedule", choices=["constant", "cosine", "broken"], default="constant")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--epoch_seconds", type=float, default=0.1,
                        help="pause after each epoch, as a longer training would take")
    parser.add_argument("--job-dir", dest="job_dir", default="",
                        help="where the model goes (Cloud ML Engine's --job-dir)")
    args = parser.parse_args()

    rng = random.Random(11)
    true_w = [rng.uniform(-2, 2) for _ in range(N_FEATURES)]
    train, valid = make_data(300, true_w, rng), make_data(200, true_w, rng)
    w, b = [0.0] * N_FEATURES, 0.0
    metrics = MetricFile()
    print(f"training: learning_rate={args.learning_rate} schedule={args.schedule} "
          f"job_dir={args.job_dir or '-'}", flush=True)
    for epoch in range(1, args.epochs + 1):
        factor = {"constant": 1.0,
                  "cosine": 0.5 * (1 + math.cos(math.pi * (epoch - 1) / args.epochs)),
                  "broken": 0.0}[args.schedule]
        grad_w, grad_b = [0.0] * N_FEATURES, 0.0
        for x, y in train:
            err = sigmoid(sum(wi * xi for wi, xi in zip(w, x)) + b) - y
            for i in range(N_FEATURES):
                grad_w[i] += err * x[i] / len(train)
            grad_b += err / len(train)
        w = [wi - args.learning_rate * factor * g for wi, g in zip(w, grad_w)]
        b -= args.learning_rate * factor * grad_b
        val_loss, accuracy = evaluate(w, b, valid)
        # Two reports per epoch, one metric each, as hypertune users write it.
        metrics.report("val_loss", val_loss, epoch)
        metrics.report("accuracy", accuracy, epoch)
        print(f"epoch {epoch}: val_loss {val_loss:.4f} accuracy {accuracy:.3f}", flush=True)
        time.sleep(args.epoch_seconds)

    if args.job_dir:
        os.makedirs(args.job_dir, exist_ok=True)
        with open(os.path.join(args.job_dir, "model.json"), "w") as f:
            json.dump({"weights": w, "bias": b, "val_loss": val_loss}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
