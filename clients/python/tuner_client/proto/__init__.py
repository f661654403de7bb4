"""The generated gRPC stubs of proto/tuner/v1/tuner.proto (tuner_pb2,
tuner_pb2_grpc), checked in; regenerate them with generate_stubs.py."""
