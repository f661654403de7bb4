"""examples/ps-digits under `tuner run` on the local backend: the ps ranks
really hold and update the parameters (every trainer push is applied by
every shard: the counts add up; the model learns), the model and its
preprocessing are recorded as artifacts, and a ps rank that fails fails the
trial and ends every rank of its cluster."""
import json
import os
import re
import subprocess
import tempfile
import time
import unittest

from tests.e2e.study_processes import processes_of_study

HERE = os.path.dirname(os.path.abspath(__file__))
TUNER = os.environ.get("TUNER_BIN", os.path.join(HERE, "..", "..", "build", "tuner"))
EXAMPLE = os.path.abspath(os.path.join(HERE, "..", "..", "examples", "ps-digits"))


def study(name, env=None, backend=None):
    with open(os.path.join(EXAMPLE, "study.json")) as f:
        spec = json.load(f)
    spec["name"] = name
    spec["max_trials"] = 1
    spec["max_failed_trials"] = 1
    spec["trainer"]["command"] = ["/usr/bin/python3", os.path.join(EXAMPLE, "train.py"),
                                  "--epochs=3"]
    spec["trainer"]["env"].update(env or {})
    if backend:
        spec["trainer"]["backend"] = backend
        spec["trainer"]["slurm"] = {"time_limit": "10", "cpus_per_task": 1}
    return spec


def run_study(test, spec, tmp):
    path = os.path.join(tmp, spec["name"] + ".json")
    with open(path, "w") as f:
        json.dump(spec, f)
    db, out = os.path.join(tmp, "t.db"), os.path.join(tmp, "out")
    run = subprocess.run([TUNER, "run", path, "--db", db, "--output-dir", out],
                         capture_output=True, text=True, timeout=400)
    trials = json.loads(subprocess.run([TUNER, "trials", spec["name"], "--db", db, "--json"],
                                       capture_output=True, text=True, check=True).stdout)
    return run, trials, os.path.join(out, spec["name"], "trial-1")


def check_shards_hold_and_update(test, trial_dir, trial):
    """Every push of every trainer reached every shard, and nothing else did."""
    logs = {}
    for name in os.listdir(os.path.join(trial_dir, "logs")):
        with open(os.path.join(trial_dir, "logs", name)) as f:
            logs[name] = f.read()
    pushes = [int(m) for name, text in logs.items() if not name.startswith("ps")
              for m in re.findall(r"pushed (\d+) gradients", text)]
    test.assertEqual(len(pushes), 2, logs)  # the chief and the worker
    held = {}
    for i in range(2):
        text = logs["ps-%d.log" % i]
        applied = re.search(r"ps %d applied (\d+) updates to (\[.*\])" % i, text)
        test.assertIsNotNone(applied, text)
        test.assertEqual(int(applied.group(1)), sum(pushes), text)
        held[i] = applied.group(2)
    test.assertEqual(held[0], "['layer1.bias', 'layer1.weight']")
    test.assertEqual(held[1], "['layer2.bias', 'layer2.weight']")
    # The model learnt through them: better than chance (0.1) after 3 epochs,
    # whatever learning rate the study drew.
    test.assertGreater(trial["metrics"]["val_accuracy"], 0.2, trial)


class PsDigits(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def test_ps_ranks_hold_and_update_the_parameters(self):
        run, trials, trial_dir = run_study(self, study("ps-digits-ok"), self.tmp.name)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertEqual(trials[0]["state"], "COMPLETED", trials)
        check_shards_hold_and_update(self, trial_dir, trials[0])
        artifacts = subprocess.run(
            [TUNER, "artifacts", "ps-digits-ok", "1", "--db", os.path.join(self.tmp.name, "t.db"),
             "--json"], capture_output=True, text=True, check=True).stdout
        paths = {a["path"] for a in json.loads(artifacts)["artifacts"]}
        self.assertIn("artifacts/model/model.pt", paths)
        self.assertIn("artifacts/preprocessing/buckets.json", paths)

    def test_a_failing_ps_rank_fails_the_trial_and_ends_every_rank(self):
        spec = study("ps-digits-fail", {"PS_DIGITS_FAIL_PS": "1@20"})
        run, trials, trial_dir = run_study(self, spec, self.tmp.name)
        self.assertEqual(trials[0]["state"], "FAILED", trials)
        self.assertIn("rank ps:1 exited with code 3", trials[0]["reason"])
        with open(os.path.join(trial_dir, "logs", "ps-1.log")) as f:
            self.assertIn("failing on purpose after 20 updates", f.read())
        deadline = time.time() + 10
        while processes_of_study("ps-digits-fail") and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(processes_of_study("ps-digits-fail"), [])


if __name__ == "__main__":
    unittest.main()
