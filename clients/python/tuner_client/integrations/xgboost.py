"""XGBoost integration: report every boosting round, stop when told.

    from tuner_client.integrations.xgboost import TunerCallback

    booster = xgboost.train(params, dtrain, num_boost_round=200,
                            evals=[(dvalid, "validation")],
                            callbacks=[TunerCallback()])

After each round the callback reports the round's evaluation results as one
measurement at step = round number (1, 2, ...), with one metric per
evaluation set and metric named ``<set>-<metric>`` as XGBoost prints them
(``validation-logloss``, ``train-auc``). When the report returns True (the
study's early-stopping rule stopped the trial) training ends after that
round: ``booster.num_boosted_rounds()`` is the last reported step.

The callback reports for ``trial`` when given (ask/tell), else for the trial
this process was launched for (``tuner_client.report``; run by hand, it
prints the metrics and never stops). It does not complete the trial: call
``trial.complete()`` (or ``tuner_client.complete()``) after training.
"""

from .. import trainer as _trainer
from . import require

_xgb = require("xgboost", "xgboost", "python3-xgboost")

__all__ = ["TunerCallback"]


class TunerCallback(_xgb.callback.TrainingCallback):
    """Reports each round's evaluation metrics; stops when the service says so.

    Args:
      trial: a ``tuner_client.Trial`` to report for; None: the launched trial.
      metrics: names (``"validation-logloss"``) to report; None: all of them.
        A name that the evaluation results lack is an error at the first
        round (KeyError naming what there is).

    Attributes: ``stopped_at`` (the round after which the service said stop,
    or None) and ``reason`` (its reason, when the trial object has one).
    """

    def __init__(self, trial=None, metrics=None):
        super().__init__()
        self.trial = trial
        self.metrics = None if metrics is None else list(metrics)
        self.stopped_at = None
        self.reason = ""

    def after_iteration(self, model, epoch, evals_log):
        values = {}
        for data, by_metric in evals_log.items():
            for metric, history in by_metric.items():
                last = history[-1]
                if isinstance(last, tuple):  # xgboost.cv: (mean, std)
                    last = last[0]
                values[f"{data}-{metric}"] = float(last)
        if self.metrics is not None:
            missing = [m for m in self.metrics if m not in values]
            if missing:
                raise KeyError(f"TunerCallback: no evaluation result named {missing}; "
                               f"the evaluation sets give {sorted(values) or 'none (pass evals=)'}")
            values = {m: values[m] for m in self.metrics}
        if not values:
            raise ValueError("TunerCallback: no evaluation results to report; "
                             "pass evals=[(dvalid, 'validation')] to xgboost.train")
        step = epoch + 1
        if self.trial is not None:
            stop = self.trial.report(step, values)
        else:
            stop = _trainer.report(step, values)
        if stop:
            self.stopped_at = step
            trial = self.trial
            if trial is None and _trainer._launched():
                trial = _trainer.current_trial()
            self.reason = getattr(trial, "reason", "") or ""
        return bool(stop)
