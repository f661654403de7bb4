"""The quickstart trainer as a chief + workers cluster on Slurm.

The chief trains the quickstart model (../quickstart/train.py) and reports
val_accuracy each epoch through the Python client. Every rank prints where it
runs and the cluster it sees (TF_CONFIG, MASTER_ADDR, RANK); the workers then
wait, as if serving the chief, until the chief's exit ends the job.
Logs: <trial dir>/logs/<type>-<index>.log.
"""

import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "quickstart"))

import train as quickstart  # noqa: E402
import tuner_client  # noqa: E402


def main():
    task = os.environ.get("TUNER_TASK_TYPE", "chief")
    config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    print(f"{task}:{os.environ.get('TUNER_TASK_INDEX')} on {socket.gethostname()} "
          f"(Slurm job {os.environ.get('SLURM_JOB_ID')}, task {os.environ.get('SLURM_PROCID')}), "
          f"RANK={os.environ.get('RANK')} WORLD_SIZE={os.environ.get('WORLD_SIZE')} "
          f"MASTER_ADDR={os.environ.get('MASTER_ADDR')}:{os.environ.get('MASTER_PORT')}",
          flush=True)
    print("cluster:", json.dumps(config.get("cluster")), flush=True)
    if task != "chief":
        while True:  # ended by the chief's exit (or by a stop)
            time.sleep(60)
    params = tuner_client.parameters()
    metrics = quickstart.train(
        params, lambda epoch, **m: tuner_client.report(epoch, **m))
    tuner_client.complete(metrics)


if __name__ == "__main__":
    main()
