"""End-to-end: what `tuner run` gives each rank, and what it reads back.

- Strict stdout metrics: a trainer that prints log lines with `name=value`
  pairs (`loading data from path=/tmp/data seed=7`, a `debug: batch=128
  took=0.10` line after each `epoch=N loss=...` line) completes every trial;
  only the epoch lines are measurements. Its discrete parameter arrives as an
  integer in TUNER_PARAMS and as `--units=32`.
- Devices: with trainer.resources.gpus_per_rank and `--devices`, trials that
  run at the same time hold disjoint CUDA_VISIBLE_DEVICES sets (fake ids;
  no GPU needed), a third slot waits for free devices, and every rank gets
  LOCAL_RANK / LOCAL_WORLD_SIZE.

The binary comes from $TUNER_BIN (default: <repo>/build/tuner).
"""
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import unittest

REPO = pathlib.Path(__file__).resolve().parents[2]
TUNER_BIN = os.environ.get("TUNER_BIN", str(REPO / "build" / "tuner"))

NOISY_TRAINER = r'''
import json, os, sys
params = json.loads(os.environ["TUNER_PARAMS"])
if type(params["units"]) is not int or f"--units={params['units']}" not in sys.argv:
    sys.exit(f"units is not an integer: {os.environ['TUNER_PARAMS']} {sys.argv}")
print("loading data from path=/tmp/data seed=7", flush=True)
for epoch in range(1, 5):
    loss = params["lr"] / epoch + params["units"] / 1000
    print(f"epoch={epoch} loss={loss:.6f}", flush=True)
    print("debug: batch=128 took=0.10", flush=True)
print("done: steps=10 took=1.5")
'''

DEVICE_TRAINER = r'''
import json, os, sys, time
out = os.path.join(os.environ["DEVICE_LOG"], "trial-%s-%s-%s.json" % (
    os.environ["TUNER_TRIAL_ID"], os.environ["TUNER_TASK_TYPE"], os.environ["TUNER_TASK_INDEX"]))
record = {k: os.environ.get(k) for k in ("CUDA_VISIBLE_DEVICES", "LOCAL_RANK",
                                         "LOCAL_WORLD_SIZE", "RANK", "WORLD_SIZE")}
record["start"] = time.time()
if os.environ["TUNER_TASK_TYPE"] != "chief":
    with open(out, "w") as f:
        json.dump(record, f)
    time.sleep(60)  # ended with the cluster when the chief exits
time.sleep(0.6)
record["end"] = time.time()
with open(out, "w") as f:
    json.dump(record, f)
print("epoch=1 loss=%s" % os.environ["TUNER_TRIAL_ID"])
'''


def study(name, trainer, **extra):
    spec = {
        "name": name,
        "objective": {"metric": "loss", "goal": "minimize"},
        "algorithm": {"name": "random", "seed": 2},
        "max_trials": 4,
        "max_parallel_trials": 2,
        "parameters": [
            {"name": "lr", "type": "double", "min": 0.01, "max": 1},
            {"name": "units", "type": "discrete", "values": [32, 64, 128]},
        ],
        "trainer": {"command": ["/usr/bin/python3", trainer], "timeout_s": 60,
                    "metrics": {"source": "stdout"}},
    }
    spec.update(extra)
    return spec


