"""tuner_client.integrations.sklearn.TunerSearchCV on scikit-learn's digits
(Debian's python3-sklearn), with trials from a real `tuner serve`: one it
starts itself ($TUNER_BIN) or one given by address.
"""
import os
import pathlib
import subprocess
import sys
import threading
import unittest

import numpy as np
import tuner_client

try:
    from scipy.stats import loguniform, norm, randint
    from sklearn.datasets import load_digits
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import GridSearchCV, ParameterGrid, train_test_split
    from sklearn.linear_model import SGDClassifier
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC
    from tuner_client.integrations.sklearn import TunerSearchCV, study_parameters
except ImportError as e:
    raise AssertionError(f"needs Debian's python3-sklearn (scripts/setup.sh): {e}") from e


REPO = pathlib.Path(__file__).resolve().parents[2]


def digits(n=600):
    X, y = load_digits(return_X_y=True)
    return train_test_split(X[:n], y[:n], test_size=0.25, random_state=0, stratify=y[:n])


class MeetingSVC(SVC):
    """An SVC whose first two fits wait for each other: a search that does not
    run two candidates at once fails (the barrier breaks after 120 s)."""
    barrier = threading.Barrier(2, timeout=120)
    fits = 0
    lock = threading.Lock()

    def fit(self, X, y, sample_weight=None):
        with MeetingSVC.lock:
            MeetingSVC.fits += 1
            meet = MeetingSVC.fits <= 2
        if meet:
            MeetingSVC.barrier.wait()
        return super().fit(X, y, sample_weight)


