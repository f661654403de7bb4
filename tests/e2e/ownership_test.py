"""One owner per study, with real processes against one `tuner serve`
(docs/lifecycle.md): a second `tuner run --server` of a study that a live run
owns is refused with exit code 2, naming the owner, and leaves the owner's
clusters alone; with --join, two runs share the study and together finish
exactly max_trials distinct trials, never more running than
max_parallel_trials."""
import json
import os
import re
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

from tests.e2e.lifecycle_test import study_spec as lifecycle_spec

TUNER = os.environ["TUNER_BIN"]


def study_spec(name, max_trials, parallel, **trainer):
    spec = lifecycle_spec(name, max_trials, parallel)
    spec["trainer"].update(trainer)
    return spec


class Ownership(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.db = os.path.join(self.dir, "served.db")
        self.serve = subprocess.Popen([TUNER, "serve", "--db", self.db, "--listen", "127.0.0.1:0"],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      text=True)
        self.addCleanup(self.stop_server)
        line = self.serve.stdout.readline()
        self.address = re.search(r"127\.0\.0\.1:\d+", line).group(0)

    def stop_server(self):
        self.serve.send_signal(signal.SIGTERM)
        self.serve.communicate(timeout=30)

    def write_study(self, spec):
        path = os.path.join(self.dir, spec["name"] + ".json")
        with open(path, "w") as f:
            json.dump(spec, f)
        return path

    def start_run(self, study_file, *extra):
        return subprocess.Popen([TUNER, "run", study_file, "--server", self.address,
                                 "--output-dir", os.path.join(self.dir, "trials"), *extra],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def trials(self, study):
        with sqlite3.connect(self.db) as conn:
            return conn.execute(
                "SELECT t.trial_id, t.state, t.client_id, t.create_time, t.end_time "
                "FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = ?",
                (study,)).fetchall()

    def test_second_run_is_refused_and_the_owner_finishes(self):
        study = self.write_study(study_spec("owned", 6, 2))
        owner = self.start_run(study)
        owner.stdout.readline()  # "study owned: ..." once it has claimed the study
        refused = []
        for delay in (0.3, 1.7):  # 0.3 s and 2 s after the owner started
            time.sleep(delay)
            second = self.start_run(study)
            out, err = second.communicate(timeout=60)
            refused.append((second.returncode, err))
        out, err = owner.communicate(timeout=240)
        self.assertEqual(owner.returncode, 0, err[-3000:])
        for code, err in refused:
            self.assertEqual(code, 2, err)
            self.assertIn("is being run by `tuner run` pid %d" % owner.pid, err)
            self.assertIn("--join", err)
        states = [t[1] for t in self.trials("owned")]
        self.assertEqual(states.count("COMPLETED"), 6, states)
        self.assertNotIn("FAILED", states)
        self.assertEqual(len(states), 6)

    def test_joined_runs_share_the_study(self):
        # One device per trial; each run has one device: the two runs share
        # the study's two parallel slots, as two machines would.
        study = self.write_study(study_spec("shared", 8, 2, cluster={"chief": 1},
                                            resources={"gpus_per_rank": 1}))
        owner = self.start_run(study, "--devices", "a")
        owner.stdout.readline()
        joined = self.start_run(study, "--devices", "b", "--join")
        out_j, err_j = joined.communicate(timeout=240)
        out_o, err_o = owner.communicate(timeout=240)
        self.assertEqual(owner.returncode, 0, err_o[-3000:])
        self.assertEqual(joined.returncode, 0, err_j[-3000:])
        self.assertIn("joined", out_j)
        trials = self.trials("shared")
        states = [t[1] for t in trials]
        self.assertEqual(states.count("COMPLETED"), 8, trials)
        self.assertEqual(len(trials), 8, trials)  # distinct trials, none run twice
        clients = {t[2].split(":")[0] for t in trials}
        self.assertEqual(clients, {"tuner-run", "tuner-join"}, trials)
        # Never more than max_parallel_trials running at once, across both runs.
        events = sorted([(t[3], 1) for t in trials] + [(t[4], -1) for t in trials],
                        key=lambda e: (e[0], e[1]))
        running = peak = 0
        for _, delta in events:
            running += delta
            peak = max(peak, running)
        self.assertLessEqual(peak, 2)

    def test_join_needs_a_server(self):
        study = self.write_study(study_spec("embedded", 1, 1))
        run = subprocess.run([TUNER, "run", study, "--db", os.path.join(self.dir, "e.db"),
                              "--join"], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("--join needs --server", run.stderr)


if __name__ == "__main__":
    unittest.main()
