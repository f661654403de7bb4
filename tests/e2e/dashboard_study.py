#!/usr/bin/env python3
"""Fills a study server with finished studies whose numbers are known, for the
dashboard's browser test (tests/e2e/dashboard_test.mjs).

    dashboard_study.py ENDPOINT [--trials N]   create the studies below
    dashboard_study.py ENDPOINT --add-best     one more, better trial in dash_e2e

Prints one JSON object on stdout: what the dashboard should show.

  dash_e2e     one objective (val_accuracy, maximize), ask/tell; COMPLETED trials
               with 5 intermediate values each, one STOPPED and one FAILED trial.
  dash_pareto  two objectives (accuracy max, latency_ms min); a known Pareto front.
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

# Dyadic fractions print the same everywhere (no rounding in any language).
BEST_ACCURACY = 0.9375


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
            trial.stop("median rule: below the median at step 2")
            trial.complete()
            expected["stopped"].append({"id": trial.id, "val_accuracy": 0.3125})
            continue
        if i == 9:  # crashed after one step
            trial.report(1, val_accuracy=0.125)
            trial.fail("trainer exited with code 1")
            expected["failed"].append({"id": trial.id, "reason": "trainer exited with code 1"})
            continue
        for step in range(1, 6):
            trial.report(step, val_accuracy=round(final * (1 - 0.5 ** step) / (1 - 0.5 ** 5), 6),
                         loss=round(1.0 / step, 6))
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
            out = {"single": single_study(client, args.trials), "pareto": pareto_study(client)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
