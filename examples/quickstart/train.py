"""Quickstart trainer: logistic regression on bucketised features, pure Python.

The data set is generated with a fixed seed: two features x1, x2 uniform in
[-1, 1], label 1 when sin(3*x1) + 2*x2**2 - 0.7 + noise > 0. Each feature is
cut into `input_buckets` equal-width buckets and one-hot encoded; a logistic
regression on those indicators is trained with (momentum) SGD on mini-batches.
Few buckets underfit the curved boundary; many buckets leave few examples per
bucket. Everything is deterministic for given hyperparameters.

Launched by the service (`--name=value` arguments, TUNER_* environment), it
reports `val_accuracy` and `loss` after every epoch, stops early when told,
saves its fitted preprocessing (the bucket boundaries) and the model under
$TUNER_OUTPUT_DIR/artifacts/ (recorded with the service: `tuner export`
hands them to predict.py), and completes the trial. Imported,
`train(params, report)` does the work.
"""

import json
import math
import os
import random
import sys

DEFAULTS = {"learning_rate": 0.1, "epochs": 5, "optimizer": "sgd", "momentum": 0.9,
            "input_buckets": 8}

DATA_SEED = 7
N_TRAIN, N_VAL = 400, 200
BATCH_SIZE = 16
LOW, HIGH = -1.0, 1.0  # range of both features


def make_data(n, rng):
    """n examples ((x1, x2), label) drawn from rng."""
    data = []
    for _ in range(n):
        x1, x2 = rng.uniform(LOW, HIGH), rng.uniform(LOW, HIGH)
        score = math.sin(3.0 * x1) + 2.0 * x2 * x2 - 0.7 + rng.gauss(0.0, 0.25)
        data.append(((x1, x2), 1 if score > 0 else 0))
    return data


def bucket(x, buckets):
    """Index of the equal-width bucket of [LOW, HIGH] that holds x."""
    i = int((x - LOW) / (HIGH - LOW) * buckets)
    return min(max(i, 0), buckets - 1)


def encode(data, buckets):
    """Each example as (indices of its active one-hot features, label)."""
    return [((bucket(x1, buckets), buckets + bucket(x2, buckets)), y) for (x1, x2), y in data]


def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def evaluate(weights, bias, examples):
    """(mean log loss, accuracy)."""
    loss, correct = 0.0, 0
    for (i, j), y in examples:
        p = min(max(sigmoid(weights[i] + weights[j] + bias), 1e-12), 1.0 - 1e-12)
        loss -= math.log(p) if y else math.log(1.0 - p)
        correct += (p >= 0.5) == bool(y)
    return loss / len(examples), correct / len(examples)


def preprocessing_state(buckets):
    """The fitted preprocessing: the range the buckets cut and their count
    (and, for people, the boundaries between them)."""
    width = (HIGH - LOW) / buckets
    return {"low": LOW, "high": HIGH, "buckets": buckets,
            "boundaries": [LOW + k * width for k in range(1, buckets)]}


def save(save_dir, buckets, weights, bias, val_set):
    """Writes artifacts/preprocessing/buckets.json and artifacts/model/model.json
    under save_dir: what predict.py needs to predict as the trial evaluated;
    and artifacts/evaluation/val_predictions.json, this evaluation's own
    predictions on the validation set, to check a bundle against."""
    predictions = [int(sigmoid(weights[i] + weights[j] + bias) >= 0.5) for (i, j), _ in val_set]
    for kind, name, state in (("preprocessing", "buckets.json", preprocessing_state(buckets)),
                              ("model", "model.json", {"weights": weights, "bias": bias}),
                              ("evaluation", "val_predictions.json", predictions)):
        folder = os.path.join(save_dir, "artifacts", kind)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "w") as f:
            json.dump(state, f)


def train(params, report=None, save_dir=None):
    """Trains with `params` (missing ones take DEFAULTS) and returns the final
    metrics {"val_accuracy", "loss"}. After each epoch calls
    `report(epoch, val_accuracy=..., loss=...)`; a true result stops early.
    With `save_dir`, saves the preprocessing and the model there (save())."""
    p = dict(DEFAULTS)
    p.update(params)
    lr = float(p["learning_rate"])
    epochs = int(p["epochs"])
    buckets = int(p["input_buckets"])
    momentum = float(p["momentum"]) if p["optimizer"] == "momentum" else 0.0
    if p["optimizer"] not in ("sgd", "momentum"):
        raise ValueError(f"optimizer: expected sgd or momentum, got {p['optimizer']!r}")

    data_rng = random.Random(DATA_SEED)
    train_set = encode(make_data(N_TRAIN, data_rng), buckets)
    val_set = encode(make_data(N_VAL, data_rng), buckets)
    order_rng = random.Random(DATA_SEED + 1)

    dim = 2 * buckets
    weights, bias = [0.0] * dim, 0.0
    velocity, bias_velocity = [0.0] * dim, 0.0
    metrics = {}
    for epoch in range(1, epochs + 1):
        order = list(range(len(train_set)))
        order_rng.shuffle(order)
        for start in range(0, len(order), BATCH_SIZE):
            batch = [train_set[k] for k in order[start:start + BATCH_SIZE]]
            grad, grad_bias = {}, 0.0
            for (i, j), y in batch:
                g = (sigmoid(weights[i] + weights[j] + bias) - y) / len(batch)
                grad[i] = grad.get(i, 0.0) + g
                grad[j] = grad.get(j, 0.0) + g
                grad_bias += g
            if momentum:
                for k in range(dim):
                    velocity[k] = momentum * velocity[k] - lr * grad.get(k, 0.0)
                    weights[k] += velocity[k]
                bias_velocity = momentum * bias_velocity - lr * grad_bias
                bias += bias_velocity
            else:
                for k, g in grad.items():
                    weights[k] -= lr * g
                bias -= lr * grad_bias
        loss, _ = evaluate(weights, bias, train_set)
        _, val_accuracy = evaluate(weights, bias, val_set)
        metrics = {"val_accuracy": val_accuracy, "loss": loss}
        if report is not None and report(epoch, **metrics):
            break
    if save_dir:
        save(save_dir, buckets, weights, bias, val_set)
    return metrics


def _import_client():
    try:
        import tuner_client
    except ImportError:  # run from a source checkout without PYTHONPATH
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, os.path.join(here, "..", "..", "clients", "python"))
        import tuner_client
    return tuner_client


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if os.environ.get("TUNER_TRIAL_ID"):
        tuner_client = _import_client()
        trial = tuner_client.current_trial()
        try:
            metrics = train(tuner_client.parameters(argv), report=trial.report,
                            save_dir=os.environ.get("TUNER_OUTPUT_DIR"))
        except Exception as e:
            trial.fail(f"{type(e).__name__}: {e}")
            raise
        trial.complete()  # the last report; STOPPED when the service said stop
    else:
        params = {}
        for arg in argv:
            if arg.startswith("--") and "=" in arg:
                name, _, value = arg[2:].partition("=")
                params[name] = value if name == "optimizer" else float(value)

        def show(step, **m):
            print(f"epoch {step}: " + " ".join(f"{k}={v:.4f}" for k, v in m.items()))
            return False

        metrics = train(params, report=show)
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
