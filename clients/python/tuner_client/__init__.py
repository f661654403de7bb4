"""tuner_client: talk to a tuner study server from Python.

Ask/tell::

    import tuner_client
    client = tuner_client.Client("127.0.0.1:50051")
    client.create_study("study.json", exist_ok=True)
    for trial in client.trials("quickstart"):
        for epoch in range(10):
            if trial.report(epoch, val_accuracy=train_one_epoch(**trial.parameters)):
                break
        trial.complete()

In a trainer launched by the service::

    params = tuner_client.parameters()
    tuner_client.report(epoch, val_accuracy=acc)
    tuner_client.complete()
"""

from .client import FINAL_STATES, Client, Measurement, Study, Suggestions, Trial
from .errors import (AlreadyExistsError, DeadlineExceededError, FailedPreconditionError,
                     InternalError, InvalidArgumentError, NotFoundError, PermissionDeniedError,
                     ResourceExhaustedError, TunerError, UnauthenticatedError,
                     UnavailableError)
from .local_server import LocalServer
from .trainer import (complete, current_trial, latest_checkpoint, log_artifact, parameters,
                      report, save_checkpoint)

__all__ = [
    "Client", "Study", "Trial", "Measurement", "Suggestions", "FINAL_STATES",
    "TunerError", "NotFoundError", "AlreadyExistsError", "InvalidArgumentError",
    "FailedPreconditionError", "ResourceExhaustedError", "PermissionDeniedError",
    "UnavailableError", "DeadlineExceededError", "InternalError", "UnauthenticatedError",
    "current_trial", "parameters", "report", "complete", "LocalServer",
    "log_artifact", "save_checkpoint", "latest_checkpoint",
]
