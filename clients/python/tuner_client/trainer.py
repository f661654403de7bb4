"""Helpers for trainers launched by the service.

The trainer runner starts each trainer with the hyperparameters as
``--name=value`` arguments and as JSON in ``TUNER_PARAMS``, plus
``TUNER_ENDPOINT``, ``TUNER_STUDY`` and ``TUNER_TRIAL_ID``.
"""

import atexit
import json
import os
import sys
import threading

from .client import Client, Trial

_lock = threading.Lock()
_current = None  # (key, Trial); guarded by _lock


def _parse_scalar(text):
    for parse in (int, float):
        try:
            return parse(text)
        except ValueError:
            pass
    return text


def parameters(argv=None):
    """The trial's hyperparameters as a dict: from ``$TUNER_PARAMS`` (a JSON
    object) when set, else from ``--name=value`` arguments in ``argv``
    (default ``sys.argv[1:]``), whose values become int, float or str."""
    text = os.environ.get("TUNER_PARAMS")
    if text:
        params = json.loads(text)
        if not isinstance(params, dict):
            raise ValueError("TUNER_PARAMS: expected a JSON object")
        return params
    params = {}
    for arg in sys.argv[1:] if argv is None else argv:
        if arg.startswith("--") and "=" in arg:
            name, _, value = arg[2:].partition("=")
            params[name] = _parse_scalar(value)
    return params


def current_trial():
    """The Trial this process was launched for, built from ``TUNER_ENDPOINT``,
    ``TUNER_STUDY``, ``TUNER_TRIAL_ID`` and parameters(). The same object is
    returned while those variables stay the same. Raises RuntimeError when
    they are not set."""
    global _current
    missing = [v for v in ("TUNER_ENDPOINT", "TUNER_STUDY", "TUNER_TRIAL_ID")
               if not os.environ.get(v)]
    if missing:
        raise RuntimeError("tuner_client.current_trial: not launched by the tuner ("
                           + ", ".join(missing) + " not set)")
    key = (os.environ["TUNER_ENDPOINT"], os.environ["TUNER_STUDY"], os.environ["TUNER_TRIAL_ID"])
    with _lock:
        if _current is not None and _current[0] == key:
            return _current[1]
        if _current is not None:
            _current[1]._client.close()
        client = Client(key[0])
        trial = Trial(client, key[1], int(key[2]), parameters())
        _current = (key, trial)
        return trial


def _launched():
    return all(os.environ.get(v) for v in ("TUNER_ENDPOINT", "TUNER_STUDY", "TUNER_TRIAL_ID"))


def _print_metrics(what, step, metrics, kwargs):
    values = dict(metrics or {}, **kwargs)
    text = " ".join(f"{k}={v}" for k, v in sorted(values.items()))
    prefix = f"tuner_client.{what}" + ("" if step is None else f" step={step}")
    print(f"{prefix} {text} (not launched by the tuner: not reported)", file=sys.stderr)


def report(step, metrics=None, /, **kwargs):
    """current_trial().report(...): True when the trial should stop.

    Started by hand (no TUNER_ENDPOINT/TUNER_STUDY/TUNER_TRIAL_ID, e.g. the
    command `tuner best` prints), it prints the metrics on stderr and
    returns False (continue), so a trainer runs the same with and without
    the tuner."""
    if not _launched():
        _print_metrics("report", step, metrics, kwargs)
        return False
    return current_trial().report(step, metrics, **kwargs)


def complete(metrics=None, /, **kwargs):
    """current_trial().complete(...): no metrics = the last report. Started
    by hand, it prints the metrics on stderr and returns None."""
    if not _launched():
        _print_metrics("complete", None, metrics, kwargs)
        return None
    return current_trial().complete(metrics, **kwargs)


def log_artifact(path, kind="artifact"):
    """current_trial().log_artifact(...). Started by hand, does nothing and
    returns []."""
    return current_trial().log_artifact(path, kind) if _launched() else []


def save_checkpoint(path, step):
    """current_trial().save_checkpoint(...). Started by hand, does nothing
    and returns []."""
    return current_trial().save_checkpoint(path, step) if _launched() else []


def latest_checkpoint():
    """The checkpoint to continue from, or None: current_trial()'s, or
    ``$TUNER_RESTORE_FROM`` when started by hand with it set."""
    if not _launched():
        restore = os.environ.get("TUNER_RESTORE_FROM")
        return restore if restore and os.path.exists(restore) else None
    return current_trial().latest_checkpoint()


@atexit.register
def _close():
    global _current
    with _lock:
        if _current is not None:
            _current[1]._client.close()
            _current = None
