"""Predicts with an exported quickstart bundle (`tuner export quickstart DIR`).

    /usr/bin/python3 predict.py DIR [--json]

Loads DIR/manifest.json, the preprocessing (bucket boundaries) and the model
it lists, and evaluates them on the quickstart validation set (regenerated
from its seed): the preprocessing applied is the one the model was trained
with, whatever train.py's defaults are. Prints the accuracy, or with --json
{"val_accuracy", "predictions"}.
"""

import json
import math
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import DATA_SEED, N_TRAIN, N_VAL, make_data  # noqa: E402  (the data only)


def load(bundle):
    with open(os.path.join(bundle, "manifest.json")) as f:
        manifest = json.load(f)
    by_kind = {}
    for entry in manifest["files"]:
        by_kind.setdefault(entry["kind"], entry["path"])
    missing = [k for k in ("preprocessing", "model") if k not in by_kind]
    if missing:
        raise SystemExit(f"{bundle}: the manifest lists no {' or '.join(missing)} file")
    with open(os.path.join(bundle, by_kind["preprocessing"])) as f:
        prep = json.load(f)
    with open(os.path.join(bundle, by_kind["model"])) as f:
        model = json.load(f)
    return prep, model


def predict(prep, model, x1, x2):
    def bucket(x):
        i = int((x - prep["low"]) / (prep["high"] - prep["low"]) * prep["buckets"])
        return min(max(i, 0), prep["buckets"] - 1)

    w = model["weights"]
    z = w[bucket(x1)] + w[prep["buckets"] + bucket(x2)] + model["bias"]
    return 1 if 1.0 / (1.0 + math.exp(-max(min(z, 500), -500))) >= 0.5 else 0


def main(argv):
    if not argv or argv[0].startswith("-"):
        raise SystemExit(__doc__)
    prep, model = load(argv[0])
    rng = random.Random(DATA_SEED)
    make_data(N_TRAIN, rng)  # the training set comes first from the same stream
    val = make_data(N_VAL, rng)
    predictions = [predict(prep, model, x1, x2) for (x1, x2), _ in val]
    accuracy = sum(p == y for p, (_, y) in zip(predictions, val)) / len(val)
    if "--json" in argv[1:]:
        print(json.dumps({"val_accuracy": accuracy, "predictions": predictions}))
    else:
        print(f"val_accuracy={accuracy:.4f} on {len(val)} examples")


if __name__ == "__main__":
    main(sys.argv[1:])
