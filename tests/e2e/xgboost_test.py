"""tuner_client.integrations.xgboost against a real `tuner serve`, on
scikit-learn's breast cancer data (Debian's python3-xgboost, python3-sklearn).

- Ask/tell: trials with a tiny learning rate are stopped by the median rule
  and their boosters hold exactly the rounds reported; the others run all
  their rounds.
- examples/xgboost under `tuner run`: some trials are stopped early, and
  those trainers stopped boosting at the step of their last report.
"""
import json
import os
import unittest

import tuner_client
from tests.e2e.run_examples_test import ExampleRun

try:
    import xgboost
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from tuner_client.integrations.xgboost import TunerCallback
except ImportError as e:  # a missing package fails the test, saying which
    raise AssertionError("needs Debian's python3-xgboost and python3-sklearn "
                         f"(scripts/setup.sh installs them): {e}") from e

ROUNDS = 25


def data():
    d = load_breast_cancer()
    x_train, x_val, y_train, y_val = train_test_split(
        d.data, d.target, test_size=0.25, random_state=0, stratify=d.target)
    return xgboost.DMatrix(x_train, label=y_train), xgboost.DMatrix(x_val, label=y_val)


class CallbackTest(unittest.TestCase):

    def setUp(self):
        self.server = tuner_client.LocalServer()
        self.addCleanup(self.server.stop)
        self.client = tuner_client.Client(self.server.address)
        self.addCleanup(self.client.close)
        self.dtrain, self.dvalid = data()

    def train(self, eta, callback):
        return xgboost.train(
            {"objective": "binary:logistic", "eval_metric": ["error", "logloss"], "eta": eta,
             "max_depth": 3, "nthread": 1, "seed": 0},
            self.dtrain, num_boost_round=ROUNDS, evals=[(self.dvalid, "validation")],
            callbacks=[callback], verbose_eval=False)

    def test_stopped_trials_stop_boosting_at_that_round(self):
        self.client.create_study({
            "name": "xgb", "objective": {"metric": "validation-logloss", "goal": "minimize"},
            "max_trials": 10,
            "early_stopping": {"rule": "median", "min_trials": 2, "grace_steps": 4},
            "parameters": [{"name": "eta", "type": "double", "min": 0.001, "max": 1,
                            "scale": "log"}]})
        outcomes = {}
        for eta in (0.3, 0.5, 0.002, 0.4, 0.003):
            trial = self.client.create_trial("xgb", {"eta": eta})
            callback = TunerCallback(trial)
            booster = self.train(eta, callback)
            trial.complete()
            stored = self.client.get_trial("xgb", trial.id)
            outcomes[eta] = (booster.num_boosted_rounds(), callback.stopped_at, stored)

        for eta in (0.002, 0.003):  # far worse than the median: stopped at the grace step
            rounds, stopped_at, stored = outcomes[eta]
            self.assertEqual(stored.state, "STOPPED", (eta, stored))
            self.assertEqual(stopped_at, 4, eta)
            self.assertEqual(rounds, stopped_at, f"eta={eta}: the booster went on boosting")
            self.assertEqual([m.step for m in stored.measurements], [1, 2, 3, 4])
            self.assertIn("median", stored.reason)
        for eta in (0.3, 0.5):  # before min_trials completed: nothing stops
            rounds, stopped_at, stored = outcomes[eta]
            self.assertEqual((stored.state, rounds, stopped_at), ("COMPLETED", ROUNDS, None))
            self.assertEqual(len(stored.measurements), ROUNDS)
            self.assertEqual(set(stored.measurements[-1].metrics),
                             {"validation-logloss", "validation-error"})

    def test_chosen_metrics_only_and_a_missing_one_is_named(self):
        self.client.create_study({
            "name": "pick", "objective": {"metric": "validation-logloss", "goal": "minimize"},
            "max_trials": 2, "parameters": [{"name": "eta", "type": "double", "min": 0.1,
                                             "max": 0.5}]})
        trial = self.client.create_trial("pick", {"eta": 0.3})
        self.train(0.3, TunerCallback(trial, metrics=["validation-logloss"]))
        trial.complete()
        stored = self.client.get_trial("pick", trial.id)
        self.assertEqual(set(stored.measurements[0].metrics), {"validation-logloss"})

        trial = self.client.create_trial("pick", {"eta": 0.2})
        with self.assertRaisesRegex(KeyError, r"validation-auc.*validation-error"):
            self.train(0.2, TunerCallback(trial, metrics=["validation-auc"]))


class ExampleTest(ExampleRun):

    def test_tuner_run_stops_some_boosters_early(self):
        study, spec = self.copy_study("xgboost", max_trials=4)
        summary, _ = self.run_study(study)
        counts = summary["trials"]
        self.assertEqual(counts["completed"] + counts["stopped"], spec["max_trials"], summary)
        self.assertGreater(counts["stopped"], 0, summary)
        self.assertGreater(counts["completed"], 0, summary)
        rounds = 40
        for trial in self.trials("xgboost-cancer"):
            booster = self.trial_dir("xgboost-cancer", trial["trial"]) / "booster.json"
            if trial["state"] == "STOPPED":
                self.assertLess(trial["steps"], rounds, trial)
                # The run stops a STOPPING trial's cluster, which may end the
                # trainer before it writes this file; when it did write it:
                if booster.is_file():
                    self.assertEqual(json.loads(booster.read_text()),
                                     {"rounds": trial["steps"], "stopped_at": trial["steps"]})
            else:
                self.assertEqual(trial["state"], "COMPLETED", trial)
                self.assertEqual(trial["steps"], rounds, trial)
                self.assertEqual(json.loads(booster.read_text()),
                                 {"rounds": rounds, "stopped_at": None})


if __name__ == "__main__":
    unittest.main()
