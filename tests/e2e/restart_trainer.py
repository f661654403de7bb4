"""A streaming trainer for the server-restart test: chief and worker both
report every 0.1 s (the chief `score`, the worker `throughput`) through the
documented tuner_client functions, with no retry code of their own. After each
acknowledged (stored) report a rank appends "trial step metric" to acked.txt in its
trial directory, so the test can check each one is stored exactly once."""
import os

import time

import tuner_client

STEPS = 25
params = tuner_client.parameters()
chief = os.environ.get("TUNER_TASK_TYPE") == "chief"
metric = "score" if chief else "throughput"
trial = os.environ["TUNER_TRIAL_ID"]
acked = os.path.join(os.environ["TUNER_OUTPUT_DIR"], "acked.txt")
for step in range(1, STEPS + 1):
    time.sleep(0.1)
    stop = tuner_client.report(step, {metric: params["x"] * step / STEPS})
    if tuner_client.current_trial().done:
        break  # the trial ended meanwhile (its chief completed it): not stored
    with open(acked, "a") as f:
        f.write(f"{trial} {step} {metric}\n")
    if stop:
        break
if chief:
    tuner_client.complete()
