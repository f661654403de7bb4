#!/usr/bin/env python3
"""Fills a study server with finished studies whose numbers are known, for the
dashboard's browser test (tests/e2e/dashboard_test.mjs).

    dashboard_study.py ENDPOINT [--trials N]   create the studies below
    dashboard_study.py ENDPOINT --add-best     one more, better trial in dash_e2e

Prints one JSON object on stdout: what the dashboard should show.

  dash_e2e     one objective (val_accuracy, maximize), ask/tell; COMPLETED trials
               with 5 intermediate values each, one STOPPED and one FAILED trial.
  dash_pareto  two objectives (accuracy max, latency_ms min); a known Pareto front.
  dash_hb      Hyperband (budget `epochs` 1/3/9) with 12 completed trials: the
               budget stays out of importance and colours the history.
  dash_xss     every string a study can carry (metric names, categorical values,
               reasons, client ids) is an HTML/JS payload that sets window.__xss
               if the page ever runs it; one value needs shell quoting.
"""
import argparse
import json

import tuner_client

SINGLE = {
    "name": "dash_e2e",
    "objective": {"metric": "val_accuracy", "goal": "maximize"},
    "algorithm": {"name": "random", "seed": 1},
    "max_trials": 100000,
    "parameters": [
        {"name": "learning_rate", "type": "double", "min": 1e-4, "max": 0.3, "scale": "log"},
        {"name": "input_buckets", "type": "integer", "min": 2, "max": 16},
        {"name": "optimizer", "type": "categorical", "values": ["adam", "sgd"]},
        {"name": "momentum", "type": "double", "min": 0.0, "max": 0.99,
         "when": {"optimizer": ["sgd"]}},
    ],
}

PARETO = {
    "name": "dash_pareto",
    "objectives": [{"metric": "accuracy", "goal": "maximize"},
                   {"metric": "latency_ms", "goal": "minimize"}],
    "algorithm": {"name": "random", "seed": 2},
    "max_trials": 100,
    "parameters": [
        {"name": "units", "type": "discrete", "values": [16, 32, 64, 128]},
        {"name": "dropout", "type": "double", "min": 0.0, "max": 0.5},
    ],
}

# Long on purpose: the table must keep the row one line high.
STOP_REASON = ("median rule: val_accuracy 0.3125 at step 2 is below the median 0.61 of the "
               "completed trials at that step (min_trials 5, grace_steps 1); stopped early")

HYPERBAND = {
    "name": "dash_hb",
    "objective": {"metric": "val_accuracy", "goal": "maximize"},
    "algorithm": {"name": "hyperband", "seed": 4, "eta": 3,
                  "resource": {"name": "epochs", "min": 1, "max": 9}},
    "max_trials": 100,
    "parameters": [
        {"name": "learning_rate", "type": "double", "min": 1e-3, "max": 1.0, "scale": "log"},
        {"name": "layers", "type": "integer", "min": 2, "max": 6},
    ],
}


def hyperband_study(client):
    client.create_study(HYPERBAND)
    budgets = {}
    for i in range(12):
        epochs = [1, 3, 9][i % 3]
        trial = client.create_trial("dash_hb", {"learning_rate": [0.001, 0.01, 0.1, 1.0][i % 4],
                                                "layers": 2 + i % 5, "epochs": epochs})
        trial.complete(val_accuracy=0.5 + 0.03125 * epochs + 0.0078125 * (i % 4))
        budgets.setdefault(epochs, []).append(trial.id)
    return {"name": "dash_hb", "budgets": {str(k): v for k, v in budgets.items()}}


# Dyadic fractions print the same everywhere (no rounding in any language).
BEST_ACCURACY = 0.9375