class TunerSearchCVTest(unittest.TestCase):

    def test_digits_with_its_own_local_server(self):
        X_train, X_test, y_train, y_test = digits()
        space = {"C": loguniform(1e-2, 1e3), "gamma": loguniform(1e-5, 1e-1),
                 "kernel": ["rbf", "sigmoid"]}
        search = TunerSearchCV(SVC(), space, n_trials=8, algorithm="sobol", cv=3,
                               random_state=1, return_train_score=True)
        self.assertIs(search.fit(X_train, y_train), search)

        results = search.cv_results_
        reference = GridSearchCV(SVC(), {"C": [1.0], "gamma": [1e-3], "kernel": ["rbf"]},
                                 cv=3, return_train_score=True).fit(X_train, y_train)
        self.assertEqual(set(results) - {"trial_id", "state"}, set(reference.cv_results_))
        for key, column in results.items():
            self.assertEqual(len(column), 8, key)
        self.assertEqual(list(results["trial_id"]), list(range(1, 9)))
        self.assertEqual(set(results["state"]), {"COMPLETED"})
        folds = np.stack([results[f"split{k}_test_score"] for k in range(3)], axis=1)
        np.testing.assert_allclose(results["mean_test_score"], folds.mean(axis=1))
        self.assertEqual(sorted(results["rank_test_score"])[0], 1)

        best = search.best_params_
        self.assertEqual(set(best), set(space))
        self.assertTrue(1e-2 <= best["C"] <= 1e3 and 1e-5 <= best["gamma"] <= 1e-1, best)
        self.assertIn(best["kernel"], ("rbf", "sigmoid"))
        self.assertEqual(search.best_score_, max(results["mean_test_score"]))
        self.assertEqual(results["params"][search.best_index_], best)
        # Refit on all the training data, then predict and score like GridSearchCV.
        self.assertEqual(search.best_estimator_.get_params()["C"], best["C"])
        predicted = search.predict(X_test)
        self.assertEqual(predicted.shape, y_test.shape)
        self.assertEqual(search.score(X_test, y_test), accuracy_score(y_test, predicted))
        self.assertGreater(search.score(X_test, y_test), 0.8)
        self.assertEqual(list(search.classes_), list(range(10)))

    def test_two_workers_against_a_running_server(self):
        X_train, _, y_train, _ = digits(400)
        with tuner_client.LocalServer() as server:
            search = TunerSearchCV(MeetingSVC(), {"C": loguniform(0.1, 100)}, n_trials=6,
                                   cv=2, n_jobs=2, server=server.address, study_name="meet")
            search.fit(X_train, y_train)
            with tuner_client.Client(server.address) as client:
                trials = client.list_trials("meet")
        self.assertEqual(len(trials), 6)
        self.assertEqual({t.client_id for t in trials}, {"meet-worker-0", "meet-worker-1"})
        stored = {t.id: t.metrics["score"] for t in trials}
        for trial_id, mean in zip(search.cv_results_["trial_id"],
                                  search.cv_results_["mean_test_score"]):
            self.assertAlmostEqual(stored[trial_id], mean)

    def test_grid_visits_every_combination_with_typed_values(self):
        X_train, _, y_train, _ = digits(400)
        grid = {"n_neighbors": [1, 3, 5], "weights": ["uniform", "distance"], "p": [2]}
        search = TunerSearchCV(KNeighborsClassifier(), grid, algorithm="grid", cv=2)
        search.fit(X_train, y_train)
        seen = search.cv_results_["params"]
        def combos(dicts):
            return sorted(tuple(sorted(d.items())) for d in dicts)
        self.assertEqual(combos(seen), combos(ParameterGrid(grid)))
        self.assertEqual(len(seen), 6, "the grid's size is the default n_trials")
        for params in seen:
            self.assertIs(type(params["n_neighbors"]), int)

    def test_hyperband_gives_its_resource_to_the_estimator(self):
        X_train, _, y_train, _ = digits(300)
        search = TunerSearchCV(
            SGDClassifier(tol=None, random_state=0), {"alpha": loguniform(1e-5, 1e-1)},
            n_trials=6, cv=2, random_state=2,
            algorithm={"name": "hyperband", "resource": {"name": "max_iter", "min": 1,
                                                         "max": 9}})
        search.fit(X_train, y_train)
        budgets = [p["max_iter"] for p in search.cv_results_["params"]]
        self.assertTrue(all(type(b) is int and 1 <= b <= 9 for b in budgets), budgets)
        self.assertGreater(len(set(budgets)), 1, budgets)
        self.assertEqual(list(search.cv_results_["param_max_iter"]), budgets)

    def test_a_stopping_rule_ends_poor_candidates_after_their_first_fold(self):
        X_train, _, y_train, _ = digits(400)
        search = TunerSearchCV(
            SVC(), {"gamma": [0.001, 1.0]}, algorithm="grid", cv=3,
            early_stopping={"rule": "threshold", "threshold": 0.5, "grace_steps": 1})
        search.fit(X_train, y_train)
        results = search.cv_results_
        by_gamma = {p["gamma"]: i for i, p in enumerate(results["params"])}
        poor, good = by_gamma[1.0], by_gamma[0.001]
        self.assertEqual(results["state"][poor], "STOPPED")
        self.assertTrue(np.isfinite(results["split0_test_score"][poor]))
        self.assertTrue(np.isnan(results["split1_test_score"][poor]))
        self.assertEqual(results["state"][good], "COMPLETED")
        self.assertEqual(list(results["rank_test_score"][[good, poor]]), [1, 2])
        self.assertEqual(search.best_params_, {"gamma": 0.001})

    def test_spaces_map_to_the_study_format_and_bad_ones_are_named(self):
        parameters, constants, decode = study_parameters({
            "a": loguniform(1e-3, 1), "b": randint(1, 5), "c": [0.5, 0.25],
            "d": [None, (32,), "x"], "e": {"type": "double", "min": 0, "max": 2}, "f": [7]})
        self.assertEqual(parameters, [
            {"name": "a", "type": "double", "min": 1e-3, "max": 1.0, "scale": "log"},
            {"name": "b", "type": "integer", "min": 1, "max": 4},
            {"name": "c", "type": "discrete", "values": [0.25, 0.5]},
            {"name": "d", "type": "categorical", "values": ["None", "(32,)", "'x'"]},
            {"name": "e", "type": "double", "min": 0, "max": 2}])
        self.assertEqual(constants, {"f": 7})
        self.assertEqual(decode({"a": 0.1, "b": 2, "c": 0.5, "d": "(32,)", "e": 1.0}),
                         {"a": 0.1, "b": 2, "c": 0.5, "d": (32,), "e": 1.0, "f": 7})
        with self.assertRaisesRegex(TypeError, r"param_distributions\['n'\]: scipy.stats.norm"):
            study_parameters({"n": norm()})
        with self.assertRaisesRegex(ValueError, r"param_distributions\['e'\]: an empty list"):
            study_parameters({"e": []})
        with self.assertRaisesRegex(TypeError, "a list of grids is not supported"):
            study_parameters([{"C": [1, 2]}])
        X, y = load_digits(return_X_y=True)
        with self.assertRaisesRegex(ValueError, "optimises one score"):
            TunerSearchCV(SVC(), {"C": [1, 2]}, scoring=["accuracy", "f1"]).fit(X, y)
        with self.assertRaisesRegex(RuntimeError, "no `tuner` binary"):
            TunerSearchCV(SVC(), {"C": [1, 2]}, tuner_bin="/nonexistent/tuner").fit(X, y)

    def test_the_example_runs_against_a_server_by_address(self):
        with tuner_client.LocalServer() as server:
            run = subprocess.run(
                [sys.executable, str(REPO / "examples" / "sklearn-search" / "search.py"),
                 "--server", server.address, "--n-trials", "6"],
                capture_output=True, text=True, timeout=240,
                env=dict(os.environ, PYTHONPATH=str(REPO / "clients" / "python")))
            self.assertEqual(run.returncode, 0, run.stderr)
            study = run.stdout.split("study ")[1].split(":")[0]
            with tuner_client.Client(server.address) as client:
                self.assertEqual(len(client.list_trials(study, "COMPLETED")), 6)
        self.assertRegex(run.stdout, r"test accuracy of the refit best estimator: 0\.9")


if __name__ == "__main__":
    unittest.main()
