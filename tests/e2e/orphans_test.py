"""No orphans: SIGKILL `tuner run` mid-study, with two clusters of a chief and
two workers running, each rank with a `setsid` grandchild; within 5 s no
process of the study is alive, without any later run. With cgroups (where this
machine allows them: root on CI), with TUNER_CGROUPS=0, and with a separate
`tuner serve` (`tuner run --server`)."""
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

from tests.e2e.study_processes import processes_of_study as processes_of

TUNER = os.environ["TUNER_BIN"]
# Each rank leaves a grandchild in a session of its own, then sleeps.
RANK = "setsid sleep 600 </dev/null >/dev/null 2>&1 & exec sleep 600"


def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            before, _, after = line.partition(" - ")
            if after.split()[:1] == ["cgroup2"]:
                return before.split()[4]
    return None


def wait_for(condition, timeout):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class OrphansTest(unittest.TestCase):
    def kill_run_mid_study(self, study, env, server=None):
        spec = {
            "name": study,
            "objective": {"metric": "score", "goal": "maximize"},
            "algorithm": {"name": "random", "seed": 3},
            "max_trials": 4,
            "max_parallel_trials": 2,
            "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
            "trainer": {
                "command": ["/bin/sh", "-c", RANK],
                "cluster": {"chief": 1, "worker": 2},
            },
        }
        with tempfile.TemporaryDirectory() as tmp:
            study_file = os.path.join(tmp, "study.json")
            with open(study_file, "w") as f:
                json.dump(spec, f)
            where = (["--server", server] if server
                     else ["--db", os.path.join(tmp, "orphans.db")])
            run = subprocess.Popen(
                [TUNER, "run", study_file, *where, "--json",
                 "--output-dir", os.path.join(tmp, "trials")],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
            try:
                # 2 clusters x 3 ranks, each with its grandchild.
                running = wait_for(lambda: len(processes_of(study)) == 12, 60)
                self.assertIsNone(run.poll(), "tuner run ended early")
                self.assertTrue(running, f"{len(processes_of(study))} processes, expected 12")
            finally:
                run.send_signal(signal.SIGKILL)
                _, stderr = run.communicate()
            gone = wait_for(lambda: not processes_of(study), 5)
            left = processes_of(study)
            for pid in left:  # not for the next test
                os.kill(pid, signal.SIGKILL)
            self.assertTrue(gone, f"alive 5 s after the SIGKILL: {left}")
            return run.pid, stderr.decode()

    def test_sigkill_with_cgroups(self):
        mount = cgroup2_mount()
        env = dict(os.environ)
        env.pop("TUNER_CGROUPS", None)
        pid, stderr = self.kill_run_mid_study("orphans-cgroups", env)
        if mount and os.geteuid() == 0:
            self.assertNotIn("cgroups unavailable", stderr)
            run_cgroup = os.path.join(mount, "tuner", f"run-{pid}")
            self.assertTrue(wait_for(lambda: not os.path.exists(run_cgroup), 5), run_cgroup)

    def test_sigkill_with_a_separate_server(self):
        """`tuner run --server`: the launcher is still `tuner run`; the server lives on."""
        with tempfile.TemporaryDirectory() as tmp:
            serve = subprocess.Popen(
                [TUNER, "serve", "--db", os.path.join(tmp, "serve.db"),
                 "--listen", "127.0.0.1:0"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            try:
                line = serve.stdout.readline()
                self.assertTrue(line.startswith("listening on "), line)
                address = line.split()[-1]
                self.kill_run_mid_study("orphans-server", dict(os.environ), server=address)
                self.assertIsNone(serve.poll())
            finally:
                serve.terminate()
                serve.communicate(timeout=30)

    def test_sigkill_without_cgroups(self):
        env = dict(os.environ, TUNER_CGROUPS="0")
        _, stderr = self.kill_run_mid_study("orphans-no-cgroups", env)
        self.assertEqual(stderr.count("cgroups unavailable (turned off by TUNER_CGROUPS=0)"), 1,
                         stderr)


if __name__ == "__main__":
    unittest.main()
