"""End-to-end tests: `tuner run` on the examples, at small budgets.

Each test copies an example's study.json into a fresh temporary directory
(the trainer command then names the example's files by absolute path, and the
budget may be smaller), runs `tuner run STUDY --db DB --output-dir DIR --json`
and checks its JSON summary, `tuner trials --json`, the trial directories
(logs, files the trainers write to TUNER_OUTPUT_DIR) and, for stopped trials,
that no process of their clusters is left.

The binary comes from $TUNER_BIN (default: <repo>/build/tuner). The trainers
need Debian's Python (/usr/bin/python3) with python3-torch and python3-sklearn
(digits-ddp) and python3-grpcio / python3-protobuf (the client).
"""

import collections
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import threading
import unittest

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
TUNER_BIN = os.environ.get("TUNER_BIN", str(REPO / "build" / "tuner"))
RUN_TIMEOUT_S = 150


def tuner_processes(output_root):
    """{pid: environment} of the live processes whose TUNER_OUTPUT_DIR lies
    under `output_root` (processes we may not read are skipped)."""
    prefix = str(output_root) + os.sep
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                raw = f.read()
        except OSError:  # gone meanwhile, or not ours
            continue
        env = dict(item.decode(errors="replace").partition("=")[::2]
                   for item in raw.split(b"\0") if item)
        if env.get("TUNER_OUTPUT_DIR", "").startswith(prefix):
            found[int(entry)] = env
    return found


class RankWatcher(threading.Thread):
    """Scans /proc every few milliseconds while a study runs and records each
    trainer rank it sees under `output_root`: seen[trial id] = {pid: task}."""

    def __init__(self, output_root, interval_s=0.02):
        super().__init__(daemon=True)
        self.output_root = output_root
        self.interval_s = interval_s
        self.seen = collections.defaultdict(dict)
        self._done = threading.Event()

    def run(self):
        while not self._done.is_set():
            for pid, env in tuner_processes(self.output_root).items():
                task = f"{env.get('TUNER_TASK_TYPE')}:{env.get('TUNER_TASK_INDEX')}"
                self.seen[int(env.get("TUNER_TRIAL_ID", "0"))][pid] = task
            self._done.wait(self.interval_s)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self.join()


