"""scikit-learn: ``TunerSearchCV``, a drop-in for GridSearchCV and
RandomizedSearchCV whose candidates the tuner service proposes.

    from tuner_client.integrations.sklearn import TunerSearchCV
    from scipy.stats import loguniform

    search = TunerSearchCV(
        SVC(), {"C": loguniform(1e-2, 1e3), "gamma": loguniform(1e-5, 1e-1),
                "kernel": ["rbf", "sigmoid"]},
        n_trials=30, algorithm="bayesian", cv=3, n_jobs=2, random_state=0)
    search.fit(X_train, y_train)
    search.best_params_, search.best_score_, search.score(X_test, y_test)

Each candidate is a trial of a study (objective ``score``, maximised) on a
`tuner serve`: ``server="HOST:PORT"`` (or a ``tuner_client.Client``), else
a local server started for the duration of fit() with a temporary db (the
``tuner`` binary from ``tuner_bin``, ``$TUNER_BIN`` or PATH). ``n_jobs``
worker threads take trials with ask/tell, each under its own client id;
every trial reports the running mean of its fold scores after each fold
(step = folds done), so a study's early-stopping rule can end poor
candidates before their last fold.

Parameter distributions (one dict; its keys are the estimator's parameter
names) map to the study format's parameter types (docs/integrations.md):

- a list of numbers: ``discrete`` (ints stay ints); a list of strings:
  ``categorical``; a list of anything else (None, booleans, tuples,
  objects): ``categorical`` over their ``repr`` labels, mapped back to the
  objects; a one-element list: a constant, not searched;
- ``scipy.stats.loguniform(a, b)``: ``double`` on a log scale;
  ``uniform(loc, scale)``: ``double`` in [loc, loc + scale];
  ``randint(low, high)``: ``integer`` in [low, high - 1];
- a dict in the study format without its name, e.g.
  ``{"type": "double", "min": 1e-4, "max": 1, "scale": "log"}``.

With ``algorithm={"name": "hyperband", "resource": {"name": "max_iter", ...}}``
the resource is given to the estimator as the parameter of that name.
"""

import math
import os
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Mapping

from . import require

require("sklearn", "sklearn", "python3-sklearn")  # a clear ImportError first
import numpy as np  # noqa: E402  (scikit-learn brings numpy)
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier  # noqa: E402
from sklearn.metrics import check_scoring  # noqa: E402
from sklearn.model_selection import check_cv, cross_validate  # noqa: E402
from sklearn.utils import indexable  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

from ..client import Client  # noqa: E402
from ..local_server import LocalServer  # noqa: E402

__all__ = ["TunerSearchCV", "study_parameters"]

OBJECTIVE = "score"


def _is_number(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_))


def _parameter(name, dist):
    """(study parameter dict or None for a constant, decode(value), constant)."""
    if isinstance(dist, Mapping):
        spec = dict(dist)
        if "name" in spec and spec["name"] != name:
            raise ValueError(f"param_distributions[{name!r}]: its 'name' is {spec['name']!r}")
        spec["name"] = name
        return spec, (lambda v: v), None
    if hasattr(dist, "dist") and hasattr(dist, "support"):  # a frozen scipy.stats distribution
        kind = dist.dist.name
        low, high = (float(b) for b in dist.support())
        if kind in ("loguniform", "reciprocal"):
            return ({"name": name, "type": "double", "min": low, "max": high, "scale": "log"},
                    float, None)
        if kind == "uniform":
            return {"name": name, "type": "double", "min": low, "max": high}, float, None
        if kind == "randint":
            return {"name": name, "type": "integer", "min": int(low), "max": int(high)}, int, None
        raise TypeError(f"param_distributions[{name!r}]: scipy.stats.{kind} has no "
                        "counterpart in the study format (loguniform, uniform and randint "
                        "do); give a dict such as {'type': 'double', 'min': ..., 'max': ...}")
    if isinstance(dist, (str, bytes)) or not hasattr(dist, "__iter__"):
        raise TypeError(f"param_distributions[{name!r}]: expected a list of values, a "
                        f"scipy.stats distribution or a study-format dict, got {dist!r}")
    values = list(dist)
    if not values:
        raise ValueError(f"param_distributions[{name!r}]: an empty list")
    if len(values) == 1:
        return None, None, values[0]
    if all(isinstance(v, str) for v in values):
        if len(set(values)) != len(values):
            raise ValueError(f"param_distributions[{name!r}]: repeated values {values}")
        return {"name": name, "type": "categorical", "values": values}, str, None
    if all(_is_number(v) for v in values):
        whole = all(isinstance(v, (int, np.integer)) for v in values)
        numbers = [int(v) if whole else float(v) for v in values]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"param_distributions[{name!r}]: repeated values {values}")
        return ({"name": name, "type": "discrete", "values": sorted(numbers)},
                int if whole else float, None)
    labels = [repr(v) for v in values]
    if len(set(labels)) != len(labels):
        labels = [f"{i}: {label}" for i, label in enumerate(labels)]
    by_label = dict(zip(labels, values))
    return ({"name": name, "type": "categorical", "values": labels},
            lambda v: by_label[v], None)


