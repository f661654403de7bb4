"""A trainer for the retry tests. Its first attempt fails (exit code 3 after
one report) unless RETRY_FAIL_FIRST is "0"; while the file named by
RETRY_FAIL_WHILE exists, every attempt fails. Otherwise it reports `score`
and completes. A retried attempt's TUNER_OUTPUT_DIR is .../attempt-<k>."""
import os
import sys
import time

import tuner_client

params = tuner_client.parameters()
if os.environ.get("TUNER_TASK_TYPE", "chief") != "chief":
    time.sleep(600)
    sys.exit(0)
out = os.environ.get("TUNER_OUTPUT_DIR", "")
attempt = os.path.basename(out)[len("attempt-"):] if "/attempt-" in out else "1"
print("attempt %s x=%s" % (attempt, params["x"]), flush=True)
tuner_client.report(1, score=0.0)
fail_while = os.environ.get("RETRY_FAIL_WHILE", "")
if (attempt == "1" and os.environ.get("RETRY_FAIL_FIRST", "1") == "1") or (
        fail_while and os.path.exists(fail_while)):
    print("failing on purpose (attempt %s)" % attempt, file=sys.stderr, flush=True)
    sys.exit(3)
tuner_client.report(2, score=params["x"])
tuner_client.complete()
