"""Framework integrations of tuner_client (docs/integrations.md).

Each module imports its framework only when it is imported itself, so
tuner_client works without any of them installed:

- ``tuner_client.integrations.xgboost``: ``TunerCallback``, reports each
  boosting round's evaluation metrics and stops the booster when the
  service says so.
- ``tuner_client.integrations.torch``: ``TrialLoop``, per-epoch reports,
  the stop decision shared by every rank, the checkpoint directory.
- ``tuner_client.integrations.sklearn``: ``TunerSearchCV``, a drop-in for
  GridSearchCV / RandomizedSearchCV whose candidates the service proposes.
"""


def require(module, what, debian_package):
    """Imports `module`, or raises ImportError naming the package to install."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"tuner_client.integrations.{what} needs {module} "
                          f"(Debian: apt-get install {debian_package}): {e}") from e
