"""Warm start as a user meets it: run a study, then a related one that names it
in `warm_start`. `tuner validate --db` says how the parameters match (and
refuses a study that does not exist), `tuner run` says the earlier best runs
first, and `tuner trials` shows where that trial came from."""
import json
import os
import subprocess
import tempfile
import unittest

TUNER = os.environ["TUNER_BIN"]
HERE = os.path.dirname(os.path.abspath(__file__))


def spec(name, algorithm, parameters, warm_start=None, max_trials=6):
    out = {
        "name": name,
        "objective": {"metric": "score", "goal": "maximize"},
        "algorithm": {"name": algorithm, "seed": 3},
        "max_trials": max_trials,
        "parameters": parameters,
        "trainer": {
            "command": ["/usr/bin/python3", os.path.join(HERE, "crash_trainer.py")],
            "cluster": {"chief": 1},
            "env": {"CRASH_TRAINER_STEPS": "1"},
        },
    }
    if warm_start is not None:
        out["warm_start"] = {"studies": warm_start}
    return out


class WarmStart(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.db = os.path.join(self.tmp.name, "tuner.db")

    def write(self, s):
        path = os.path.join(self.tmp.name, s["name"] + ".json")
        with open(path, "w") as f:
            json.dump(s, f)
        return path

    def tuner(self, *args, check=True):
        out = subprocess.run([TUNER, *args], capture_output=True, text=True, timeout=240,
                             cwd=self.tmp.name)
        if check:
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return out

    def trials(self, study):
        return json.loads(self.tuner("trials", study, "--db", self.db, "--json").stdout)

    def test_run_validate_and_trials(self):
        x = {"name": "x", "type": "double", "min": 0, "max": 1}
        self.tuner("run", self.write(spec("old", "random", [x])), "--db", self.db)
        old = self.trials("old")
        best = max(old, key=lambda t: t["metrics"]["score"])

        wider = {"name": "x", "type": "double", "min": 0, "max": 2}
        depth = {"name": "depth", "type": "integer", "min": 1, "max": 4, "default": 3}
        new = self.write(spec("new", "bayesian", [wider, depth], ["old"]))
        out = self.tuner("validate", new, "--db", self.db)
        self.assertIn('warm start from "old":', out.stdout)
        self.assertIn("matched: x", out.stdout)
        self.assertIn("ranges differ", out.stdout)
        self.assertIn("only here, taken as: depth (its default 3)", out.stdout)
        self.assertIn("trials: 6 finished, 6 with score, 6 inside this study's space", out.stdout)

        run = self.tuner("run", new, "--db", self.db)
        self.assertIn("warm start: the best configuration of the earlier study (old) runs first",
                      run.stdout + run.stderr)
        trials = self.trials("new")
        self.assertEqual(len(trials), 6)
        first = trials[0]
        self.assertEqual(first["origin"], "warm_start:old#%d" % best["trial"])
        self.assertEqual(first["parameters"]["x"], best["parameters"]["x"])
        self.assertEqual(first["parameters"]["depth"], 3)
        self.assertTrue(all(not t["origin"].startswith("warm_start") for t in trials[1:]))
        table = self.tuner("trials", "new", "--db", self.db).stdout
        self.assertIn("warm_start:old#%d" % best["trial"], table)

        # Running it again changes nothing: the warm start is not repeated.
        self.tuner("run", new, "--db", self.db)
        self.assertEqual(len(self.trials("new")), 6)

    def test_a_missing_earlier_study_is_an_error(self):
        x = {"name": "x", "type": "double", "min": 0, "max": 1}
        path = self.write(spec("lonely", "random", [x], ["nope"]))
        self.tuner("run", self.write(spec("other", "random", [x], max_trials=1)), "--db", self.db)
        out = self.tuner("validate", path, "--db", self.db, check=False)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn('warm_start.studies[0]: no study "nope" in this database', out.stderr)
        run = self.tuner("run", path, "--db", self.db, check=False)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn('warm_start.studies[0]: no study "nope" in this database', run.stderr)
        # Without a db to look in, validate checks the file alone and says so.
        alone = self.tuner("validate", path, "--db", os.path.join(self.tmp.name, "none.db"),
                           check=False)
        self.assertIn("warm_start not checked", alone.stdout + alone.stderr)


if __name__ == "__main__":
    unittest.main()
