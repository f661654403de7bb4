"""Errors raised by tuner_client: one class per canonical gRPC code."""

import grpc


class TunerError(Exception):
    """A call to the study server failed.

    ``code`` is the ``grpc.StatusCode``; ``message`` is the server's message.
    """

    code = grpc.StatusCode.UNKNOWN

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self):
        return f"{self.code.name}: {self.message}"


class NotFoundError(TunerError, LookupError):
    """The study or trial does not exist (NOT_FOUND)."""
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExistsError(TunerError):
    """A study of that name exists already (ALREADY_EXISTS)."""
    code = grpc.StatusCode.ALREADY_EXISTS


class InvalidArgumentError(TunerError, ValueError):
    """The request is malformed; the message names the faulty field (INVALID_ARGUMENT)."""
    code = grpc.StatusCode.INVALID_ARGUMENT


class FailedPreconditionError(TunerError):
    """The request does not fit the current state, e.g. writing to a finished trial
    (FAILED_PRECONDITION)."""
    code = grpc.StatusCode.FAILED_PRECONDITION


class ResourceExhaustedError(TunerError):
    """A server limit was hit (RESOURCE_EXHAUSTED)."""
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class PermissionDeniedError(TunerError):
    """The server refused the call (PERMISSION_DENIED)."""
    code = grpc.StatusCode.PERMISSION_DENIED


class UnauthenticatedError(TunerError, PermissionError):
    """A missing or wrong token (UNAUTHENTICATED); see docs/security.md."""
    code = grpc.StatusCode.UNAUTHENTICATED


class UnavailableError(TunerError, ConnectionError):
    """The server cannot be reached or went away (UNAVAILABLE)."""
    code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceededError(TunerError, TimeoutError):
    """The call took longer than its deadline (DEADLINE_EXCEEDED)."""
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class InternalError(TunerError):
    """The server hit a bug; details are in the server log (INTERNAL)."""
    code = grpc.StatusCode.INTERNAL


_BY_CODE = {cls.code: cls for cls in (
    NotFoundError, AlreadyExistsError, InvalidArgumentError, FailedPreconditionError,
    ResourceExhaustedError, PermissionDeniedError, UnavailableError, DeadlineExceededError,
    InternalError, UnauthenticatedError)}


def from_rpc_error(error):
    """The TunerError for a ``grpc.RpcError`` (keeps its code and details)."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else str(error)
    cls = _BY_CODE.get(code, TunerError)
    return cls(details or code.name, code)
