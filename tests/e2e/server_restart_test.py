"""Surviving the server: `tuner serve` is SIGKILLed three times at random
moments while `tuner run --server` drives a multi-rank study whose eight ranks
stream reports through the documented client (no retry code of their own),
and is restarted on the same address about a second later each time. The
run must finish with exit 0 and exactly max_trials completed, every
acknowledged report must be stored exactly once (one row per trial, step and
metric), and no process of the study may be left."""
import collections
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

from tests.e2e.study_processes import processes_of_study

TUNER = os.environ["TUNER_BIN"]
HERE = os.path.dirname(os.path.abspath(__file__))
STUDY = "server-restart"
MAX_TRIALS = 12


def study_spec():
    return {
        "name": STUDY,
        "objective": {"metric": "score", "goal": "maximize"},
        "algorithm": {"name": "random", "seed": 5},
        "max_trials": MAX_TRIALS,
        "max_parallel_trials": 4,
        "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
        "trainer": {
            "command": ["/usr/bin/python3", os.path.join(HERE, "restart_trainer.py")],
            "cluster": {"chief": 1, "worker": 1},
        },
    }


class ServerRestartTest(unittest.TestCase):
    def start_server(self, db, listen, log):
        serve = subprocess.Popen([TUNER, "serve", "--db", db, "--listen", listen],
                                 stdout=subprocess.PIPE, stderr=log, text=True)
        line = serve.stdout.readline()  # printed once it listens
        match = re.search(r"127\.0\.0\.1:(\d+)", line)
        self.assertIsNotNone(match, "tuner serve did not start: %r" % line)
        return serve, int(match.group(1))

    def test_three_server_kills_lose_and_duplicate_nothing(self):
        rng = random.Random(20261201)
        with tempfile.TemporaryDirectory() as tmp:
            study_file = os.path.join(tmp, "study.json")
            with open(study_file, "w") as f:
                json.dump(study_spec(), f)
            db = os.path.join(tmp, "served.db")
            trials_dir = os.path.join(tmp, "trials")
            server_log = open(os.path.join(tmp, "serve.log"), "w")
            serve, port = self.start_server(db, "127.0.0.1:0", server_log)
            address = "127.0.0.1:%d" % port
            run_err = open(os.path.join(tmp, "run.err"), "w+")
            run = subprocess.Popen([TUNER, "run", study_file, "--server", address, "--json",
                                    "--output-dir", trials_dir],
                                   stdout=subprocess.PIPE, stderr=run_err, text=True)
            try:
                kills = 0
                for _ in range(3):
                    time.sleep(rng.uniform(1.5, 3.5))
                    self.assertIsNone(run.poll(), "the run ended before kill %d" % (kills + 1))
                    serve.send_signal(signal.SIGKILL)
                    serve.wait()
                    serve.stdout.close()
                    kills += 1
                    time.sleep(rng.uniform(0.5, 1.5))
                    serve, _ = self.start_server(db, address, server_log)
                try:
                    out, _ = run.communicate(timeout=240)
                except subprocess.TimeoutExpired:
                    run.kill()
                    run_err.seek(0)
                    self.fail("the run did not finish; its stderr:\n" + run_err.read()[-3000:])
                run_err.seek(0)
                err = run_err.read()
                self.assertEqual(run.returncode, 0, err[-3000:])
                self.assertEqual(kills, 3)
                # The run said it waited for the server.
                self.assertIn("server %s unreachable since" % address, err)
                summary = json.loads(out)
                self.assertEqual(summary["trials"]["completed"], MAX_TRIALS, out)
                with sqlite3.connect(db) as conn:
                    failed = conn.execute("SELECT trial_id, reason FROM trials WHERE state = "
                                          "'FAILED'").fetchall()
                self.assertEqual(failed, [], err[-3000:])
            finally:
                if run.poll() is None:
                    run.kill()
                serve.send_signal(signal.SIGTERM)
                serve.communicate(timeout=30)
                server_log.close()
                run_err.close()

            # No rank outlives the run.
            deadline = time.monotonic() + 5
            while processes_of_study(STUDY) and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertEqual(processes_of_study(STUDY), [])

            # Every acknowledged report is stored, and nothing twice.
            with sqlite3.connect(db) as conn:
                rows = collections.Counter()
                for trial, step, metrics in conn.execute(
                        "SELECT trial_id, step, metrics_json FROM measurements"):
                    for metric in json.loads(metrics):
                        rows[(trial, step, metric)] += 1
                states = collections.Counter(
                    s for (s,) in conn.execute("SELECT state FROM trials"))
            self.assertEqual(states["COMPLETED"], MAX_TRIALS, states)
            duplicated = {k: n for k, n in rows.items() if n > 1}
            self.assertEqual(duplicated, {})
            acked = set()
            for root, _, files in os.walk(trials_dir):
                if "acked.txt" in files:
                    with open(os.path.join(root, "acked.txt")) as f:
                        for line in f:
                            trial, step, metric = line.split()
                            acked.add((int(trial), int(step), metric))
            # Each chief had its 25 reports acknowledged (a worker may be ended
            # a few steps short when its chief completes the trial).
            self.assertEqual(sum(1 for _, _, m in acked if m == "score"), MAX_TRIALS * 25)
            self.assertEqual(acked - set(rows), set())


if __name__ == "__main__":
    unittest.main()
