"""Client of the study service (tuner.v1.StudyService over gRPC).

A ``Client`` is thread-safe: unary calls go straight to the channel, and the
one ReportMetrics stream it keeps open is guarded by a lock. Every failed call
raises a ``TunerError`` subclass that carries the gRPC code and the server's
message.

Calls ride out a server restart: while the server cannot be reached
(UNAVAILABLE, or its disk is full) they retry with jittered backoff for up to
``retry_s`` seconds (default ``$TUNER_RETRY_S``, else 600), and the channel
reconnects at least every second. A retried report carries the same report
id, so the server stores it once (docs/reliability.md, "Exactly once").
"""

import contextlib
import dataclasses
import json
import os
import queue
import random
import socket
import sys
import threading
import time
import uuid
from collections.abc import Mapping

import grpc

from . import artifacts as _artifacts
from ._stubs import pb, pb_grpc
from .errors import (AlreadyExistsError, FailedPreconditionError, TunerError,
                     UnavailableError, from_rpc_error)

# Channel options: try to reconnect within ~100 ms, and at least every second
# (gRPC's defaults wait up to two minutes between tries).
_CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
    ("grpc.max_receive_message_length", 64 << 20),
)


def _default_retry_s():
    text = os.environ.get("TUNER_RETRY_S", "").strip()
    if not text:
        return 600.0
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise ValueError(f"TUNER_RETRY_S: expected a number of seconds >= 0, got {text!r}")
    return value


def _retryable(error):
    """Whether a TunerError says the server could not be reached (or its
    disk is full): worth trying again."""
    return (error.code == grpc.StatusCode.UNAVAILABLE
            or (error.code == grpc.StatusCode.RESOURCE_EXHAUSTED
                and "no space left" in error.message))

__all__ = ["Client", "Study", "Trial", "Measurement", "Suggestions", "FINAL_STATES"]

# Trial states after which a trial never changes again.
FINAL_STATES = frozenset({"COMPLETED", "STOPPED", "FAILED", "INFEASIBLE"})


# ---------------------------------------------------------------- values


def _study_name(study):
    return study.name if isinstance(study, Study) else str(study)


def _value_from_proto(v):
    kind = v.WhichOneof("kind")
    if kind == "int_value":
        return int(v.int_value)
    if kind == "double_value":
        return float(v.double_value)
    if kind == "string_value":
        return v.string_value
    return None


def _value_to_proto(name, value, param_type=None):
    """A ParameterValue for a Python value; ints become doubles for double
    parameters and integral floats become ints for integer parameters."""
    if isinstance(value, bool):
        raise TypeError(f"parameters.{name}: booleans are not parameter values")
    if isinstance(value, int):
        if param_type == "double":
            return pb.ParameterValue(double_value=float(value))
        return pb.ParameterValue(int_value=value)
    if isinstance(value, float):
        if param_type == "integer" and value.is_integer():
            return pb.ParameterValue(int_value=int(value))
        return pb.ParameterValue(double_value=value)
    if isinstance(value, str):
        return pb.ParameterValue(string_value=value)
    raise TypeError(f"parameters.{name}: expected int, float or str, got {type(value).__name__}")


def _metrics(metrics, kwargs):
    out = dict(metrics or {})
    out.update(kwargs)
    for name, value in out.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                out[name] = float(value)  # numpy scalars and the like
                continue
            except (TypeError, ValueError):
                raise TypeError(f"metric {name!r}: expected a number, "
                                f"got {type(value).__name__}") from None
        out[name] = float(value)
    return out


@dataclasses.dataclass(frozen=True)
class Measurement:
    """Metrics at one step; ``elapsed_secs`` counts from the trial's start."""
    step: int
    elapsed_secs: float
    metrics: dict

    @classmethod
    def _from_proto(cls, m):
        return cls(int(m.step), float(m.elapsed_secs), dict(m.metrics))