def study_parameters(param_distributions):
    """The study's ``parameters`` for `param_distributions`, the constants
    (one-element lists) and a function from a trial's parameters to the
    estimator's: (parameters, constants, decode)."""
    if not isinstance(param_distributions, Mapping):
        raise TypeError("param_distributions: expected one dict from parameter names to "
                        "distributions (a list of grids is not supported)")
    parameters, decoders, constants = [], {}, {}
    for name, dist in param_distributions.items():
        spec, decode, constant = _parameter(name, dist)
        if spec is None:
            constants[name] = constant
        else:
            parameters.append(spec)
            decoders[name] = decode
    if not parameters:
        raise ValueError("param_distributions: nothing to search (every list has one value)")

    def decode(trial_parameters):  # in the order of param_distributions
        out = {}
        for name in param_distributions:
            if name in constants:
                out[name] = constants[name]
            elif name in trial_parameters:  # absent: a condition ("when") left it out
                out[name] = decoders[name](trial_parameters[name])
        for name, value in trial_parameters.items():  # hyperband's resource
            out.setdefault(name, value)
        return out
    return parameters, constants, decode


class TunerSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Cross-validated search over `param_distributions` with trials from the
    tuner service. fit() then: ``best_params_``, ``best_score_`` (mean
    cross-validated score of the best COMPLETED trial), ``best_index_``,
    ``best_estimator_`` (refit on all the data when ``refit``),
    ``cv_results_`` (GridSearchCV's keys, one row per trial in trial order,
    plus ``trial_id`` and ``state``; a trial stopped early has NaN for the
    folds it did not run and ranks after every completed one),
    ``scorer_``, ``n_splits_``, ``refit_time_``, ``study_name_``, and
    predict / predict_proba / decision_function / transform / score of the
    best estimator.

    Args (besides GridSearchCV's ``estimator``, ``scoring`` (one score),
    ``cv``, ``refit``, ``error_score``, ``return_train_score``, ``verbose``):
      param_distributions: see the module's docstring.
      n_trials: the study's max_trials; None: the grid's size with
        ``algorithm="grid"``, else 10.
      algorithm: a name (random, grid, sobol, bayesian, hyperband) or an
        ``algorithm`` dict of the study format.
      random_state: the algorithm's seed (an int; default 0).
      n_jobs: parallel workers (threads), also the study's
        max_parallel_trials; -1: one per CPU.
      early_stopping: the study's ``early_stopping`` dict (steps are folds).
      server: "HOST:PORT" or a Client; None: a local server during fit().
      study_name: default ``searchcv-<estimator>-<random hex>``; an
        existing study of that name is an error.
      tuner_bin: the ``tuner`` binary for the local server.
    """

    def __init__(self, estimator, param_distributions, *, n_trials=None, algorithm="random",
                 random_state=None, scoring=None, cv=None, refit=True, n_jobs=None,
                 error_score=np.nan, return_train_score=False, early_stopping=None,
                 server=None, study_name=None, tuner_bin=None, verbose=0):
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.algorithm = algorithm
        self.random_state = random_state
        self.scoring = scoring
        self.cv = cv
        self.refit = refit
        self.n_jobs = n_jobs
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.early_stopping = early_stopping
        self.server = server
        self.study_name = study_name
        self.tuner_bin = tuner_bin
        self.verbose = verbose

    # ------------------------------------------------------------ the study

    def _study_spec(self, name, parameters, workers):
        algorithm = self.algorithm
        if isinstance(algorithm, str):
            algorithm = {"name": algorithm}
        elif not isinstance(algorithm, Mapping):
            raise TypeError(f"algorithm: expected a name or a dict, got {algorithm!r}")
        algorithm = dict(algorithm)
        if self.random_state is not None:
            if not isinstance(self.random_state, (int, np.integer)):
                raise TypeError("random_state: expected an int (the algorithm's seed), got "
                                f"{type(self.random_state).__name__}")
            algorithm.setdefault("seed", int(self.random_state))
        n_trials = self.n_trials
        if n_trials is None:
            n_trials = 10
            if algorithm.get("name") == "grid":
                if not all(p.get("type") in ("discrete", "categorical") for p in parameters):
                    raise ValueError("n_trials: required with algorithm 'grid' when a "
                                     "parameter is continuous")
                n_trials = math.prod(len(p["values"]) for p in parameters)
        spec = {"name": name, "objective": {"metric": OBJECTIVE, "goal": "maximize"},
                "algorithm": algorithm, "max_trials": int(n_trials),
                "max_parallel_trials": workers, "parameters": parameters}
        if self.early_stopping is not None:
            spec["early_stopping"] = dict(self.early_stopping)
        return spec

    def _workers(self):
        n = 1 if self.n_jobs is None else int(self.n_jobs)
        if n == -1:
            return os.cpu_count() or 1
        if n < 1:
            raise ValueError(f"n_jobs: expected -1 or an integer >= 1, got {self.n_jobs!r}")
        return n

    # ------------------------------------------------------------ fit

    def fit(self, X, y=None, *, groups=None, **fit_params):
        """Runs the study to its end, then refits the best candidate."""
        if self.scoring is not None and not (isinstance(self.scoring, str)
                                             or callable(self.scoring)):
            raise ValueError("scoring: TunerSearchCV optimises one score; give a scorer "
                             "name or a callable, not several")
        workers = self._workers()
        parameters, _, decode = study_parameters(self.param_distributions)
        self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)
        X, y, groups = indexable(X, y, groups)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, groups))
        self.n_splits_ = len(splits)
        name = self.study_name or (
            f"searchcv-{type(self.estimator).__name__}-{uuid.uuid4().hex[:8]}")
        spec = self._study_spec(name, parameters, workers)

        local = None
        if isinstance(self.server, Client):
            client, own_client = self.server, False
        else:
            if self.server is None:
                local = LocalServer(tuner_bin=self.tuner_bin)
            client = Client(self.server or local.address)
            own_client = True
        try:
            client.create_study(spec)
            self.study_name_ = name
            records = self._run_workers(client, name, workers, decode, X, y, splits,
                                        fit_params)
        finally:
            if own_client:
                client.close()
            if local is not None:
                local.stop()

        self.cv_results_ = self._cv_results(records)
        self.n_trials_ = len(records)
        completed = [i for i, r in enumerate(records) if r["state"] == "COMPLETED"]
        if not completed:
            raise RuntimeError(f"TunerSearchCV: none of the {len(records)} trials of study "
                               f"{name!r} completed; see cv_results_['state']")
        self.best_index_ = int(np.argmin(self.cv_results_["rank_test_score"]))
        self.best_params_ = self.cv_results_["params"][self.best_index_]
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        if self.refit:
            start = time.monotonic()
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
            if y is None:
                self.best_estimator_.fit(X, **fit_params)
            else:
                self.best_estimator_.fit(X, y, **fit_params)
            self.refit_time_ = time.monotonic() - start
        return self

    def _run_workers(self, client, study, workers, decode, X, y, splits, fit_params):
        lock = threading.Lock()
        records = {}           # trial id -> record; guarded by lock
        errors = []            # exceptions of workers; guarded by lock
        abort = threading.Event()

        def work(index):
            try:
                for trial in client.trials(study, client_id=f"{study}-worker-{index}"):
                    if abort.is_set():
                        trial.fail("TunerSearchCV: the search was aborted by an error "
                                   "in another trial")
                        return
                    record = self._evaluate(trial, decode(trial.parameters), X, y, splits,
                                            fit_params)
                    with lock:
                        records[trial.id] = record
            except BaseException as e:  # noqa: BLE001 (re-raised by fit)
                abort.set()
                with lock:
                    errors.append(e)

        threads = [threading.Thread(target=work, args=(i,), name=f"TunerSearchCV-{i}")
                   for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return [records[k] for k in sorted(records)]

    def _evaluate(self, trial, params, X, y, splits, fit_params):
        """Cross-validates one candidate, reporting after each fold."""
        record = {"trial_id": trial.id, "params": params, "test": [], "train": [],
                  "fit_time": [], "score_time": [], "state": "COMPLETED"}
        estimator = clone(self.estimator).set_params(**params)
        stopped = False
        for k, split in enumerate(splits):
            try:
                result = cross_validate(
                    estimator, X, y, scoring=self.scorer_, cv=[split],
                    fit_params=fit_params or None, error_score=self.error_score,
                    return_train_score=self.return_train_score)
            except Exception as e:
                trial.fail(f"fold {k}: {type(e).__name__}: {e}")
                raise
            record["test"].append(float(result["test_score"][0]))
            record["fit_time"].append(float(result["fit_time"][0]))
            record["score_time"].append(float(result["score_time"][0]))
            if self.return_train_score:
                record["train"].append(float(result["train_score"][0]))
            if not math.isfinite(record["test"][-1]):
                trial.infeasible(f"fold {k}: the score is {record['test'][-1]} "
                                 "(the estimator failed; error_score)")
                record["state"] = "INFEASIBLE"
                break
            if trial.report(k + 1, {OBJECTIVE: float(np.mean(record["test"]))}):
                stopped = True
                break
        if record["state"] == "COMPLETED":
            trial.complete()  # the last report
            if stopped:
                record["state"] = "STOPPED"
        if self.verbose:
            print(f"TunerSearchCV: trial {trial.id} {record['state']} "
                  f"score={np.mean(record['test']):.6g} {params}", file=sys.stderr)
        return record

    def _cv_results(self, records):
        n, folds = len(records), self.n_splits_

        def padded(key):
            return np.array([r[key] + [np.nan] * (folds - len(r[key])) for r in records],
                            dtype=float).reshape(n, folds)

        results = {}
        for key in ("fit_time", "score_time"):
            times = padded(key)
            results[f"mean_{key}"] = np.nanmean(times, axis=1)
            results[f"std_{key}"] = np.nanstd(times, axis=1)
        names = sorted({p for r in records for p in r["params"]})
        for name in names:
            column = np.ma.MaskedArray(np.empty(n, dtype=object), mask=True)
            for i, r in enumerate(records):
                if name in r["params"]:
                    column[i] = r["params"][name]
            results[f"param_{name}"] = column
        results["params"] = [r["params"] for r in records]
        sets = ["test"] + (["train"] if self.return_train_score else [])
        for which in sets:
            scores = padded(which)
            for k in range(folds):
                results[f"split{k}_{which}_score"] = scores[:, k]
            with warnings.catch_warnings():  # a row of NaN (no fold ran) stays NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                results[f"mean_{which}_score"] = np.nanmean(scores, axis=1)
                results[f"std_{which}_score"] = np.nanstd(scores, axis=1)
        # Rank: completed trials by mean score (ties share the lower rank),
        # then every other trial.
        mean = results["mean_test_score"]
        key = [(r["state"] != "COMPLETED", -(m if math.isfinite(m) else -np.inf))
               for r, m in zip(records, mean)]
        order = sorted(range(n), key=lambda i: key[i])
        rank = np.empty(n, dtype=np.int32)
        for position, i in enumerate(order):
            previous = order[position - 1] if position else None
            rank[i] = rank[previous] if previous is not None and key[previous] == key[i] \
                else position + 1
        results["rank_test_score"] = rank
        results["trial_id"] = np.array([r["trial_id"] for r in records])
        results["state"] = np.array([r["state"] for r in records], dtype=object)
        return results

    # ------------------------------------------------------------ the best estimator

    def _best(self):
        check_is_fitted(self, "best_estimator_",
                        msg="TunerSearchCV: fit() with refit=True first")
        return self.best_estimator_

    def predict(self, X):
        return self._best().predict(X)

    def predict_proba(self, X):
        return self._best().predict_proba(X)

    def predict_log_proba(self, X):
        return self._best().predict_log_proba(X)

    def decision_function(self, X):
        return self._best().decision_function(X)

    def transform(self, X):
        return self._best().transform(X)

    def inverse_transform(self, X):
        return self._best().inverse_transform(X)

    def score(self, X, y=None):
        """The scorer (``scoring``) on the best estimator."""
        return self.scorer_(self._best(), X, y)

    @property
    def classes_(self):
        return self._best().classes_

    @property
    def n_features_in_(self):
        return self._best().n_features_in_
