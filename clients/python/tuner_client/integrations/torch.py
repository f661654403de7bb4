"""PyTorch training loops: report per epoch, one stop decision for every rank,
the checkpoint directory.

    from tuner_client.integrations.torch import TrialLoop

    with TrialLoop() as loop:                 # completes the trial on exit
        for epoch in loop.epochs(10):         # 1..10, ends early on a stop
            train_one_epoch()
            metrics = evaluate() if loop.is_chief else {}
            loop.report(epoch, **metrics)     # every rank calls it
        torch.save(model.state_dict(), loop.checkpoint_path("model.pt"))

Only the chief (rank 0) talks to the service: it reports, and when the
service says stop, ``report`` broadcasts the decision so that every rank of a
``torch.distributed`` process group returns True and leaves the loop at the
same epoch (a collective call: every rank must call ``report`` each epoch).
Run by hand (not launched by the tuner) the metrics are printed and training
never stops. torch is imported only when a process group is initialised.
"""

import os

from .. import trainer as _trainer

__all__ = ["TrialLoop"]


def _dist():
    """torch.distributed when a process group is initialised, else None."""
    try:
        import torch.distributed as dist
    except ImportError:
        return None
    return dist if dist.is_available() and dist.is_initialized() else None


class TrialLoop:
    """One trial's training loop as seen from one rank.

    Args:
      trial: the ``tuner_client.Trial`` to report for (ask/tell); None: the
        trial this process was launched for, when it was (``TUNER_TRIAL_ID``).
      checkpoint_dir: where checkpoints go when ``$TUNER_OUTPUT_DIR`` is not
        set (run by hand); default the current directory.

    Attributes: ``rank`` and ``world_size`` (from the process group, else
    ``$RANK``/``$WORLD_SIZE``), ``is_chief``, ``trial`` (on the chief; None
    elsewhere and when not launched), ``should_stop``, ``stopped_at``.

    As a context manager the chief completes the trial on a normal exit (the
    last report; STOPPED when the service said stop) and fails it, with the
    exception's text, when the block raises.
    """

    def __init__(self, trial=None, *, checkpoint_dir="."):
        dist = _dist()
        if dist is not None:
            self.rank, self.world_size = dist.get_rank(), dist.get_world_size()
        else:
            self.rank = int(os.environ.get("RANK", "0"))
            self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.is_chief = self.rank == 0
        if trial is None and self.is_chief and _trainer._launched():
            trial = _trainer.current_trial()
        self.trial = trial if self.is_chief else None
        self._checkpoint_dir = checkpoint_dir
        self.should_stop = False
        self.stopped_at = None

    @property
    def checkpoint_dir(self):
        """``$TUNER_OUTPUT_DIR`` (the trial's own directory, which the tuner
        keeps with its logs), else ``checkpoint_dir``; created if missing."""
        path = os.environ.get("TUNER_OUTPUT_DIR") or self._checkpoint_dir
        os.makedirs(path, exist_ok=True)
        return path

    def checkpoint_path(self, name):
        """``checkpoint_dir``/``name``."""
        return os.path.join(self.checkpoint_dir, name)

    def report(self, step, metrics=None, /, **kwargs):
        """Reports the metrics at `step` from the chief (other ranks' metrics
        are ignored) and returns, on every rank, whether to stop. With an
        initialised process group this is a collective call."""
        stop = False
        if self.is_chief:
            values = dict(metrics or {}, **kwargs)
            if self.trial is not None:
                stop = self.trial.report(step, values)
            elif values:
                _trainer.report(step, values)  # not launched: prints them
        dist = _dist()
        if dist is not None and self.world_size > 1:
            import torch
            flag = torch.tensor([1.0 if stop else 0.0])
            dist.broadcast(flag, src=0)
            stop = bool(flag.item())
        if stop and not self.should_stop:
            self.should_stop, self.stopped_at = True, step
        return stop

    def epochs(self, count, start=1):
        """Yields start, start + 1, ... up to `count`; ends after the epoch
        whose report said stop."""
        for epoch in range(start, count + 1):
            if self.should_stop:
                return
            yield epoch

    @property
    def reason(self):
        """Why the service stopped the trial (on the chief), else ""."""
        return self.trial.reason if self.trial is not None else ""

    def complete(self, metrics=None, /, **kwargs):
        """On the chief: completes the trial (no metrics: the last report)."""
        if self.trial is not None:
            self.trial.complete(metrics, **kwargs)

    def fail(self, message):
        """On the chief: marks the trial FAILED with `message`."""
        if self.trial is not None:
            self.trial.fail(message)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.complete()
        elif issubclass(exc_type, Exception):
            self.fail(f"{exc_type.__name__}: {exc}")
        return False