class TrainerEnvTest(unittest.TestCase):

    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="tuner_trainer_env_"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def tuner(self, *args, env=None):
        return subprocess.run([TUNER_BIN, *args], capture_output=True, text=True, timeout=180,
                              cwd=self.tmp, env=env)

    def write(self, name, text):
        (self.tmp / name).write_text(text)
        return str(self.tmp / name)

    def test_noisy_stdout_only_step_lines_are_measurements(self):
        self.write("train.py", NOISY_TRAINER)
        path = self.write("study.json", json.dumps(study("noisy", "train.py")))
        run = self.tuner("run", path, "--db", "t.db", "--json")
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        summary = json.loads(run.stdout)
        self.assertEqual(summary["trials"]["completed"], 4, summary)
        self.assertEqual(summary["trials"]["failed"], 0, summary)
        trials = json.loads(self.tuner("trials", "noisy", "--db", "t.db", "--json").stdout)
        self.assertEqual(len(trials), 4)
        for t in trials:
            self.assertEqual(t["state"], "COMPLETED", t)
            self.assertEqual(set(t["metrics"]), {"loss"}, t)  # no seed, batch, took, steps
            self.assertEqual(t["steps"], 4, t)  # epochs 1..4, not one per line
            self.assertIsInstance(t["parameters"]["units"], int)

    def test_devices_are_disjoint_between_running_trials(self):
        log = self.tmp / "devices"
        log.mkdir()
        self.write("train.py", DEVICE_TRAINER)
        spec = study("gpus", "train.py", max_trials=5, max_parallel_trials=3)
        spec["trainer"].update({"cluster": {"chief": 1, "worker": 1},
                                "env": {"DEVICE_LOG": str(log)},
                                "resources": {"gpus_per_rank": 1}})
        path = self.write("study.json", json.dumps(spec))
        env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
        # 5 devices, 2 per trial: at most 2 of the 3 slots run at once.
        run = self.tuner("run", path, "--db", "t.db", "--json", "--devices", "a,b,c,d,e", env=env)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertEqual(json.loads(run.stdout)["trials"]["completed"], 5)

        trials = {}
        for f in log.iterdir():
            _, trial, task, index = f.stem.split("-")
            record = json.loads(f.read_text())
            trials.setdefault(trial, {})[task] = record
        self.assertEqual(len(trials), 5)
        for trial, ranks in trials.items():
            chief, worker = ranks["chief"], ranks["worker"]
            self.assertEqual((chief["LOCAL_RANK"], worker["LOCAL_RANK"]), ("0", "1"))
            self.assertEqual((chief["LOCAL_WORLD_SIZE"], worker["LOCAL_WORLD_SIZE"]), ("2", "2"))
            self.assertEqual(len(chief["CUDA_VISIBLE_DEVICES"]), 1, chief)
            self.assertNotEqual(chief["CUDA_VISIBLE_DEVICES"], worker["CUDA_VISIBLE_DEVICES"])
        items = list(trials.values())
        for i, a in enumerate(items):
            for b in items[i + 1:]:
                overlap = (a["chief"]["start"] < b["chief"]["end"]
                           and b["chief"]["start"] < a["chief"]["end"])
                if overlap:
                    mine = {a["chief"]["CUDA_VISIBLE_DEVICES"], a["worker"]["CUDA_VISIBLE_DEVICES"]}
                    theirs = {b["chief"]["CUDA_VISIBLE_DEVICES"],
                              b["worker"]["CUDA_VISIBLE_DEVICES"]}
                    self.assertFalse(mine & theirs, (a, b))
            running = sum(1 for b in items
                          if b["chief"]["start"] <= a["chief"]["start"] < b["chief"]["end"])
            self.assertLessEqual(running, 2)  # the third slot waited
        used = {r["CUDA_VISIBLE_DEVICES"] for ranks in items for r in ranks.values()}
        self.assertLessEqual(used, {"a", "b", "c", "d", "e"})

    def test_too_few_devices_is_a_clear_error(self):
        self.write("train.py", DEVICE_TRAINER)
        spec = study("few", "train.py")
        spec["trainer"]["resources"] = {"gpus_per_rank": 2}
        path = self.write("study.json", json.dumps(spec))
        run = self.tuner("run", path, "--db", "t.db", "--devices", "0")
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("a trial needs 2 devices (2 per rank) and the run has 1", run.stderr)
        bad = self.tuner("run", path, "--db", "t.db", "--devices", "0,,1")
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("--devices: expected device ids separated by ','", bad.stderr)


if __name__ == "__main__":
    unittest.main()
