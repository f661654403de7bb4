"""Checkpoints and artifacts end to end (docs/artifacts.md): a trainer that
saves checkpoints and fails once is relaunched from its latest checkpoint
(it re-does no step), retention keeps the last trainer.keep_checkpoints
steps, `tuner artifacts` lists the records, `tuner export` copies the kept
files with a manifest, and `tuner verify-export` catches a tampered file. A
trial interrupted by Ctrl-C runs again as a new trial that continues from the
interrupted one's latest checkpoint."""
import json
import os
import signal
import subprocess
import time
import tempfile
import unittest

TUNER = os.environ["TUNER_BIN"]
HERE = os.path.dirname(os.path.abspath(__file__))


def study_spec(name, mode):
    return {
        "name": name,
        "objective": {"metric": "score", "goal": "maximize"},
        "algorithm": {"name": "random", "seed": 5},
        "max_trials": 1,
        "parameters": [
            {"name": "x", "type": "double", "min": 0.5, "max": 1},
            {"name": "buckets", "type": "integer", "min": 2, "max": 8, "role": "preprocessing"},
        ],
        "trainer": {
            "command": ["/usr/bin/python3", os.path.join(HERE, "checkpoint_trainer.py")],
            "env": {"CKPT_MODE": mode},
            "max_retries": 1,
            "keep_checkpoints": 2,
        },
    }


