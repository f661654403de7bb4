"""`tuner run` with trainer.backend = slurm against a real Slurm cluster.

One study, three trials of a chief + 2 workers each (tests/e2e/slurm_trainer.py):
one succeeds, one has a failing worker, one is stopped early by the threshold
rule. Checks that every rank ran as a task of its trial's Slurm job with a
consistent TF_CONFIG, that the failing rank failed its trial, and that the
early-stopped trial's job was cancelled with no task left. Every rank starts a
`setsid` grandchild: none outlives its trial, however the trial ended (task.sh's
cgroup v2 group; the test cluster's proctrack/linuxproc alone would leave them).

Needs the cluster of scripts/slurm_start.sh (or any Slurm cluster whose nodes
share /tmp): the test fails, saying so, when none answers. TUNER_BIN names
the tuner binary.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TUNER = os.environ.get("TUNER_BIN", os.path.join(HERE, "..", "..", "build", "tuner"))


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


def cluster_problem():
    """None when a Slurm node is ready, else what is wrong."""
    if shutil.which("sinfo") is None:
        return "sinfo is not installed"
    try:
        result = run(["sinfo", "-h", "-o", "%T"], timeout=30)
    except subprocess.TimeoutExpired:
        return "sinfo timed out"
    states = result.stdout.split()
    if result.returncode != 0 or not any(
            s.startswith(("idle", "mixed", "allocated")) for s in states):
        return f"no node is ready (sinfo: {result.stdout.strip()} {result.stderr.strip()})"
    return None


def job_state(job_id):
    result = run(["scontrol", "-o", "show", "job", str(job_id)], timeout=30)
    for word in result.stdout.split():
        if word.startswith("JobState="):
            return word.split("=", 1)[1]
    return None


def live_pids(pids):
    alive = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state not in ("Z", "X"):
                alive.append(pid)
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return alive


class SlurmTunerRunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        problem = cluster_problem()
        if problem and os.environ.get("TUNER_SLURM_TESTS") == "skip":
            raise unittest.SkipTest(problem)
        if problem:
            raise AssertionError(
                f"the Slurm cluster is not up: {problem}; start it with "
                "`sudo scripts/slurm_start.sh` (.ci/run does), or set "
                "TUNER_SLURM_TESTS=skip to skip these tests")
        cls.dir = tempfile.mkdtemp(prefix="tuner_slurm_e2e_")
        cls.study_path = os.path.join(cls.dir, "study.json")
        study = {
            "name": "slurm-e2e",
            "objective": {"metric": "val_accuracy", "goal": "maximize"},
            "algorithm": {"name": "grid"},
            "max_trials": 3,
            "max_parallel_trials": 3,
            "early_stopping": {"rule": "threshold", "threshold": 0.5, "grace_steps": 2},
            "parameters": [
                {"name": "mode", "type": "categorical", "values": ["good", "fail", "bad"]},
            ],
            "trainer": {
                "command": ["/usr/bin/python3", os.path.join(HERE, "slurm_trainer.py")],
                "cluster": {"chief": 1, "worker": 2},
                "backend": "slurm",
                "timeout_s": 240,
                "slurm": {"time_limit": "10", "cpus_per_task": 1},
            },
        }
        with open(cls.study_path, "w") as f:
            json.dump(study, f)
        cls.db = os.path.join(cls.dir, "tuner.db")
        cls.trials_dir = os.path.join(cls.dir, "trials")
        started = time.monotonic()
        cls.run_result = run([TUNER, "run", cls.study_path, "--db", cls.db, "--json",
                              "--output-dir", cls.trials_dir], timeout=400)
        cls.run_seconds = time.monotonic() - started
        listed = run([TUNER, "trials", "slurm-e2e", "--db", cls.db, "--json"], timeout=60)
        cls.trials_output = listed.stdout + listed.stderr
        cls.trials = {}
        if listed.returncode == 0:
            data = json.loads(listed.stdout)
            rows = data["trials"] if isinstance(data, dict) else data
            for t in rows:
                cls.trials[t["parameters"]["mode"]] = t

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "dir"):
            shutil.rmtree(cls.dir, ignore_errors=True)

    def envs(self, mode):
        """The saved environment of each rank of the `mode` trial, by rank name."""
        trial = self.trials[mode]
        out = os.path.join(self.trials_dir, "slurm-e2e", f"trial-{trial['trial']}")
        envs = {}
        for name in ("chief-0", "worker-0", "worker-1"):
            path = os.path.join(out, f"env-{name}.json")
            self.assertTrue(os.path.exists(path), f"{path} missing; logs: {os.listdir(out)}")
            with open(path) as f:
                envs[name] = json.load(f)
        return envs

    def assert_no_grandchild_left(self, mode):
        envs = self.envs(mode)
        grandchildren = [e["_grandchild"] for e in envs.values()]
        self.assertEqual(len(grandchildren), 3)
        self.assertEqual(live_pids(grandchildren), [], f"{mode}: setsid grandchildren left")
        logs = os.path.join(self.trials_dir, "slurm-e2e", f"trial-{self.trials[mode]['trial']}",
                            "logs")
        for name in envs:
            with open(os.path.join(logs, f"{name}.log")) as f:
                self.assertNotIn("no cgroup for this rank", f.read(), f"{mode} {name}")

    def test_0_run_finishes(self):
        r = self.run_result
        self.assertIn(r.returncode, (0, 1), f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}")
        summary = json.loads(r.stdout)
        self.assertEqual(summary["best"]["parameters"]["mode"], "good", r.stdout)
        self.assertEqual(set(self.trials), {"good", "fail", "bad"}, self.trials_output)
        print(f"\ntuner run took {self.run_seconds:.1f} s")

    def test_1_every_rank_ran_under_slurm_with_a_consistent_tf_config(self):
        host = socket.gethostname().split(".")[0]
        for mode in ("good", "fail", "bad"):
            envs = self.envs(mode)
            job_ids = {e["SLURM_JOB_ID"] for e in envs.values()}
            self.assertEqual(len(job_ids), 1, f"{mode}: one job for all ranks, got {job_ids}")
            configs = {name: json.loads(e["TF_CONFIG"]) for name, e in envs.items()}
            clusters = [c["cluster"] for c in configs.values()]
            self.assertTrue(all(c == clusters[0] for c in clusters), clusters)
            cluster = clusters[0]
            self.assertEqual(len(cluster["chief"]), 1)
            self.assertEqual(len(cluster["worker"]), 2)
            self.assertNotIn("ps", cluster)
            addresses = cluster["chief"] + cluster["worker"]
            self.assertEqual(len(set(addresses)), 3, addresses)
            for address in addresses:
                self.assertEqual(address.rsplit(":", 1)[0], host)
            procids = set()
            for name, env in envs.items():
                task_type, index = name.split("-")
                config = configs[name]
                self.assertEqual(config["task"], {"type": task_type, "index": int(index),
                                                  "trial": str(self.trials[mode]["trial"])})
                self.assertEqual(env["TUNER_TASK_TYPE"], task_type)
                self.assertEqual(env["TUNER_TASK_INDEX"], index)
                self.assertEqual(env["TUNER_STUDY"], "slurm-e2e")
                self.assertEqual(env["TUNER_TRIAL_ID"], str(self.trials[mode]["trial"]))
                self.assertEqual(json.loads(env["TUNER_PARAMS"]), {"mode": mode})
                self.assertEqual(env["WORLD_SIZE"], "3")
                self.assertEqual(env["RANK"], env["SLURM_PROCID"])
                self.assertEqual(env["MASTER_ADDR"], host)
                self.assertEqual(cluster["chief"][0], f"{host}:{env['MASTER_PORT']}")
                self.assertEqual(env["_host"].split(".")[0], host)
                procids.add(env["SLURM_PROCID"])
            self.assertEqual(procids, {"0", "1", "2"})

    def test_2_good_trial_completes_and_its_job_completed(self):
        trial = self.trials["good"]
        self.assertEqual(trial["state"], "COMPLETED", trial)
        self.assertEqual(trial["metrics"]["val_accuracy"], 0.9)
        job = self.envs("good")["chief-0"]["SLURM_JOB_ID"]
        self.assertEqual(job_state(job), "COMPLETED")
        self.assert_no_grandchild_left("good")

    def test_3_failing_rank_fails_the_trial(self):
        trial = self.trials["fail"]
        self.assertEqual(trial["state"], "FAILED", trial)
        self.assertIn("rank worker:1 exited with code 3", trial.get("reason", ""))
        self.assertIn("worker 1 fails on purpose", trial.get("reason", ""))
        job = self.envs("fail")["chief-0"]["SLURM_JOB_ID"]
        self.assertEqual(job_state(job), "FAILED")
        self.assert_no_grandchild_left("fail")

    def test_4_early_stopped_trial_job_is_cancelled_with_no_task_left(self):
        trial = self.trials["bad"]
        self.assertIn(trial["state"], ("STOPPED", "COMPLETED"), trial)
        self.assertIn("threshold", trial.get("reason", "") + json.dumps(trial))
        envs = self.envs("bad")
        job = envs["chief-0"]["SLURM_JOB_ID"]
        self.assertEqual(job_state(job), "CANCELLED")
        self.assertEqual(run(["squeue", "-h", "-j", job], timeout=30).stdout.strip(), "")
        self.assertEqual(live_pids([e["_pid"] for e in envs.values()]), [])
        ps = run(["ps", "-eo", "args"], timeout=30).stdout
        leftovers = [line for line in ps.splitlines()
                     if "slurm_trainer.py" in line and "--mode=" in line]
        self.assertEqual(leftovers, [])
        self.assert_no_grandchild_left("bad")


class SlurmPbtTest(unittest.TestCase):
    """Population-Based Training with trainer.backend = slurm: copies of the
    better member continue, as Slurm jobs, from a copy of its checkpoint in
    the shared trial directory (examples/pbt-toy)."""

    def test_pbt_copies_continue_from_their_parents_checkpoint(self):
        problem = cluster_problem()
        if problem and os.environ.get("TUNER_SLURM_TESTS") == "skip":
            self.skipTest(problem)
        self.assertIsNone(problem, "the Slurm cluster is not up")
        example = os.path.join(HERE, "..", "..", "examples", "pbt-toy")
        tmp = tempfile.mkdtemp(prefix="tuner_slurm_pbt_")
        self.addCleanup(shutil.rmtree, tmp, True)
        with open(os.path.join(example, "study.json")) as f:
            spec = json.load(f)
        spec["name"] = "slurm-pbt"
        spec["algorithm"].update({"population": 2, "interval": 2, "quantile": 0.5})
        spec["max_parallel_trials"] = 2
        spec["max_trials"] = 6
        spec["trainer"].update({
            "command": ["/usr/bin/python3", os.path.abspath(os.path.join(example, "train.py"))],
            "backend": "slurm", "timeout_s": 240,
            "slurm": {"time_limit": "10", "cpus_per_task": 1},
            # Slow enough that both members' jobs run side by side.
            "env": {"PBT_TOY_STEPS": "12", "PBT_TOY_PAUSE_S": "0.5",
                    "PBT_TOY_BARRIER": os.path.join(tmp, "barrier") + ":2"},
        })
        study = os.path.join(tmp, "pbt.json")
        with open(study, "w") as f:
            json.dump(spec, f)
        db, out = os.path.join(tmp, "pbt.db"), os.path.join(tmp, "trials")
        result = run([TUNER, "run", study, "--db", db, "--output-dir", out], timeout=400)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        trials = json.loads(run([TUNER, "trials", "slurm-pbt", "--db", db, "--json"],
                                timeout=60).stdout)
        copies = [t for t in trials if t.get("parent_trial")]
        self.assertGreater(len(copies), 0, json.dumps(trials, indent=1))
        for copy in copies:
            log = os.path.join(out, "slurm-pbt", "trial-%d" % copy["trial"], "logs",
                               "chief-0.log")
            with open(log) as f:
                text = f.read()
            self.assertIn("/parent-checkpoint/trial-%d/" % copy["parent_trial"], text)
            self.assertRegex(text, r"restored step \d+")


class SlurmPsDigitsTest(unittest.TestCase):
    """examples/ps-digits as a Slurm job: chief, worker and 2 ps ranks."""

    def test_ps_ranks_hold_and_update_the_parameters(self):
        problem = cluster_problem()
        if problem and os.environ.get("TUNER_SLURM_TESTS") == "skip":
            self.skipTest(problem)
        self.assertIsNone(problem, "the Slurm cluster is not up")
        from tests.e2e import ps_digits_test
        tmp = tempfile.mkdtemp(prefix="tuner_slurm_ps_")
        self.addCleanup(shutil.rmtree, tmp, True)
        spec = ps_digits_test.study("slurm-ps-digits", backend="slurm")
        run_result, trials, trial_dir = ps_digits_test.run_study(self, spec, tmp)
        self.assertEqual(run_result.returncode, 0, run_result.stdout + run_result.stderr)
        self.assertEqual(trials[0]["state"], "COMPLETED", trials)
        ps_digits_test.check_shards_hold_and_update(self, trial_dir, trials[0])


if __name__ == "__main__":
    unittest.main()