@dataclasses.dataclass(frozen=True)
class Study:
    """A stored study. ``spec`` is its canonical spec as a dict; ``state`` is
    "ACTIVE" or "COMPLETED"; ``str(study)`` is its name."""
    name: str
    spec: dict
    state: str
    create_time: float

    @classmethod
    def _from_proto(cls, s):
        state = pb.StudyState.Name(s.state).removeprefix("STUDY_")
        spec = json.loads(s.spec_json) if s.spec_json else {}
        return cls(s.name, spec, state, s.create_time)

    def __str__(self):
        return self.name


class Suggestions(list):
    """The trials of one SuggestTrials call. ``study_done`` is True when the
    budget is spent: no trial will be suggested now or later."""

    def __init__(self, trials=(), study_done=False):
        super().__init__(trials)
        self.study_done = study_done


# ---------------------------------------------------------------- trial


class Trial:
    """One trial of a study, as last seen from the server.

    Attributes: ``study`` (name), ``id``, ``state`` ("ACTIVE", "STOPPING",
    "COMPLETED", "STOPPED", "FAILED", "INFEASIBLE"), ``parameters`` (dict of
    int/float/str), ``measurements`` (list of Measurement; empty in suggested
    trials), ``final_measurement`` (Measurement or None), ``metrics`` (the
    final metrics, {} until completed), ``client_id``, ``reason``,
    ``origin`` (which stage proposed it: "sobol", "gp", "random", "grid",
    "hyperband", "retry", "user"), ``create_time``, ``end_time``,
    ``should_stop``.

    Elapsed times sent with reports count from when this object was made.
    """

    def __init__(self, client, study, trial_id, parameters=None, state="ACTIVE"):
        self._client = client
        self.study = study
        self.id = int(trial_id)
        self.parameters = dict(parameters or {})
        self.state = state
        self.measurements = []
        self.final_measurement = None
        self.client_id = ""
        self.reason = ""
        self.origin = ""
        # Population-Based Training: the member this trial continues from
        # (latest_checkpoint() falls back to its checkpoint) and its step.
        self.parent_trial = 0
        self.parent_step = 0
        # With origin "retry": the interrupted (STALE) trial it runs again.
        self.retry_of = 0
        self.create_time = 0.0
        self.end_time = 0.0
        self.should_stop = state == "STOPPING"
        self.stop_reason = ""
        self._reports = 0
        self._ended_elsewhere_seen = False  # a report found it ended on the server
        self._start = time.monotonic()

    @classmethod
    def _from_proto(cls, client, t):
        trial = cls(client, t.study, t.id)
        trial._update(t)
        return trial

    def _update(self, t):
        self.study = t.study or self.study
        self.state = pb.TrialState.Name(t.state)
        self.parameters = {k: _value_from_proto(v) for k, v in sorted(t.parameters.items())}
        self.measurements = [Measurement._from_proto(m) for m in t.measurements]
        self.final_measurement = (Measurement._from_proto(t.final_measurement)
                                  if t.final_measurement.metrics else None)
        self.client_id = t.client_id
        self.reason = t.reason
        self.origin = t.origin
        self.parent_trial = t.parent_trial
        self.parent_step = t.parent_step
        self.retry_of = t.retry_of
        self.create_time = t.create_time
        self.end_time = t.end_time
        if self.state == "STOPPING":
            self.should_stop = True
            self.stop_reason = self.stop_reason or t.reason
        return self

    @property
    def client(self):
        """The Client this trial talks through."""
        return self._client

    @property
    def metrics(self):
        """The final metrics: {} until the trial is completed."""
        return dict(self.final_measurement.metrics) if self.final_measurement else {}

    @property
    def done(self):
        """Whether the trial has ended (as far as this object knows)."""
        return self.state in FINAL_STATES

    def elapsed(self):
        """Seconds since this object was made."""
        return time.monotonic() - self._start

    def report(self, step, metrics=None, /, **kwargs):
        """Sends a measurement at ``step`` (metrics as a dict and/or keywords)
        and returns True when the trial should stop (``stop_reason`` says
        why). A trial that ended meanwhile on the server (its lease expired
        while the server was away, or it was stopped) also answers True,
        with its state in ``stop_reason``. Raises TunerError."""
        values = _metrics(metrics, kwargs)
        try:
            stop, reason = self._client.report_metrics(self.study, self.id, step, values,
                                                       elapsed_secs=self.elapsed())
        except FailedPreconditionError:
            if self.done:
                raise  # this object ended it: reporting after that is a mistake
            return self._ended_elsewhere()
        self._reports += 1
        if stop:
            self.should_stop = True
            self.stop_reason = self.reason = reason
            if self.state == "ACTIVE":
                self.state = "STOPPING"  # as the server now has it
        return stop

    def _ended_elsewhere(self):
        """After FAILED_PRECONDITION: when the trial has finished on the
        server, this object takes its state and says stop; otherwise the
        error stands."""
        self.refresh()
        if not self.done:
            raise FailedPreconditionError(f"trial {self.id} is {self.state}")
        self.should_stop = True
        self.stop_reason = (f"trial {self.id} is {self.state}"
                            + (f": {self.reason}" if self.reason else ""))
        self._ended_elsewhere_seen = True
        return True

    def heartbeat(self):
        """Renews the trial's lease without a measurement (a trial with no
        report or heartbeat for the server's lease time becomes STALE and is
        offered again). Returns True when the trial should stop, also when
        it has ended meanwhile on the server."""
        try:
            response = self._client._call("Heartbeat", pb.HeartbeatRequest(
                study=self.study, trial_id=int(self.id)))
        except FailedPreconditionError:
            if self.done:
                raise
            return self._ended_elsewhere()
        stop = response.decision == pb.STOP
        if stop:
            self.should_stop = True
            self.stop_reason = self.reason = response.reason
        return stop

    def complete(self, metrics=None, /, **kwargs):
        """Ends the trial with these final metrics; with none, the last
        reported measurement is used. A trial asked to stop becomes STOPPED,
        otherwise COMPLETED. Returns self, updated. A trial already known to
        have ended on the server (see report) is returned as it is."""
        if self._ended_elsewhere_seen:
            return self
        values = _metrics(metrics, kwargs)
        return self._update(self._client._complete(self.study, self.id, values or None,
                                                   elapsed_secs=self.elapsed()))

    def infeasible(self, reason):
        """Ends the trial as INFEASIBLE (the parameters cannot be evaluated)."""
        return self._update(self._client._complete(self.study, self.id,
                                                   infeasible_reason=reason))

    def fail(self, message):
        """Ends the trial as FAILED (it crashed; the parameters may be fine)."""
        return self._update(self._client._complete(self.study, self.id,
                                                   failure_message=message))

    def stop(self, reason=""):
        """Asks the server to stop this trial (it becomes STOPPING)."""
        return self._update(self._client._stop(self.study, self.id, reason))

    def log_artifact(self, path, kind="artifact"):
        """Records a file, or every file under a directory, as this trial's
        artifact of ``kind`` ("model", "preprocessing", or free text): its
        path (relative to $TUNER_OUTPUT_DIR when inside it, else absolute),
        size, SHA-256 and rank. The file stays where it is. Returns the
        records sent. Raises FileNotFoundError, ValueError or TunerError."""
        if not kind or kind == "checkpoint":
            raise ValueError("log_artifact: kind must be non-empty and not \"checkpoint\" "
                             "(use save_checkpoint)")
        records = _artifacts.records(path, kind)
        self._client.log_artifacts(self.study, self.id, records)
        return records

    def save_checkpoint(self, path, step):
        """Records a checkpoint of ``step``: a file, or a directory whose
        files make it up. Checkpoint retention (trainer.keep_checkpoints)
        then keeps the last steps: older checkpoint files are deleted.
        A relaunch of this trial gets the latest one as
        ``latest_checkpoint()`` (``$TUNER_RESTORE_FROM``)."""
        if int(step) < 0:
            raise ValueError(f"save_checkpoint: step must be >= 0, got {step}")
        records = _artifacts.records(path, "checkpoint", step,
                                     checkpoint=_artifacts.record_path(path))
        removed = self._client.log_artifacts(self.study, self.id, records)
        _artifacts.delete_removed(removed)
        return records

    def latest_checkpoint(self):
        """The path of the checkpoint to continue from: ``$TUNER_RESTORE_FROM``
        (set by the runner when it relaunches a trial that saved one) when it
        exists; else the latest kept checkpoint recorded by absolute path
        (ask/tell workers) that still exists; else, for a retry of an
        interrupted (STALE) trial (``retry_of``), that trial's (or, when it
        was a retry that saved none, the one it retried, and so on); else,
        for a PBT member that has none yet, its parent's (``parent_trial``);
        else None."""
        restore = os.environ.get("TUNER_RESTORE_FROM")
        if restore and os.path.exists(restore) and (
                os.environ.get("TUNER_TRIAL_ID") in (None, str(self.id))):
            return restore
        own = self._latest_recorded_checkpoint(self.id)
        if own is not None:
            return own
        parent = self.parent_trial
        source = self.retry_of
        while source:  # back through retries interrupted before a checkpoint of their own
            found = self._latest_recorded_checkpoint(source)
            if found is not None:
                return found
            retried = self._client.get_trial(self.study, source)
            parent = retried.parent_trial or parent
            source = retried.retry_of if retried.retry_of < source else 0
        return self._latest_recorded_checkpoint(parent) if parent else None

    def _latest_recorded_checkpoint(self, trial_id):
        best = None
        for a in self._client.list_artifacts(self.study, trial_id):
            if a.kind != "checkpoint" or a.removed or not os.path.isabs(a.checkpoint or a.path):
                continue
            if best is None or (a.step, a.attempt) > (best.step, best.attempt):
                best = a
        if best is not None and os.path.exists(best.checkpoint or best.path):
            return best.checkpoint or best.path
        return None

    def refresh(self):
        """Reloads the trial (with its measurements) from the server."""
        return self._update(self._client._get(self.study, self.id))

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in self.parameters.items())
        extra = f", metrics={self.metrics}" if self.final_measurement else ""
        return f"Trial({self.study}#{self.id} {self.state}: {params}{extra})"


