"""A slow trainer for the crash-safety test: a chief and a worker; the chief
reports `score` for a few steps over gRPC and completes. Every rank sleeps, so
a `tuner run` killed mid-study leaves ranks behind for the next run to reap."""
import os
import sys
import time

import tuner_client

params = tuner_client.parameters()
steps = int(os.environ.get("CRASH_TRAINER_STEPS", "6"))
if os.environ.get("TUNER_TASK_TYPE") != "chief":
    time.sleep(30)  # a worker: lives until the cluster is stopped
    sys.exit(0)
for step in range(1, steps + 1):
    time.sleep(0.3)
    if tuner_client.report(step, score=params["x"] * step / steps):
        sys.exit(0)
tuner_client.complete()
