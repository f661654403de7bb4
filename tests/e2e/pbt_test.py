"""Population-Based Training end to end: `tuner run` of examples/pbt-toy on
the local backend (bottom members stop, copies of top members continue from
a copy of their checkpoint, lineage in `tuner trials`, the schedule in
`tuner export` and `tuner best`), and ask/tell workers through the Python
client (a replacement's parent_trial and its parent's checkpoint)."""
import json
import os
import re
import subprocess
import tempfile
import unittest

import tuner_client

TUNER = os.environ["TUNER_BIN"]
HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "examples", "pbt-toy")


class Pbt(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name

    def tuner(self, *args):
        out = subprocess.run([TUNER, *args], capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def run_example(self, env, name="pbt"):
        with open(os.path.join(EXAMPLE, "study.json")) as f:
            spec = json.load(f)
        spec["trainer"]["command"] = ["/usr/bin/python3", os.path.join(EXAMPLE, "train.py")]
        # The first members start stepping together (see train.py).
        spec["trainer"]["env"] = dict(env, PBT_TOY_BARRIER=os.path.join(self.dir, name + "-barrier")
                                      + ":%d" % spec["algorithm"]["population"])
        study = os.path.join(self.dir, name + ".json")
        with open(study, "w") as f:
            json.dump(spec, f)
        db = os.path.join(self.dir, name + ".db")
        out_dir = os.path.join(self.dir, name + "-out")
        run = subprocess.run([TUNER, "run", study, "--db", db, "--output-dir", out_dir],
                             capture_output=True, text=True, timeout=240)
        self.assertEqual(run.returncode, 0, run.stderr)
        return run, db, out_dir

    def test_a_trainer_without_checkpoints_is_warned_about(self):
        run, db, _ = self.run_example({"PBT_TOY_STEPS": "24", "PBT_TOY_PAUSE_S": "0.1",
                                       "PBT_TOY_NO_CHECKPOINT": "1"})
        copies = [t for t in json.loads(self.tuner("trials", "pbt-toy", "--db", db, "--json"))
                  if t.get("parent_trial")]
        self.assertGreater(len(copies), 0, run.stdout)
        self.assertIn("trial %d: its parent, trial %d, recorded no checkpoint: it starts afresh"
                      % (copies[0]["trial"], copies[0]["parent_trial"]), run.stdout + run.stderr)

    def test_tuner_run_exploits_from_checkpoints(self):
        run, db, out_dir = self.run_example({"PBT_TOY_STEPS": "24", "PBT_TOY_PAUSE_S": "0.1"})
        trials = json.loads(self.tuner("trials", "pbt-toy", "--db", db, "--json"))
        by_id = {t["trial"]: t for t in trials}
        exploited = [t for t in trials if t.get("reason", "").startswith("pbt exploit: ")]
        children = [t for t in trials if t.get("parent_trial")]
        self.assertGreater(len(exploited), 0, run.stdout)
        self.assertEqual([t["state"] for t in exploited], ["STOPPED"] * len(exploited))
        # One copy per exploited member (no more: the budget is not spent).
        self.assertEqual(len(children), len(exploited))
        self.assertEqual(sum(1 for t in trials if t["origin"] == "random"), 4)
        for child in children:
            self.assertEqual(child["origin"], "pbt")
            parent = by_id[child["parent_trial"]]
            self.assertLess(parent["trial"], child["trial"])
            self.assertGreaterEqual(child["parent_step"], 1)
            # It continued from a copy of its parent's checkpoint, at or
            # after the step recorded when it was proposed.
            log = os.path.join(out_dir, "pbt-toy", "trial-%d" % child["trial"], "logs",
                               "chief-0.log")
            with open(log) as f:
                text = f.read()
            m = re.search(r"restored step (\d+) .* from (\S+)", text)
            self.assertIsNotNone(m, text)
            self.assertGreaterEqual(int(m.group(1)), child["parent_step"])
            self.assertIn("/parent-checkpoint/trial-%d/" % parent["trial"], m.group(2))
        # `tuner trials`: a parent column, TRIAL@STEP.
        table = self.tuner("trials", "pbt-toy", "--db", db)
        self.assertIn("parent", table.splitlines()[0])
        first = children[0]
        self.assertIn("%d@%d" % (first["parent_trial"], first["parent_step"]), table)
        # The export of a copy carries its schedule: its ancestors' parameters.
        bundle = os.path.join(self.dir, "bundle")
        self.tuner("export", "pbt-toy", bundle, "--db", db, "--output-dir", out_dir,
                   "--trial", str(first["trial"]))
        with open(os.path.join(bundle, "manifest.json")) as f:
            schedule = json.load(f)["schedule"]
        self.assertEqual(schedule[0]["from_step"], 0)
        self.assertEqual(schedule[-1]["trial"], first["trial"])
        self.assertEqual(schedule[-1]["from_step"], first["parent_step"])
        self.assertEqual(schedule[-1]["parameters"], first["parameters"])
        self.assertEqual(schedule[-2]["trial"], first["parent_trial"])
        # `tuner rerun` of a copy restores the checkpoint it was started from.
        printed = self.tuner("rerun", "pbt-toy", str(first["trial"]), "--db", db,
                             "--output-dir", out_dir, "--print")
        self.assertRegex(printed, r"&& TUNER_RESTORE_FROM=\S*/parent-checkpoint/trial-%d/"
                         % first["parent_trial"])
        rerun = subprocess.run([TUNER, "rerun", "pbt-toy", str(first["trial"]), "--db", db,
                                "--output-dir", out_dir], capture_output=True, text=True,
                               timeout=120)
        self.assertEqual(rerun.returncode, 0, rerun.stderr)
        self.assertRegex(rerun.stderr, r"restored step \d+ .*/parent-checkpoint/")
        # `tuner best`: the schedule when the best is a copy.
        best = json.loads(self.tuner("best", "pbt-toy", "--db", db, "--json"))["best"]
        if best.get("parent_trial"):
            self.assertEqual(best["schedule"][-1]["trial"], best["trial"])
            self.assertIn("schedule (PBT", self.tuner("best", "pbt-toy", "--db", db))
        else:
            self.assertNotIn("schedule", best)

    def test_ask_tell_workers_get_the_parent_and_its_checkpoint(self):
        serve = subprocess.Popen([TUNER, "serve", "--db", os.path.join(self.dir, "s.db"),
                                  "--listen", "127.0.0.1:0"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(serve.wait, 10)
        self.addCleanup(serve.terminate)
        address = re.search(r"(127\.0\.0\.1:\d+)", serve.stdout.readline()).group(1)
        client = tuner_client.Client(address)
        self.addCleanup(client.close)
        client.create_study({
            "name": "pbt-ask", "objective": {"metric": "score", "goal": "maximize"},
            "algorithm": {"name": "pbt", "population": 2, "interval": 2, "quantile": 0.5,
                          "seed": 3},
            "max_trials": 6, "max_parallel_trials": 2,
            "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})
        members = list(client.suggest("pbt-ask", count=2))
        self.assertEqual([t.origin for t in members], ["random", "random"])
        self.assertEqual([t.parent_trial for t in members], [0, 0])
        good, bad = members
        stopped = None
        for step in range(1, 5):
            for trial, score in ((good, 1.0 + step), (bad, 0.1)):
                path = os.path.join(self.dir, "ckpt-%d-%d.txt" % (trial.id, step))
                with open(path, "w") as f:
                    f.write("%d %d" % (trial.id, step))
                trial.save_checkpoint(path, step)
                if trial.report(step, score=score):
                    stopped = trial
            if stopped:
                break
        self.assertIs(stopped, bad)
        self.assertTrue(bad.reason.startswith("pbt exploit: "), bad.reason)
        bad.complete()
        self.assertEqual(bad.state, "STOPPED")
        copy = list(client.suggest("pbt-ask", count=1, client_id="worker-2"))
        self.assertEqual(len(copy), 1)
        copy = copy[0]
        self.assertEqual(copy.origin, "pbt")
        self.assertEqual(copy.parent_trial, good.id)
        self.assertEqual(copy.parent_step, step)
        # It has no checkpoint of its own: its parent's latest.
        restored = copy.latest_checkpoint()
        self.assertEqual(restored, os.path.join(self.dir, "ckpt-%d-%d.txt" % (good.id, step)))
        self.assertEqual(client.get_trial("pbt-ask", copy.id).parent_trial, good.id)


if __name__ == "__main__":
    unittest.main()