def record_model(trial):
    """Logs a small model file as the trial's artifact; returns its record."""
    import hashlib
    import os
    import tempfile
    data = b"weights " * 300
    path = os.path.join(tempfile.mkdtemp(prefix="dash-e2e-"), "model.bin")
    with open(path, "wb") as f:
        f.write(data)
    records = trial.log_artifact(path, kind="model")
    os.remove(path)
    os.rmdir(os.path.dirname(path))
    return {"path": records[0].path, "kind": "model", "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


def single_study(client, n):
    client.create_study(SINGLE)
    expected = {"name": "dash_e2e", "completed": [], "stopped": [], "failed": []}
    for i in range(n):
        optimizer = "adam" if i % 3 else "sgd"
        params = {
            "learning_rate": [0.001, 0.003, 0.01, 0.03, 0.1][i % 5],
            "input_buckets": 2 + (i * 5) % 15,
            "optimizer": optimizer,
        }
        if optimizer == "sgd":
            params["momentum"] = 0.5 + 0.0625 * (i % 7)
        trial = client.create_trial("dash_e2e", params)
        # The final accuracy: one trial (the 8th) is the best; others below it.
        # The learning rate matters most (so the importance plot has something to
        # show); 0.01 is the sweet spot.
        lr_score = {0.001: 0.0, 0.003: 0.15, 0.01: 0.3, 0.03: 0.2, 0.1: 0.05}[params["learning_rate"]]
        final = (BEST_ACCURACY if i == 7
                 else round(0.55 + lr_score + 0.0625 * ((i * 37) % 16) / 16, 6))
        if i == 4:  # stopped early after two steps
            trial.report(1, val_accuracy=0.25)
            trial.report(2, val_accuracy=0.3125)
            trial.stop(STOP_REASON)
            trial.complete()
            expected["stopped"].append({"id": trial.id, "val_accuracy": 0.3125,
                                        "reason": STOP_REASON})
            continue
        if i == 9:  # crashed after one step
            trial.report(1, val_accuracy=0.125)
            trial.fail("trainer exited with code 1")
            expected["failed"].append({"id": trial.id, "reason": "trainer exited with code 1"})
            continue
        for step in range(1, 6):
            trial.report(step, val_accuracy=round(final * (1 - 0.5 ** step) / (1 - 0.5 ** 5), 6),
                         loss=round(1.0 / step, 6))
        if i == 7:  # the best trial recorded a model file (for the trial view)
            expected["artifact"] = record_model(trial)
        trial.complete(val_accuracy=final, loss=0.2)
        expected["completed"].append({"id": trial.id, "val_accuracy": final, "params": params})
    best = max(expected["completed"], key=lambda t: (t["val_accuracy"], -t["id"]))
    expected["best"] = best
    return expected


def pareto_study(client):
    client.create_study(PARETO)
    points = [  # (units, dropout, accuracy, latency_ms); front: ids 1, 2, 4
        (16, 0.0, 0.75, 2.0),
        (32, 0.125, 0.8125, 4.0),
        (64, 0.25, 0.78125, 6.0),
        (128, 0.375, 0.875, 8.0),
        (64, 0.5, 0.6875, 9.0),
    ]
    for units, dropout, accuracy, latency in points:
        trial = client.create_trial("dash_pareto", {"units": units, "dropout": dropout})
        trial.complete(accuracy=accuracy, latency_ms=latency)
    return {"name": "dash_pareto", "front": [1, 2, 4]}


# Payloads: each sets window.__xss (to a different number) if it ever runs.
XSS_METRIC = '<img src=x onerror="window.__xss=1">'
XSS_METRIC2 = "<svg onload=window.__xss=2>"
XSS_VALUE = "<img src=x onerror=window.__xss=3>"
SHELL_VALUE = "a b'c$HOME\"`id`;*"  # needs quoting on a shell command line
XSS_REASON = "<img src=x onerror=window.__xss=4> stopped"
XSS_FAIL = "<script>window.__xss=5</script>"
XSS_CLIENT = "<img src=x onerror=window.__xss=6>"

XSS = {
    "name": "dash_xss",
    "objectives": [{"metric": XSS_METRIC, "goal": "maximize"},
                   {"metric": XSS_METRIC2, "goal": "minimize"}],
    "algorithm": {"name": "random", "seed": 3},
    "max_trials": 100,
    "parameters": [
        {"name": "opt", "type": "categorical", "values": [XSS_VALUE, SHELL_VALUE]},
        {"name": "lr", "type": "double", "min": 0.001, "max": 1.0},
    ],
}


def xss_study(client):
    client.create_study(XSS)
    ids = []
    for i in range(6):
        params = {"opt": XSS_VALUE if i % 2 else SHELL_VALUE, "lr": 0.125 * (i + 1)}
        trial = client.create_trial("dash_xss", params, client_id=XSS_CLIENT)
        for step in range(1, 4):
            trial.report(step, {XSS_METRIC: 0.125 * step + 0.0625 * i, XSS_METRIC2: 4.0 - step - i * 0.25})
        if i == 4:
            trial.stop(XSS_REASON)
            trial.complete()
        elif i == 5:
            trial.fail(XSS_FAIL)
        else:
            trial.complete({XSS_METRIC: 0.5 + 0.0625 * i, XSS_METRIC2: 3.0 - 0.5 * i})
        ids.append(trial.id)
    return {"name": "dash_xss", "ids": ids, "shell_value": SHELL_VALUE, "metric": XSS_METRIC,
            "value": XSS_VALUE}


NEW_BEST = 0.96875


def add_best(client):
    params = {"learning_rate": 0.02, "input_buckets": 9, "optimizer": "adam"}
    trial = client.create_trial("dash_e2e", params)
    trial.report(1, val_accuracy=0.5)
    trial.complete(val_accuracy=NEW_BEST, loss=0.125)
    return {"id": trial.id, "val_accuracy": NEW_BEST, "params": params}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("endpoint")
    parser.add_argument("--trials", type=int, default=14)
    parser.add_argument("--add-best", action="store_true")
    args = parser.parse_args()
    with tuner_client.Client(args.endpoint) as client:
        if args.add_best:
            out = add_best(client)
        else:
            out = {"single": single_study(client, args.trials), "pareto": pareto_study(client),
                   "xss": xss_study(client), "hyperband": hyperband_study(client)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
