"""Gradient-boosted trees on scikit-learn's breast cancer data, reported per round.

XGBoost trains a binary classifier (569 examples, 30 features, shipped inside
the python3-sklearn package: nothing is downloaded) for up to `--rounds`
boosting rounds. `tuner_client.integrations.xgboost.TunerCallback` reports the
validation set's `logloss` and `error` after every round as the metrics
`validation-logloss` and `validation-error`; when the study's early-stopping
rule stops the trial, training ends after that round.

At the end it writes `$TUNER_OUTPUT_DIR/booster.json`: the number of rounds the
booster holds and the round after which the service said stop (null when it
ran to the end).

Run alone (no service) it prints each round's metrics and never stops:

    /usr/bin/python3 train.py --eta=0.1 --max_depth=3 --min_child_weight=1 --rounds=20
"""

import json
import os
import sys

import xgboost
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

import tuner_client
from tuner_client.integrations.xgboost import TunerCallback

DEFAULTS = {"eta": 0.1, "max_depth": 3, "min_child_weight": 1.0, "rounds": 40}


def main():
    params = dict(DEFAULTS, **tuner_client.parameters())
    data = load_breast_cancer()
    x_train, x_val, y_train, y_val = train_test_split(
        data.data, data.target, test_size=0.25, random_state=0, stratify=data.target)
    dtrain = xgboost.DMatrix(x_train, label=y_train)
    dvalid = xgboost.DMatrix(x_val, label=y_val)

    callback = TunerCallback()
    booster = xgboost.train(
        {"objective": "binary:logistic", "eval_metric": ["error", "logloss"],
         "eta": params["eta"], "max_depth": int(params["max_depth"]),
         "min_child_weight": params["min_child_weight"], "nthread": 1, "seed": 0},
        dtrain, num_boost_round=int(params["rounds"]), evals=[(dvalid, "validation")],
        callbacks=[callback], verbose_eval=False)

    rounds = booster.num_boosted_rounds()
    print(f"trained {rounds} rounds" + (f" (the service said stop after round "
                                          f"{callback.stopped_at}: {callback.reason})"
                                          if callback.stopped_at else ""), file=sys.stderr)
    out_dir = os.environ.get("TUNER_OUTPUT_DIR")
    if out_dir:
        with open(os.path.join(out_dir, "booster.json"), "w") as f:
            json.dump({"rounds": rounds, "stopped_at": callback.stopped_at}, f)
    tuner_client.complete()  # the last report; STOPPED when the service said stop


if __name__ == "__main__":
    main()
