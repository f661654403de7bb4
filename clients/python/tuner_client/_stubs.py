"""Locates the generated gRPC stubs (tuner/v1/tuner_pb2*.py).

The build writes them to ``<build>/python``. Lookup order: the current
``sys.path``; then ``$TUNER_PYTHON_STUBS``; then ``<repo>/build/python``
relative to this file.
"""

import os
import pathlib
import sys


def _candidates():
    env = os.environ.get("TUNER_PYTHON_STUBS")
    if env:
        yield env
    repo = pathlib.Path(__file__).resolve().parents[3]
    yield str(repo / "build" / "python")


def _load():
    try:
        from tuner.v1 import tuner_pb2, tuner_pb2_grpc  # noqa: F401
        return tuner_pb2, tuner_pb2_grpc
    except ImportError:
        pass
    tried = []
    for path in _candidates():
        tried.append(path)
        if not os.path.isfile(os.path.join(path, "tuner", "v1", "tuner_pb2.py")):
            continue
        if path not in sys.path:
            sys.path.append(path)
        # A failed import may have cached a `tuner` package without `v1`.
        for name in ("tuner.v1.tuner_pb2_grpc", "tuner.v1.tuner_pb2", "tuner.v1", "tuner"):
            sys.modules.pop(name, None)
        try:
            from tuner.v1 import tuner_pb2, tuner_pb2_grpc  # noqa: F811
            return tuner_pb2, tuner_pb2_grpc
        except ImportError:
            continue
    raise ImportError(
        "tuner_client: cannot import the generated stubs tuner.v1.tuner_pb2 "
        "(looked on sys.path and in: " + ", ".join(tried) + "). Build them with "
        "`cmake -S . -B build && ninja -C build tuner_python_stubs`, or set "
        "TUNER_PYTHON_STUBS to the directory that holds tuner/v1/tuner_pb2.py.")


pb, pb_grpc = _load()
