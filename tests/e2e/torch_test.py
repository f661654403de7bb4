"""tuner_client.integrations.torch.TrialLoop in examples/digits-ddp, stopped
by the service: two ranks of DistributedDataParallel (gloo on loopback) on
scikit-learn's digits, started here with the environment `tuner run` gives
them, reporting to a `tuner serve` whose threshold rule stops the trial at
epoch 2. Both ranks must leave the loop at that epoch, save their (equal)
weights in $TUNER_OUTPUT_DIR, and the trial must end STOPPED with reports
at epochs 1 and 2 only. (Under `tuner run` the cluster of a stopped trial is
ended from outside too, so there it could not show that the trainer itself
stopped.) Needs Debian's python3-torch and python3-sklearn.
"""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

import tuner_client

REPO = pathlib.Path(__file__).resolve().parents[2]
TRAIN = REPO / "examples" / "digits-ddp" / "train.py"
EPOCHS = 5


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TrialLoopTest(unittest.TestCase):

    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="tuner-torch-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.server = tuner_client.LocalServer()
        self.addCleanup(self.server.stop)
        self.client = tuner_client.Client(self.server.address)
        self.addCleanup(self.client.close)

    def run_ranks(self, trial, world=2):
        """Runs train.py as `world` ranks of one trial; returns their stderr."""
        port = str(free_port())
        procs = []
        for rank in range(world):
            env = {k: v for k, v in os.environ.items() if not k.startswith("TUNER_")}
            env.update({
                "PYTHONPATH": str(REPO / "clients" / "python"), "OMP_NUM_THREADS": "1",
                "RANK": str(rank), "WORLD_SIZE": str(world),
                "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port,
                "TUNER_ENDPOINT": self.server.address, "TUNER_STUDY": trial.study,
                "TUNER_TRIAL_ID": str(trial.id), "TUNER_PARAMS": json.dumps(trial.parameters),
                "TUNER_OUTPUT_DIR": str(self.tmp / "out")})
            procs.append(subprocess.Popen(
                [sys.executable, str(TRAIN), f"--epochs={EPOCHS}"], env=env, cwd=self.tmp,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                text=True))
        logs = [p.communicate(timeout=240)[1] for p in procs]
        for rank, (p, log) in enumerate(zip(procs, logs)):
            self.assertEqual(p.returncode, 0, f"rank {rank}:\n{log}")
        return logs

    def test_every_rank_stops_at_the_epoch_the_service_says(self):
        self.client.create_study({
            "name": "digits", "objective": {"metric": "val_accuracy", "goal": "maximize"},
            "max_trials": 2,
            "early_stopping": {"rule": "threshold", "threshold": 0.9999, "grace_steps": 2},
            "parameters": [
                {"name": "learning_rate", "type": "double", "min": 0.001, "max": 0.5},
                {"name": "hidden_units", "type": "discrete", "values": [16, 32]},
                {"name": "input_buckets", "type": "integer", "min": 2, "max": 17}]})
        trial = self.client.create_trial(
            "digits", {"learning_rate": 0.05, "hidden_units": 16, "input_buckets": 4})
        logs = self.run_ranks(trial)

        stored = self.client.get_trial("digits", trial.id)
        self.assertEqual(stored.state, "STOPPED", stored)
        self.assertIn("threshold", stored.reason)
        self.assertEqual([m.step for m in stored.measurements], [1, 2])
        for rank, log in enumerate(logs):
            self.assertIn("the service says stop after epoch 2", log, f"rank {rank}")
            self.assertNotIn("stop after epoch 1", log, f"rank {rank}")
        out = self.tmp / "out"
        sums = [(out / f"params-rank{r}.sha256").read_text() for r in (0, 1)]
        self.assertEqual(sums[0], sums[1], "the ranks stopped at different epochs")
        for r in (0, 1):
            self.assertTrue((out / f"model-rank{r}.pt").is_file(), r)

    def test_a_failing_block_fails_the_trial_with_its_error(self):
        from tuner_client.integrations.torch import TrialLoop
        self.client.create_study({
            "name": "f", "objective": {"metric": "acc", "goal": "maximize"}, "max_trials": 2,
            "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})
        trial = self.client.create_trial("f", {"x": 0.5})
        with self.assertRaises(ZeroDivisionError):
            with TrialLoop(trial, checkpoint_dir=str(self.tmp / "ckpt")) as loop:
                self.assertEqual(list(loop.epochs(3))[:1], [1])
                self.assertFalse(loop.report(1, acc=0.5))
                1 / 0
        stored = self.client.get_trial("f", trial.id)
        self.assertEqual(stored.state, "FAILED")
        self.assertIn("ZeroDivisionError", stored.reason)
        self.assertEqual(loop.checkpoint_path("m.pt"), str(self.tmp / "ckpt" / "m.pt"))


if __name__ == "__main__":
    unittest.main()
