"""A trainer for the artifacts tests: trains TOTAL_STEPS steps, saving a
checkpoint after each, and continues from tuner_client.latest_checkpoint()
($TUNER_RESTORE_FROM) when there is one. Its first attempt fails (exit 3)
after FAIL_AFTER steps ($FAIL_AFTER, 0: never). With $HANG_ONCE set to a
path that does not exist, it creates the path after step 3 and then waits
to be interrupted; with $HANG_RESTORED, likewise before its first step when it
continues from a checkpoint. CKPT_MODE "files" writes checkpoints/<step>/ and
artifacts/ under $TUNER_OUTPUT_DIR for the runner to find; "client" records
them with save_checkpoint and log_artifact. Each attempt writes
steps.json: the step it started from and how many steps it trained."""
import json
import os
import sys
import time

import tuner_client

TOTAL_STEPS = 6
FAIL_AFTER = int(os.environ.get("FAIL_AFTER", "4"))

params = tuner_client.parameters()
out = os.environ["TUNER_OUTPUT_DIR"]
mode = os.environ.get("CKPT_MODE", "files")
first_attempt = "/attempt-" not in out

start = 0
restore = tuner_client.latest_checkpoint()
if restore:
    with open(os.path.join(restore, "state.json")) as f:
        start = json.load(f)["step"]
trained = 0
hang_restored = os.environ.get("HANG_RESTORED")
if hang_restored and restore and not os.path.exists(hang_restored):
    open(hang_restored, "w").close()
    time.sleep(600)
for step in range(start + 1, TOTAL_STEPS + 1):
    trained += 1
    ckpt = os.path.join(out, "checkpoints" if mode == "files" else "ckpt", str(step))
    os.makedirs(ckpt, exist_ok=True)
    with open(os.path.join(ckpt, "state.json"), "w") as f:
        json.dump({"step": step, "x": params["x"]}, f)
    with open(os.path.join(ckpt, "weights.bin"), "wb") as f:
        f.write(bytes([step]) * 100)
    if mode == "client":
        tuner_client.save_checkpoint(ckpt, step)
    tuner_client.report(step, score=params["x"] * step)
    with open(os.path.join(out, "steps.json"), "w") as f:
        json.dump({"start": start, "trained": trained, "restore": restore}, f)
    hang = os.environ.get("HANG_ONCE")
    if hang and step == 3 and not os.path.exists(hang):
        open(hang, "w").close()
        time.sleep(600)
    if first_attempt and step == FAIL_AFTER:
        print("failing on purpose after step %d" % step, file=sys.stderr, flush=True)
        sys.exit(3)

if mode == "files":
    os.makedirs(os.path.join(out, "artifacts", "model"), exist_ok=True)
    os.makedirs(os.path.join(out, "artifacts", "preprocessing"), exist_ok=True)
    with open(os.path.join(out, "artifacts", "model", "weights.txt"), "w") as f:
        f.write("w=%r\n" % params["x"])
    with open(os.path.join(out, "artifacts", "preprocessing", "buckets.json"), "w") as f:
        json.dump({"buckets": params["buckets"]}, f)
    with open(os.path.join(out, "artifacts", "notes.txt"), "w") as f:
        f.write("trained\n")
else:
    model = os.path.join(out, "model.txt")
    with open(model, "w") as f:
        f.write("w=%r\n" % params["x"])
    tuner_client.log_artifact(model, kind="model")
tuner_client.complete()
