"""Trainer of the Slurm end-to-end test (tests/e2e/slurm_tuner_run_test.py).

Every rank starts a `sleep 600` in a session of its own (a grandchild that
leaves the rank's process group, as a daemonised helper does) and saves its
environment, pid, the grandchild's pid and host in
$TUNER_OUTPUT_DIR/env-<type>-<index>.json; the chief waits until all have.
Then, by the `mode` parameter:
  good  the chief reports val_accuracy 0.6, 0.8, 0.9 and completes the trial;
        the other ranks wait (the chief's exit ends them);
  fail  worker 1 exits with code 3 after a second; the others wait;
  bad   the chief reports val_accuracy 0.1 every 0.3 s for a long time (the
        threshold rule stops it, which cancels the job); the others wait.
"""

import json
import os
import socket
import subprocess
import sys
import time

import tuner_client


def main():
    params = tuner_client.parameters()
    task = os.environ["TUNER_TASK_TYPE"]
    index = int(os.environ["TUNER_TASK_INDEX"])
    record = dict(os.environ)
    record["_pid"] = os.getpid()
    record["_grandchild"] = subprocess.Popen(
        ["sleep", "600"], start_new_session=True, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid
    record["_host"] = socket.gethostname()
    out = os.environ["TUNER_OUTPUT_DIR"]
    path = os.path.join(out, f"env-{task}-{index}.json")
    with open(path + ".tmp", "w") as f:
        json.dump(record, f)
    os.replace(path + ".tmp", path)

    mode = params["mode"]
    if task == "chief":
        # Every rank has saved its environment before the chief ends the job.
        world = json.loads(os.environ["TF_CONFIG"])["cluster"]
        names = [f"{t}-{i}" for t, hosts in world.items() for i in range(len(hosts))]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(
                os.path.exists(os.path.join(out, f"env-{n}.json")) for n in names):
            time.sleep(0.1)
    if task != "chief":
        if mode == "fail" and task == "worker" and index == 1:
            time.sleep(1)
            print("worker 1 fails on purpose", flush=True)
            sys.exit(3)
        time.sleep(600)
        return
    if mode == "good":
        for step, acc in enumerate([0.6, 0.8, 0.9], start=1):
            tuner_client.report(step, val_accuracy=acc)
        tuner_client.complete()
    elif mode == "bad":
        for step in range(1, 2000):
            tuner_client.report(step, val_accuracy=0.1)
            time.sleep(0.3)
    else:
        time.sleep(600)


if __name__ == "__main__":
    main()
