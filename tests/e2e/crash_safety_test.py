"""Crash safety of `tuner run`: SIGKILL it (with its embedded server) at
random moments, again and again; the next run on the same db reaps the ranks
the dead one left, relaunches their trials, and the study ends with exactly
max_trials completed, no duplicate trial and no process left behind."""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from tests.e2e.study_processes import processes_of_study as processes_of

TUNER = os.environ["TUNER_BIN"]
HERE = os.path.dirname(os.path.abspath(__file__))
STUDY = "crash-safety"
MAX_TRIALS = 8


def study_spec():
    return {
        "name": STUDY,
        "objective": {"metric": "score", "goal": "maximize"},
        "algorithm": {"name": "random", "seed": 11},
        "max_trials": MAX_TRIALS,
        "max_parallel_trials": 3,
        "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
        "trainer": {
            "command": ["/usr/bin/python3", os.path.join(HERE, "crash_trainer.py")],
            "cluster": {"chief": 1, "worker": 1},
        },
    }


def processes_of_study():
    return processes_of(STUDY)


class CrashSafetyTest(unittest.TestCase):
    def test_sigkill_at_random_moments(self):
        rng = random.Random(20261126)
        with tempfile.TemporaryDirectory() as tmp:
            study_file = os.path.join(tmp, "study.json")
            with open(study_file, "w") as f:
                json.dump(study_spec(), f)
            db = os.path.join(tmp, "crash.db")
            args = [TUNER, "run", study_file, "--db", db, "--json",
                    "--output-dir", os.path.join(tmp, "trials")]
            kills = 0
            for _ in range(4):
                run = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                time.sleep(rng.uniform(0.5, 3.0))
                if run.poll() is not None:
                    break  # finished before the kill
                run.send_signal(signal.SIGKILL)
                run.communicate()
                kills += 1
            self.assertGreater(kills, 0)
            log = os.path.join(tmp, "final.err")
            with open(log, "w") as err:
                try:
                    final = subprocess.run(args, stdout=subprocess.PIPE, stderr=err, text=True,
                                           timeout=240)
                except subprocess.TimeoutExpired:
                    with open(log) as f:
                        self.fail("the final run did not finish; its stderr:\n" + f.read()[-3000:])
            with open(log) as f:
                final.stderr = f.read()
            self.assertEqual(final.returncode, 0, final.stderr)
            summary = json.loads(final.stdout)
            self.assertEqual(summary["trials"]["completed"], MAX_TRIALS, final.stdout)

            listing = subprocess.run([TUNER, "trials", STUDY, "--db", db, "--json"],
                                     capture_output=True, text=True, check=True)
            trials = json.loads(listing.stdout)
            states = [t["state"] for t in trials]
            self.assertEqual(states.count("COMPLETED"), MAX_TRIALS)
            self.assertNotIn("ACTIVE", states)
            self.assertNotIn("STOPPING", states)
            # No duplicate: each completed configuration is a distinct trial.
            xs = [t["parameters"]["x"] for t in trials if t["state"] == "COMPLETED"]
            self.assertEqual(len(xs), len(set(xs)))
            # No orphan: every rank of every run is gone.
            deadline = time.time() + 10
            while processes_of_study() and time.time() < deadline:
                time.sleep(0.2)
            self.assertEqual(processes_of_study(), [])


if __name__ == "__main__":
    unittest.main()
