"""A trainer for the lifecycle tests: prints a line per step on stdout and on
stderr (its rank log keeps both), reports `score` over gRPC and completes.
STEP_S in the environment sets the time per step (default 0.3 s)."""
import os
import sys
import time

import tuner_client

params = tuner_client.parameters()
task = os.environ.get("TUNER_TASK_TYPE", "chief")  # started by hand: the chief
rank = "%s:%s" % (task, os.environ.get("TUNER_TASK_INDEX", "0"))
step_s = float(os.environ.get("STEP_S", "0.3"))
if task != "chief":
    print("rank %s waiting" % rank, flush=True)
    time.sleep(600)
    sys.exit(0)
for step in range(1, 7):
    time.sleep(step_s)
    print("rank %s step %d x=%s" % (rank, step, params["x"]), flush=True)
    if tuner_client.report(step, score=params["x"] * step / 6):
        print("told to stop at step %d" % step, file=sys.stderr, flush=True)
        sys.exit(0)
tuner_client.complete()