class Artifacts(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name

    def tuner(self, *args, check=True):
        out = subprocess.run([TUNER, *args], capture_output=True, text=True, timeout=120)
        if check:
            self.assertEqual(out.returncode, 0, out.stderr)
        return out

    def run_study(self, name, mode):
        path = os.path.join(self.dir, name + ".json")
        with open(path, "w") as f:
            json.dump(study_spec(name, mode), f)
        db = os.path.join(self.dir, name + ".db")
        self.tuner("run", path, "--db", db, "--json")
        trial_dir = os.path.join(self.dir, "tuner_trials", name, "trial-1")
        return db, trial_dir

    def check_resumed_and_retained(self, name, db, trial_dir, ckpt_dir, rank):
        # The first attempt trained steps 1-4 and failed; the second started
        # from the step-4 checkpoint and trained only 5 and 6.
        with open(os.path.join(trial_dir, "steps.json")) as f:
            first = json.load(f)
        self.assertEqual((first["start"], first["trained"]), (0, 4))
        with open(os.path.join(trial_dir, "attempt-2", "steps.json")) as f:
            second = json.load(f)
        self.assertEqual(second["start"], 4)
        self.assertEqual(second["trained"], 2)
        self.assertEqual(second["restore"], os.path.join(trial_dir, ckpt_dir, "4"))

        listed = json.loads(self.tuner("artifacts", name, "1", "--db", db, "--json").stdout)
        ckpts = {(a["attempt"], a["step"]): a for a in listed["artifacts"]
                 if a["kind"] == "checkpoint" and a["path"].endswith("state.json")}
        self.assertEqual(sorted(ckpts), [(1, 1), (1, 2), (1, 3), (1, 4), (2, 5), (2, 6)])
        kept = sorted(step for (_, step), a in ckpts.items() if not a["removed"])
        self.assertEqual(kept, [5, 6])  # keep_checkpoints = 2
        for (attempt, step), a in ckpts.items():
            base = trial_dir if attempt == 1 else os.path.join(trial_dir, "attempt-2")
            self.assertEqual(os.path.exists(os.path.join(base, a["path"])), not a["removed"],
                             a["path"])
            self.assertEqual(a["rank"], rank)
            self.assertEqual(len(a["sha256"]), 64)
        table = self.tuner("artifacts", name, "1", "--db", db).stdout
        self.assertIn("removed", table)
        self.assertIn("kept", table)
        return listed

    def check_export(self, name, db, expected_kinds):
        bundle = os.path.join(self.dir, "bundle")
        self.tuner("export", name, bundle, "--db", db)
        with open(os.path.join(bundle, "manifest.json")) as f:
            manifest = json.load(f)
        self.assertEqual(manifest["study"], name)
        self.assertEqual(manifest["trial"], 1)
        roles = {p["name"]: p["role"] for p in manifest["parameters"]}
        self.assertEqual(roles, {"x": "model", "buckets": "preprocessing"})
        self.assertIn("score", manifest["metrics"])
        self.assertIn("checkpoint_trainer.py", manifest["command"])
        self.assertEqual(manifest["environment"]["CKPT_MODE"], json.load(
            open(os.path.join(self.dir, name + ".json")))["trainer"]["env"]["CKPT_MODE"])
        self.assertTrue(manifest["tuner_version"])
        self.assertEqual(sorted({f["kind"] for f in manifest["files"]}), expected_kinds)
        steps = sorted({f["step"] for f in manifest["files"] if f["kind"] == "checkpoint"})
        self.assertEqual(steps, [5, 6])  # only kept files
        self.assertIn("ok", self.tuner("verify-export", bundle).stdout)

        # A non-empty directory is refused, and left as it was.
        again = self.tuner("export", name, bundle, "--db", db, check=False)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("not empty", again.stderr)

        # Tampered and missing files are reported, with a non-zero exit.
        files = [f["path"] for f in manifest["files"]]
        with open(os.path.join(bundle, files[0]), "ab") as f:
            f.write(b"tampered")
        os.remove(os.path.join(bundle, files[1]))
        bad = self.tuner("verify-export", bundle, check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("changed: " + files[0], bad.stderr)
        self.assertIn("missing: " + files[1], bad.stderr)
        self.assertNotEqual(self.tuner("verify-export", self.dir, check=False).returncode, 0)

    def test_files_under_the_output_dir_are_recorded_by_the_runner(self):
        db, trial_dir = self.run_study("files", "files")
        listed = self.check_resumed_and_retained("files", db, trial_dir, "checkpoints", "")
        kinds = {a["path"]: a["kind"] for a in listed["artifacts"] if a["kind"] != "checkpoint"}
        self.assertEqual(kinds, {"artifacts/model/weights.txt": "model",
                                 "artifacts/preprocessing/buckets.json": "preprocessing",
                                 "artifacts/notes.txt": "artifact"})
        self.check_export("files", db, ["artifact", "checkpoint", "model", "preprocessing"])

    def test_files_recorded_by_the_client(self):
        db, trial_dir = self.run_study("client", "client")
        listed = self.check_resumed_and_retained("client", db, trial_dir, "ckpt", "chief-0")
        models = [a for a in listed["artifacts"] if a["kind"] == "model"]
        self.assertEqual([(a["path"], a["attempt"], a["rank"]) for a in models],
                         [("model.txt", 2, "chief-0")])
        self.check_export("client", db, ["checkpoint", "model"])

    def interrupt_run(self, path, db, marker):
        """`tuner run` until the trainer creates `marker` in self.dir, then Ctrl-C."""
        run = subprocess.Popen([TUNER, "run", path, "--db", db], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while not os.path.exists(os.path.join(self.dir, marker)) and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)  # a checkpoint saved before the trainer hangs is recorded
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=60)
        self.assertEqual(run.returncode, 130, err)

    def assert_continued_from_step_3(self, study, trial, source):
        """Trial `trial` started from a copy of trial `source`'s step-3 checkpoint
        and trained steps 4-6; returns its steps.json."""
        trials_dir = os.path.join(self.dir, "tuner_trials", study)
        with open(os.path.join(trials_dir, f"trial-{trial}", "steps.json")) as f:
            steps = json.load(f)
        self.assertEqual((steps["start"], steps["trained"]), (3, 3))
        self.assertEqual(steps["restore"], os.path.join(
            trials_dir, f"trial-{trial}", "retried-checkpoint", f"trial-{source}", "3"))
        return steps

    def test_an_interrupted_trial_continues_from_its_checkpoint(self):
        spec = study_spec("interrupted", "files")
        spec["trainer"]["env"].update({"FAIL_AFTER": "0",
                                       "HANG_ONCE": os.path.join(self.dir, "hung")})
        path = os.path.join(self.dir, "interrupted.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        db = os.path.join(self.dir, "interrupted.db")
        self.interrupt_run(path, db, "hung")
        self.tuner("run", path, "--db", db)
        trials = json.loads(self.tuner("trials", "interrupted", "--db", db, "--json").stdout)
        states = {t["trial"]: (t["state"], t["origin"], t.get("retry_of")) for t in trials}
        self.assertEqual(states, {1: ("STALE", "random", None), 2: ("COMPLETED", "retry", 1)})
        table = self.tuner("trials", "interrupted", "--db", db).stdout
        self.assertRegex(table, r"\n2 +COMPLETED +retry of 1 ")
        steps = self.assert_continued_from_step_3("interrupted", 2, 1)
        # `tuner rerun` reproduces it from the same checkpoint.
        rerun = self.tuner("rerun", "interrupted", "2", "--db", db, "--print").stdout
        self.assertIn("TUNER_RESTORE_FROM=" + steps["restore"] + " ", rerun)

    def test_a_retry_interrupted_before_its_first_checkpoint_hands_on_the_first(self):
        spec = study_spec("twice", "files")
        spec["trainer"]["env"].update({"FAIL_AFTER": "0",
                                       "HANG_ONCE": os.path.join(self.dir, "hung"),
                                       "HANG_RESTORED": os.path.join(self.dir, "hung-again")})
        path = os.path.join(self.dir, "twice.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        db = os.path.join(self.dir, "twice.db")
        for marker in ("hung", "hung-again"):  # trial 1 after step 3, trial 2 before step 4
            self.interrupt_run(path, db, marker)
        self.tuner("run", path, "--db", db)
        trials = json.loads(self.tuner("trials", "twice", "--db", db, "--json").stdout)
        self.assertEqual([(t["state"], t.get("retry_of")) for t in trials],
                         [("STALE", None), ("STALE", 1), ("COMPLETED", 2)])
        # Trial 2 saved nothing: trial 3 continued from trial 1's step 3.
        self.assert_continued_from_step_3("twice", 3, 1)

    def test_bad_keep_checkpoints_is_refused(self):
        spec = study_spec("bad", "files")
        spec["trainer"]["keep_checkpoints"] = -1
        path = os.path.join(self.dir, "bad.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        out = self.tuner("validate", path, check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("trainer.keep_checkpoints", out.stderr + out.stdout)
        spec = study_spec("bad", "files")
        spec["parameters"][0]["role"] = "label"
        with open(path, "w") as f:
            json.dump(spec, f)
        out = self.tuner("validate", path, check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("parameters[0].role", out.stderr + out.stdout)


if __name__ == "__main__":
    unittest.main()
