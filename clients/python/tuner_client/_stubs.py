"""The generated gRPC stubs the package ships (tuner_client/proto)."""

from .proto import tuner_pb2 as pb  # noqa: F401
from .proto import tuner_pb2_grpc as pb_grpc  # noqa: F401
