"""The toy problem of the PBT paper (Jaderberg et al. 2017, section 4.1) as a
trainer: maximise Q(theta) = 1.2 - theta0^2 - theta1^2 by gradient ascent on a
surrogate Qhat(theta | h) = 1.2 - h0 * theta0^2 - h1 * theta1^2, whose
hyperparameters h = (h0, h1) are what the study tunes. Each step is
theta_i <- theta_i - 2 * lr * h_i * theta_i, from theta = (0.9, 0.5); the
report is the true Q. A member with a small h_i barely moves theta_i: only
copying a better member's theta (exploit) and changing h (explore) lets a
population reach Q >= 1.19 quickly.

It saves a checkpoint (theta and the step, as JSON) every step and, given
one (TUNER_RESTORE_FROM: its own on a relaunch, its parent's when PBT copied
another member), continues from it, reporting the steps after it.

Run alone (no service):  /usr/bin/python3 train.py --h0=1 --h1=0.5
"""
import json
import os
import sys
import time

import tuner_client

STEPS = int(os.environ.get("PBT_TOY_STEPS", "40"))
LR = 0.05
PAUSE_S = float(os.environ.get("PBT_TOY_PAUSE_S", "0.05"))  # so that members overlap
SAVE = os.environ.get("PBT_TOY_NO_CHECKPOINT") != "1"  # the tests' trainer that forgets
# PBT_TOY_BARRIER=DIR:N (the tests): a fresh member waits until N members
# have started, so that the population trains side by side however slowly
# the machine launches them.
BARRIER = os.environ.get("PBT_TOY_BARRIER", "")

params = tuner_client.parameters()
h = (float(params["h0"]), float(params["h1"]))
theta, step = [0.9, 0.5], 0
restore = tuner_client.latest_checkpoint()
if restore:
    with open(restore) as f:
        saved = json.load(f)
    theta, step = saved["theta"], saved["step"]
    print(f"restored step {step} theta={theta} from {restore}", file=sys.stderr, flush=True)
out = os.environ.get("TUNER_OUTPUT_DIR", ".")
if BARRIER and not restore:
    directory, count = BARRIER.rsplit(":", 1)
    os.makedirs(directory, exist_ok=True)
    open(os.path.join(directory, os.environ.get("TUNER_TRIAL_ID", "x")), "w").close()
    deadline = time.time() + 60
    while len(os.listdir(directory)) < int(count) and time.time() < deadline:
        time.sleep(0.05)
if step >= STEPS:  # a copy of a member that had finished: its result stands
    tuner_client.report(step, Q=1.2 - theta[0] ** 2 - theta[1] ** 2)
while step < STEPS:
    step += 1
    theta = [t - 2 * LR * hi * t for t, hi in zip(theta, h)]
    q = 1.2 - theta[0] ** 2 - theta[1] ** 2
    if SAVE:
        path = os.path.join(out, f"checkpoint-{step}.json")
        with open(path, "w") as f:
            json.dump({"theta": theta, "step": step}, f)
        tuner_client.save_checkpoint(path, step)
    print(f"step={step} Q={q:.6f} h={h}", flush=True)
    if tuner_client.report(step, Q=q):
        break
    time.sleep(PAUSE_S)
tuner_client.complete()