class ExampleRun(unittest.TestCase):
    """A temporary directory per test, and helpers to run `tuner` in it."""

    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="tuner-examples-"))
        self.db = self.tmp / "study.db"
        self.trials_dir = self.tmp / "trials"

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def copy_study(self, example, file_name="study.json", **changes):
        """The example's study with `changes` applied to its top-level keys,
        written to the temporary directory; command arguments that name a
        file of the example become absolute paths. Returns (path, spec)."""
        source = EXAMPLES / example
        spec = json.loads((source / "study.json").read_text())
        spec["trainer"]["command"] = [
            str(source / arg) if (source / arg).is_file() else arg
            for arg in spec["trainer"]["command"]]
        spec.update(changes)
        path = self.tmp / file_name
        path.write_text(json.dumps(spec, indent=2))
        return path, spec

    def tuner(self, *args, check=True):
        proc = subprocess.run([TUNER_BIN, *map(str, args)], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        if check and proc.returncode != 0:
            self.fail(f"tuner {' '.join(map(str, args))} exited {proc.returncode}\n"
                      f"--- stderr ---\n{proc.stderr}\n--- stdout ---\n{proc.stdout}")
        return proc

    def run_study(self, study_file, expect_rc=0):
        """`tuner run --json`: (parsed summary or None, the process). The exit
        code must be `expect_rc` (None: any)."""
        proc = self.tuner("run", study_file, "--db", self.db, "--output-dir", self.trials_dir,
                          "--json", check=False)
        if expect_rc is not None and proc.returncode != expect_rc:
            self.fail(f"tuner run {study_file} exited {proc.returncode}, expected {expect_rc}\n"
                      f"--- stderr ---\n{proc.stderr}\n--- stdout ---\n{proc.stdout}")
        summary = json.loads(proc.stdout) if proc.stdout.strip() else None
        return summary, proc

    def trials(self, study):
        return json.loads(self.tuner("trials", study, "--db", self.db, "--json").stdout)

    def trial_dir(self, study, trial_id):
        return self.trials_dir / study / f"trial-{trial_id}"

    def log(self, study, trial_id, rank_file):
        path = self.trial_dir(study, trial_id) / "logs" / rank_file
        self.assertTrue(path.is_file(), f"missing log {path}")
        return path.read_text()

    def assert_cluster_gone(self, watcher, trial_id, ranks=("chief:0", "worker:0")):
        """Every rank of the trial's cluster was seen running and none is
        alive now. Processes are told apart by TUNER_TRIAL_ID and a
        TUNER_OUTPUT_DIR in this test's directory, so that concurrent tests
        cannot match."""
        seen = watcher.seen.get(trial_id, {})
        self.assertEqual(sorted(seen.values()), sorted(ranks),
                         f"trial {trial_id}: ranks seen running {seen}")
        left = {pid: env.get("TUNER_TASK_TYPE")
                for pid, env in tuner_processes(self.trials_dir).items()
                if env.get("TUNER_TRIAL_ID") == str(trial_id)}
        self.assertEqual(left, {}, f"trial {trial_id}: processes of its cluster are still alive")


class DigitsDdpTest(ExampleRun):
    """examples/digits-ddp: PyTorch DistributedDataParallel, chief + worker."""

    @classmethod
    def setUpClass(cls):
        probe = subprocess.run(["/usr/bin/python3", "-c", "import torch, sklearn"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            raise AssertionError("examples/digits-ddp needs Debian's python3-torch and "
                                 "python3-sklearn (scripts/setup.sh installs them):\n"
                                 + probe.stderr)

    def test_ranks_train_one_model_together(self):
        study, spec = self.copy_study("digits-ddp", max_trials=2)
        with RankWatcher(self.trials_dir) as watcher:
            summary, _ = self.run_study(study)
        self.assertEqual(summary["trials"],
                         {"completed": 2, "failed": 0, "stopped": 0, "infeasible": 0}, summary)
        self.assertGreater(summary["best"]["metrics"]["val_accuracy"], 0.5, summary)
        self.assertEqual(set(summary["best"]["parameters"]),
                         {"learning_rate", "hidden_units", "input_buckets"})

        epochs = int(next(a for a in spec["trainer"]["command"]
                          if a.startswith("--epochs=")).split("=")[1])
        for trial in self.trials("digits-ddp"):
            t = trial["trial"]
            self.assertEqual(trial["state"], "COMPLETED", trial)
            self.assertEqual(trial["steps"], epochs, "the chief reports every epoch")
            chief = self.log("digits-ddp", t, "chief-0.log")
            worker = self.log("digits-ddp", t, "worker-0.log")
            # Both ranks joined one process group; each trained on its own shard.
            self.assertIn("joined the process group: rank 0 of 2", chief)
            self.assertIn("joined the process group: rank 1 of 2", worker)
            shard = re.compile(r"training on shard (\d) of 2: (\d+) of (\d+) examples")
            (c_index, c_size, total), = shard.findall(chief)
            (w_index, w_size, total_w), = shard.findall(worker)
            self.assertEqual((c_index, w_index), ("0", "1"))
            self.assertEqual(c_size, w_size)
            self.assertEqual(total, total_w)
            self.assertEqual(int(c_size), int(total) // 2, "each rank sees half the data")
            # Different data, yet the same final weights: the gradients were
            # all-reduced. And training changed them.
            sums = [(self.trial_dir("digits-ddp", t) / f"params-rank{r}.sha256").read_text().strip()
                    for r in (0, 1)]
            self.assertRegex(sums[0], r"^[0-9a-f]{64}$")
            self.assertEqual(sums[0], sums[1], f"trial {t}: the ranks' parameters differ")
            for r in (0, 1):  # TrialLoop.checkpoint_path: in the trial's directory
                self.assertTrue((self.trial_dir("digits-ddp", t) / f"model-rank{r}.pt").is_file())
            # The chief's serving hand-off: the model and the bucket edges it was trained with.
            handoff = self.trial_dir("digits-ddp", t) / "artifacts"
            self.assertTrue((handoff / "model" / "model.pt").is_file())
            buckets = json.loads((handoff / "preprocessing" / "buckets.json").read_text())
            self.assertEqual(len(buckets["edges"]), buckets["input_buckets"] - 1)
            initial = re.search(r"initial parameters sha256 ([0-9a-f]{64})", worker).group(1)
            self.assertNotEqual(initial, sums[1], f"trial {t}: the parameters never changed")
            self.assertIn(f"final parameters sha256 {sums[0]}", chief)
            self.assert_cluster_gone(watcher, t)

    def test_a_stop_decision_ends_both_ranks(self):
        # Every trial is worse than this threshold: stopped after epoch 2.
        study, _ = self.copy_study(
            "digits-ddp", name="digits-ddp-stop", max_trials=1, max_parallel_trials=1,
            early_stopping={"rule": "threshold", "threshold": 0.9999, "grace_steps": 2})
        with RankWatcher(self.trials_dir) as watcher:
            # Exit code 1: no trial completed, so there is no best one.
            summary, _ = self.run_study(study, expect_rc=1)
        self.assertIsNone(summary["best"])
        self.assertEqual(summary["trials"]["stopped"], 1, summary)
        trial, = self.trials("digits-ddp-stop")
        self.assertEqual(trial["state"], "STOPPED", trial)
        self.assertEqual(trial["steps"], 2, trial)
        self.assertIn("threshold", trial["reason"])
        self.assertIn("joined the process group: rank 1 of 2",
                      self.log("digits-ddp-stop", 1, "worker-0.log"))
        self.assert_cluster_gone(watcher, 1)


class StdoutOnlyTest(ExampleRun):
    """examples/stdout-only: metrics parsed from the chief's stdout."""

    def test_every_printed_epoch_is_a_measurement(self):
        study, spec = self.copy_study("stdout-only")
        summary, _ = self.run_study(study)
        n = spec["max_trials"]
        self.assertEqual(summary["trials"],
                         {"completed": n, "failed": 0, "stopped": 0, "infeasible": 0}, summary)
        self.assertLess(summary["best"]["metrics"]["loss"], 0.1, summary)
        trials = self.trials("stdout-only")
        self.assertEqual(len(trials), n)
        for trial in trials:
            self.assertEqual(trial["state"], "COMPLETED", trial)
            self.assertEqual(trial["steps"], 20, "one measurement per epoch=N line")
            # The metrics study.json names; other pairs on the line are ignored.
            self.assertEqual(set(trial["metrics"]), {"loss", "slope", "intercept"}, trial)
            chief = self.log("stdout-only", trial["trial"], "chief-0.log")
            self.assertIn(f"epoch=20 loss={trial['metrics']['loss']:.6f}", chief)


class CmleHypertuneTest(ExampleRun):
    """examples/cmle-hypertune: a Cloud ML Engine trainer (hypertune metric
    file, --job-dir), unchanged, with the median stopping rule."""

    def test_hypertune_reports_are_measurements_and_broken_trials_stop(self):
        study, spec = self.copy_study("cmle-hypertune")
        with RankWatcher(self.trials_dir) as watcher:
            summary, _ = self.run_study(study)
        trials = self.trials("cmle-hypertune")
        self.assertEqual(len(trials), spec["max_trials"])
        self.assertEqual(summary["trials"]["failed"], 0, summary)
        epochs = 12
        rule = spec["early_stopping"]
        for t in trials:
            trial_dir = self.trial_dir("cmle-hypertune", t["trial"])
            # Each rank its own metric file, in the trial's directory.
            metric_file = trial_dir / "hypertune" / "chief-0.metrics"
            self.assertTrue(metric_file.is_file(), t)
            lines = [json.loads(line) for line in metric_file.read_text().splitlines()]
            self.assertIn("val_loss", t["metrics"], t)
            chief_log = self.log("cmle-hypertune", t["trial"], "chief-0.log")
            self.assertIn(f"job_dir={os.path.abspath(trial_dir)}", chief_log)
            if t["state"] == "COMPLETED":
                # Both tags of a step make one measurement, so the trial has
                # every metric named in the study, one measurement per epoch.
                self.assertEqual(set(t["metrics"]), {"val_loss", "accuracy"}, t)
                self.assertEqual(t["steps"], epochs, t)
                self.assertEqual(len(lines), 2 * epochs)
                last = [e for e in lines if e["global_step"] == str(epochs)]
                self.assertAlmostEqual(
                    t["metrics"]["val_loss"],
                    float(next(e["val_loss"] for e in last if "val_loss" in e)), places=9)
                self.assertTrue((trial_dir / "model.json").is_file(), "--job-dir")
            else:
                self.assertEqual(t["state"], "STOPPED", t)
                self.assertIn("median", t["reason"], t)
                self.assert_cluster_gone(watcher, t["trial"], ranks=("chief:0",))
        judged_after = spec["max_parallel_trials"] + rule["min_trials"]
        broken = [t for t in trials
                  if t["parameters"]["schedule"] == "broken" and t["trial"] > judged_after]
        self.assertGreaterEqual(len(broken), 2, f"too few broken trials to judge: {trials}")
        for t in broken:
            self.assertEqual(t["state"], "STOPPED", t)
            self.assertIn(f"at step {rule['grace_steps']}", t["reason"], t)
        self.assertNotEqual(summary["best"]["parameters"]["schedule"], "broken", summary)
        self.assertLess(summary["best"]["metrics"]["val_loss"], 0.5, summary)


class EarlyStoppingTest(ExampleRun):
    """examples/early-stopping: the median rule ends the `broken` trials."""

    def test_broken_trials_are_stopped_and_their_clusters_end(self):
        study, spec = self.copy_study("early-stopping")
        with RankWatcher(self.trials_dir) as watcher:
            summary, proc = self.run_study(study)
        trials = self.trials("early-stopping")
        self.assertEqual(len(trials), spec["max_trials"])
        states = [t["state"] for t in trials]
        self.assertEqual(summary["trials"]["stopped"], states.count("STOPPED"), summary)
        self.assertEqual(summary["trials"]["completed"], states.count("COMPLETED"), summary)
        self.assertEqual(summary["trials"]["failed"], 0, summary)

        rule = spec["early_stopping"]
        epochs = int(next(a for a in spec["trainer"]["command"]
                          if a.startswith("--epochs=")).split("=")[1])
        # A trial launched after the first max_parallel + min_trials has at
        # least min_trials finished trials before it (the study's seed makes
        # those first ones good, so they COMPLETE and are evidence).
        judged_after = spec["max_parallel_trials"] + rule["min_trials"]
        broken = [t for t in trials if t["parameters"]["schedule"] == "broken"]
        judged = [t for t in broken if t["trial"] > judged_after]
        self.assertGreaterEqual(len(judged), 2, f"too few broken trials to judge: {trials}")
        for t in judged:
            self.assertEqual(t["state"], "STOPPED", t)
            self.assertIn("median", t.get("reason", ""), t)
            self.assertIn(f"at step {rule['grace_steps']}", t["reason"])
            self.assertEqual(t["steps"], rule["grace_steps"], "stopped at the first step allowed")
        for t in trials:
            if t["state"] == "STOPPED":
                self.assertRegex(t["reason"], r"^early stopping \(median\): val_loss .* is worse "
                                 r"than the median .* of \d+ completed trials$")
                # The progress display (stderr under --json) says why, too.
                self.assertRegex(proc.stderr, rf"trial {t['trial']} STOPPED .*\(early stopping "
                                 r"\(median\): val_loss .* is worse than the median")
                # The worker ran, and nothing of the cluster is left.
                self.assertIn("connecting to the chief",
                              self.log("early-stopping", t["trial"], "worker-0.log"))
                self.assert_cluster_gone(watcher, t["trial"])

        good = [t for t in trials if t["parameters"]["schedule"] != "broken"]
        completed = [t for t in good if t["state"] == "COMPLETED"]
        self.assertTrue(completed, f"no good trial completed: {trials}")
        for t in completed:
            self.assertEqual(t["steps"], epochs, t)
        self.assertNotEqual(summary["best"]["parameters"]["schedule"], "broken", summary)
        self.assertLess(summary["best"]["metrics"]["val_loss"], 0.5, summary)

        # `tuner trials` (the table) shows why each was stopped.
        table = self.tuner("trials", "early-stopping", "--db", self.db).stdout
        self.assertIn("reason", table.splitlines()[0])
        for t in trials:
            if t["state"] == "STOPPED":
                row = next(line for line in table.splitlines()
                           if line.split()[:2] == [str(t["trial"]), "STOPPED"])
                self.assertIn("is worse than the median", row)


class ResumeTest(ExampleRun):
    """`tuner run` on an existing study (examples/quickstart) resumes it."""

    def test_rerun_raise_budget_and_changed_spec(self):
        study, _ = self.copy_study("quickstart", max_trials=4)
        summary, _ = self.run_study(study)
        self.assertEqual(summary["trials"]["completed"], 4, summary)
        first = self.trials("quickstart")
        self.assertEqual([t["trial"] for t in first], [1, 2, 3, 4])

        # The same spec again: nothing new runs.
        summary, _ = self.run_study(study)
        self.assertEqual(summary["trials"]["completed"], 4, summary)
        self.assertEqual(self.trials("quickstart"), first)
        self.assertFalse(self.trial_dir("quickstart", 5).exists(), "a trainer was launched")
        self.assertEqual(summary["best"]["trial"],
                         max(first, key=lambda t: t["metrics"]["val_accuracy"])["trial"])

        # A larger budget: only the extra trials run.
        study, _ = self.copy_study("quickstart", max_trials=6)
        summary, _ = self.run_study(study)
        self.assertEqual(summary["trials"]["completed"], 6, summary)
        now = self.trials("quickstart")
        self.assertEqual(now[:4], first, "the finished trials were touched")
        self.assertEqual([(t["trial"], t["state"]) for t in now[4:]],
                         [(5, "COMPLETED"), (6, "COMPLETED")])
        self.assertFalse(self.trial_dir("quickstart", 7).exists())

        # A different search space under the same name: refused, clearly.
        changed, spec = self.copy_study("quickstart", "changed.json", max_trials=6)
        spec["parameters"][0]["max"] = spec["parameters"][0]["max"] / 2
        changed.write_text(json.dumps(spec))
        _, proc = self.run_study(changed, expect_rc=None)
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(proc.stdout, "")
        self.assertIn('study "quickstart" exists with a different spec', proc.stderr)
        self.assertIn("parameters", proc.stderr)
        self.assertEqual(self.trials("quickstart"), now)


class ExportTest(ExampleRun):
    """The serving hand-off (docs/artifacts.md): quickstart's best trial,
    exported, predicts in a fresh process exactly as the trial evaluated."""

    def test_exported_bundle_predicts_like_the_trial(self):
        study, _ = self.copy_study("quickstart", max_trials=3)
        summary, _ = self.run_study(study)
        self.assertEqual(summary["trials"]["completed"], 3, summary)
        bundle = self.tmp / "bundle"
        self.tuner("export", "quickstart", bundle, "--db", self.db, "--output-dir",
                   self.trials_dir)
        self.assertIn("ok", self.tuner("verify-export", bundle).stdout)
        manifest = json.loads((bundle / "manifest.json").read_text())
        self.assertEqual(manifest["trial"], summary["best"]["trial"])
        roles = {p["name"]: p["role"] for p in manifest["parameters"]}
        self.assertEqual(roles["input_buckets"], "preprocessing")
        self.assertEqual(roles["learning_rate"], "model")
        kinds = sorted(f["kind"] for f in manifest["files"])
        self.assertEqual(kinds, ["evaluation", "model", "preprocessing"])
        buckets = json.loads((bundle / "artifacts/preprocessing/buckets.json").read_text())
        best_buckets = [p["value"] for p in manifest["parameters"]
                        if p["name"] == "input_buckets"][0]
        self.assertEqual(buckets["buckets"], best_buckets)

        # A fresh process with nothing but the bundle (and the data's seed).
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUNER_")}
        out = subprocess.run(["/usr/bin/python3", str(EXAMPLES / "quickstart" / "predict.py"),
                              str(bundle), "--json"], capture_output=True, text=True,
                             timeout=60, env=env, cwd=self.tmp, check=True)
        served = json.loads(out.stdout)
        trial_predictions = json.loads(
            (bundle / "artifacts/evaluation/val_predictions.json").read_text())
        self.assertEqual(served["predictions"], trial_predictions)
        self.assertEqual(served["val_accuracy"], manifest["metrics"]["val_accuracy"])


if __name__ == "__main__":
    unittest.main()