# ---------------------------------------------------------------- stream

_END = object()


class _ReportStream:
    """One ReportMetrics call: each request gets one response, in order."""

    def __init__(self, stub, metadata=None):
        self._requests = queue.Queue()
        self._responses = stub.ReportMetrics(iter(self._requests.get, _END), metadata=metadata)

    def done(self):
        return self._responses.done()

    def send(self, request):
        self._requests.put(request)
        return next(self._responses)

    def close(self):
        self._requests.put(_END)  # half-close; also frees gRPC's sender thread
        self._responses.cancel()


# ---------------------------------------------------------------- client


class Client:
    """A connection to a study server.

    ``endpoint`` is "host:port" (default: $TUNER_ENDPOINT). ``client_id``
    names this client in SuggestTrials (default: host-pid-random).
    ``timeout`` is the deadline in seconds of each unary call.

    ``token`` is sent as ``authorization: Bearer <token>`` on every call
    (default: $TUNER_TOKEN); ``ca_file`` is the PEM file of the CA (or
    self-signed certificate) to trust, and turns TLS on (default:
    $TUNER_TLS_CA). See docs/security.md.

    ``retry_s``: how long a call keeps retrying while the server cannot be
    reached, in seconds (default: $TUNER_RETRY_S, else 600; 0 = fail at
    once). Settable later as ``client.retry_s``; per call with ``with
    client.retry_for(seconds): ...`` or ``report_metrics(..., retry_s=)``.
    """

    def __init__(self, endpoint=None, *, client_id=None, timeout=30.0, token=None,
                 ca_file=None, retry_s=None):
        endpoint = endpoint or os.environ.get("TUNER_ENDPOINT")
        if not endpoint:
            raise ValueError("tuner_client.Client: no endpoint given and TUNER_ENDPOINT is not set")
        self.endpoint = endpoint
        self.client_id = client_id or (
            f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        self.timeout = timeout
        self.retry_s = _default_retry_s() if retry_s is None else float(retry_s)
        self._local = threading.local()  # retry_for's override, per thread
        self._report_nonce = uuid.uuid4().hex[:16]
        self._report_sequence = 0  # guarded by _stream_lock
        token = token if token is not None else os.environ.get("TUNER_TOKEN", "").strip()
        ca_file = ca_file if ca_file is not None else os.environ.get("TUNER_TLS_CA", "")
        self._metadata = (("authorization", f"Bearer {token}"),) if token else None
        if ca_file:
            with open(ca_file, "rb") as f:
                credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
            self._channel = grpc.secure_channel(endpoint, credentials, options=_CHANNEL_OPTIONS)
        else:
            self._channel = grpc.insecure_channel(endpoint, options=_CHANNEL_OPTIONS)
        self._stub = pb_grpc.StudyServiceStub(self._channel)
        self._stream_lock = threading.Lock()
        self._stream = None  # guarded by _stream_lock
        self._types_lock = threading.Lock()
        self._param_types = {}  # study -> {parameter: type}; guarded by _types_lock

    # -- lifecycle

    def close(self):
        """Closes the report stream and the channel."""
        with self._stream_lock:
            if self._stream is not None:
                self._stream.close()
                self._stream = None
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _retrying(self, attempt, retry_s=None):
        """attempt(retry) until it answers other than "unreachable", or
        retry_s (default self.retry_s) has passed; then the error names the
        server and how long it was tried. Says once on stderr that it waits."""
        if retry_s is None:
            retry_s = getattr(self._local, "retry_s", None)
        if retry_s is None:
            retry_s = self.retry_s
        start = time.monotonic()
        delay, retry = 0.05, False
        while True:
            try:
                return attempt(retry)
            except (grpc.RpcError, UnavailableError) as e:
                error = e if isinstance(e, TunerError) else from_rpc_error(e)
                if not _retryable(error):
                    raise error from None
                waited = time.monotonic() - start
                if waited + delay > retry_s:
                    if retry:
                        error = type(error)(f"server {self.endpoint} unreachable for "
                                            f"{waited:.0f} s: {error.message}", error.code)
                    raise error from None
                if not retry:
                    print(f"tuner_client: server {self.endpoint} unreachable ({error.message}); "
                          f"retrying for up to {retry_s:.0f} s", file=sys.stderr, flush=True)
                retry = True
                time.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, 1.0)

    @contextlib.contextmanager
    def retry_for(self, seconds):
        """Calls made in the block by this thread retry for ``seconds``
        instead of ``retry_s``, e.g. ``with client.retry_for(5):
        trial.report(...)``."""
        previous = getattr(self._local, "retry_s", None)
        self._local.retry_s = float(seconds)
        try:
            yield self
        finally:
            self._local.retry_s = previous

    def _call(self, method, request, retry_s=None):
        """A unary call, retried while the server cannot be reached (every
        call is safe to repeat; see docs/reliability.md)."""
        return self._retrying(lambda retry: getattr(self._stub, method)(
            request, timeout=self.timeout, metadata=self._metadata), retry_s)

    def _trial(self, proto):
        return Trial._from_proto(self, proto)

    # -- studies

    def create_study(self, spec, *, exist_ok=False):
        """Creates a study from a dict, a JSON string, or the path of a JSON
        file, and returns the Study. With ``exist_ok``, a study of the same
        name that exists already is returned instead (its spec is not
        compared). Raises InvalidArgumentError naming the faulty field,
        AlreadyExistsError."""
        if isinstance(spec, Mapping):
            text = json.dumps(spec)
        elif isinstance(spec, bytes):
            text = spec.decode("utf-8")
        elif isinstance(spec, str) and spec.lstrip().startswith("{"):
            text = spec
        elif isinstance(spec, (str, os.PathLike)):
            with open(spec, encoding="utf-8") as f:
                text = f.read()
        else:
            raise TypeError(f"create_study: expected a dict, JSON text or a path, "
                            f"got {type(spec).__name__}")
        def attempt(retry):
            # A retry may follow a lost answer to a create that happened:
            # resuming returns that study (same spec) instead of "exists".
            return self._stub.CreateStudy(pb.CreateStudyRequest(spec_json=text, resume=retry),
                                          timeout=self.timeout, metadata=self._metadata)
        try:
            return Study._from_proto(self._retrying(attempt))
        except AlreadyExistsError:
            if not exist_ok:
                raise
        return self.get_study(json.loads(text)["name"])

    def get_study(self, name):
        """The Study of that name. Raises NotFoundError."""
        return Study._from_proto(self._call("GetStudy", pb.GetStudyRequest(name=_study_name(name))))

    def list_studies(self):
        """Every stored Study."""
        response = self._call("ListStudies", pb.ListStudiesRequest())
        return [Study._from_proto(s) for s in response.studies]

    def delete_study(self, name):
        """Deletes a study with its trials. Raises NotFoundError."""
        request = pb.DeleteStudyRequest(name=_study_name(name))

        def attempt(retry):
            try:
                return self._stub.DeleteStudy(request, timeout=self.timeout,
                                              metadata=self._metadata)
            except grpc.RpcError as e:
                # Gone on a retry: the first try deleted it, its answer was lost.
                if retry and e.code() == grpc.StatusCode.NOT_FOUND:
                    return None
                raise
        self._retrying(attempt)
        with self._types_lock:
            self._param_types.pop(_study_name(name), None)

    # -- trials

    def suggest(self, study, count=1, client_id=None):
        """Up to ``count`` trials to run, as Suggestions (a list with
        ``.study_done``). Idempotent per client: while ``client_id`` (default:
        this client's) has ACTIVE trials, those are returned again. An empty
        list with ``study_done`` False means every remaining trial is running
        elsewhere: ask again later."""
        response = self._call("SuggestTrials", pb.SuggestTrialsRequest(
            study=_study_name(study), count=count,
            client_id=self.client_id if client_id is None else client_id))
        return Suggestions([self._trial(t) for t in response.trials], response.study_done)

    def _types(self, study):
        with self._types_lock:
            types = self._param_types.get(study)
        if types is None:
            spec = self.get_study(study).spec
            types = {p.get("name"): p.get("type") for p in spec.get("parameters", [])}
            with self._types_lock:
                self._param_types[study] = types
        return types

    def create_trial(self, study, parameters, client_id=""):
        """Adds a trial with user-chosen parameters (validated by the server
        against the search space) and returns it ACTIVE. Raises
        InvalidArgumentError for a missing, unknown, out-of-range or
        wrongly-typed parameter."""
        name = _study_name(study)
        types = self._types(name)
        request = pb.CreateTrialRequest(study=name, client_id=client_id)
        for key, value in parameters.items():
            request.parameters[key].CopyFrom(_value_to_proto(key, value, types.get(key)))
        return self._trial(self._call("CreateTrial", request))

    def get_trial(self, study, trial_id):
        """The trial with its measurements. Raises NotFoundError."""
        return self._trial(self._get(study, trial_id))

    def _get(self, study, trial_id):
        return self._call("GetTrial", pb.GetTrialRequest(
            study=_study_name(study), trial_id=int(trial_id)))

    def list_trials(self, study, states=None, *, page_size=100):
        """The study's trials by id, following pages. ``states``: a state name
        ("COMPLETED") or a list of them; None for all."""
        if isinstance(states, str):
            states = [states]
        state_numbers = [s if isinstance(s, int) else pb.TrialState.Value(s.upper())
                         for s in (states or [])]
        out, token = [], ""
        while True:
            response = self._call("ListTrials", pb.ListTrialsRequest(
                study=_study_name(study), states=state_numbers, page_size=page_size,
                page_token=token))
            out.extend(self._trial(t) for t in response.trials)
            token = response.next_page_token
            if not token:
                return out

    def log_artifacts(self, study, trial_id, artifacts):
        """Records Artifact messages for a trial (any state); returns the
        checkpoint records retention marked removed, whose files the caller
        deletes. Trial.log_artifact and Trial.save_checkpoint use it."""
        response = self._call("LogArtifacts", pb.LogArtifactsRequest(
            study=_study_name(study), trial_id=int(trial_id), artifacts=list(artifacts)))
        return list(response.removed)

    def list_artifacts(self, study, trial_id):
        """The trial's artifact records (Artifact messages), removed ones too."""
        response = self._call("ListArtifacts", pb.ListArtifactsRequest(
            study=_study_name(study), trial_id=int(trial_id)))
        return list(response.artifacts)

    def best_trials(self, study):
        """The best COMPLETED trial (one objective) or the Pareto front
        (several), as a list; empty when nothing has completed."""
        response = self._call("GetBestTrials", pb.GetBestTrialsRequest(study=_study_name(study)))
        return [self._trial(t) for t in response.trials]

    def stop_trial(self, study, trial_id, reason=""):
        """Asks a running trial to stop: it becomes STOPPING and its next
        report answers stop. Idempotent. Raises FailedPreconditionError for
        a finished trial."""
        return self._trial(self._stop(study, trial_id, reason))

    def _stop(self, study, trial_id, reason):
        return self._call("StopTrial", pb.StopTrialRequest(
            study=_study_name(study), trial_id=int(trial_id), reason=reason))

    def complete_trial(self, study, trial_id, metrics=None, *, infeasible_reason=None,
                       failure_message=None, elapsed_secs=0.0):
        """Ends a trial: with final ``metrics`` (None = the last reported
        measurement), as infeasible, or as failed. Returns the Trial.
        Raises FailedPreconditionError for a finished trial."""
        return self._trial(self._complete(study, trial_id, metrics,
                                          infeasible_reason=infeasible_reason,
                                          failure_message=failure_message,
                                          elapsed_secs=elapsed_secs))

    def _complete(self, study, trial_id, metrics=None, *, infeasible_reason=None,
                  failure_message=None, elapsed_secs=0.0):
        request = pb.CompleteTrialRequest(study=_study_name(study), trial_id=int(trial_id))
        if infeasible_reason is not None:
            request.infeasible_reason = infeasible_reason
        elif failure_message is not None:
            request.failure_message = failure_message
        else:
            request.final_measurement.SetInParent()
            if metrics:
                request.final_measurement.elapsed_secs = elapsed_secs
                for k, v in _metrics(metrics, {}).items():
                    request.final_measurement.metrics[k] = v
        return self._call("CompleteTrial", request)

    def report_metrics(self, study, trial_id, step, metrics, *, elapsed_secs=0.0, retry_s=None):
        """Sends one measurement over this client's ReportMetrics stream
        (opened on first use, reopened after an error) and returns
        (should_stop, reason). The report carries an id of this client's
        ("<nonce>:<sequence>"); a retry resends it, so it is stored once."""
        with self._stream_lock:
            self._report_sequence += 1
            request = pb.ReportMetricsRequest(
                study=_study_name(study), trial_id=int(trial_id),
                measurement=pb.Measurement(step=int(step), elapsed_secs=elapsed_secs,
                                           metrics=_metrics(metrics, {})),
                report_id=f"{self._report_nonce}:{self._report_sequence}")
            response = self._retrying(lambda retry: self._send_report(request), retry_s)
        return response.decision == pb.STOP, response.reason

    def _send_report(self, request):
        """One try on the open stream (opening it first); _stream_lock held."""
        if self._stream is not None and self._stream.done():
            self._stream.close()
            self._stream = None
        if self._stream is None:
            self._stream = _ReportStream(self._stub, self._metadata)
        try:
            return self._stream.send(request)
        except grpc.RpcError:
            self._stream.close()
            self._stream = None
            raise
        except StopIteration:
            self._stream.close()
            self._stream = None
            raise UnavailableError("the server ended the ReportMetrics stream") from None

    def trials(self, study, client_id=None, count=1, *, poll_secs=0.05, max_poll_secs=1.0):
        """Ask/tell loop: yields ACTIVE trials for ``client_id`` (default:
        this client's) until the study is done. When every remaining trial
        runs elsewhere it waits (``poll_secs``, doubling up to
        ``max_poll_secs``) and asks again.

        The loop body should end each trial (complete, infeasible or fail).
        A trial it leaves running is completed with its last report, or
        failed when it reported nothing."""
        name = _study_name(study)
        wait = poll_secs
        while True:
            batch = self.suggest(name, count, client_id)
            if batch:
                wait = poll_secs
                for trial in batch:
                    yield trial
                    if not trial.done:
                        if trial._reports or trial.refresh().measurements:
                            trial.complete()
                        else:
                            trial.fail("the ask/tell loop body ended the trial without a result")
                continue
            if batch.study_done:
                return
            time.sleep(wait)
            wait = min(wait * 2, max_poll_secs)
