"""A study lived with as a user does, with real processes: one writer per db
(a second `tuner run` or `tuner serve` on it is refused, naming the first),
one server per port, Ctrl-C that costs no budget, and output piped to `head`
that ends the run cleanly instead of orphaning its trainers."""
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from tests.e2e.study_processes import processes_of_study

TUNER = os.environ["TUNER_BIN"]
HERE = os.path.dirname(os.path.abspath(__file__))


def study_spec(name, max_trials, parallel):
    return {
        "name": name,
        "objective": {"metric": "score", "goal": "maximize"},
        "algorithm": {"name": "random", "seed": 5},
        "max_trials": max_trials,
        "max_parallel_trials": parallel,
        "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
        "trainer": {
            "command": ["/usr/bin/python3", os.path.join(HERE, "crash_trainer.py")],
            "cluster": {"chief": 1, "worker": 1},
        },
    }


class Lifecycle(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name

    def write_study(self, spec):
        path = os.path.join(self.dir, spec["name"] + ".json")
        with open(path, "w") as f:
            json.dump(spec, f)
        return path

    def trials(self, study, db):
        out = subprocess.run([TUNER, "trials", study, "--db", db, "--json"],
                             capture_output=True, text=True, check=True)
        return json.loads(out.stdout)

    def wait_started(self, study, ranks, timeout=60):
        deadline = time.time() + timeout
        while len(processes_of_study(study)) < ranks and time.time() < deadline:
            time.sleep(0.1)
        self.assertGreaterEqual(len(processes_of_study(study)), ranks)

    def wait_no_processes(self, study, timeout=10):
        deadline = time.time() + timeout
        while processes_of_study(study) and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(processes_of_study(study), [])

    def test_second_run_on_the_same_db_is_refused(self):
        study = self.write_study(study_spec("owned", 4, 2))
        db = os.path.join(self.dir, "owned.db")
        args = [TUNER, "run", study, "--db", db, "--json"]
        first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for delay in (0.3, 2.0):
            time.sleep(delay)
            second = subprocess.run(args, capture_output=True, text=True, timeout=60)
            self.assertEqual(second.returncode, 2, second.stderr)
            self.assertIn("in use by another writer", second.stderr)
            self.assertRegex(second.stderr, r"tuner run .*owned\.json, pid %d on " % first.pid)
        out, err = first.communicate(timeout=240)
        self.assertEqual(first.returncode, 0, err)
        self.assertEqual(json.loads(out)["trials"]["completed"], 4)
        states = [t["state"] for t in self.trials("owned", db)]
        self.assertEqual(states, ["COMPLETED"] * 4)  # nothing killed, nothing doubled

    def test_one_server_per_db_and_per_port(self):
        db = os.path.join(self.dir, "served.db")
        serve = subprocess.Popen([TUNER, "serve", "--db", db, "--listen", "127.0.0.1:0"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = serve.stdout.readline()
            port = int(re.search(r":(\d+)", line).group(1))
            same_db = subprocess.run([TUNER, "serve", "--db", db, "--listen", "127.0.0.1:0"],
                                     capture_output=True, text=True, timeout=30)
            self.assertNotEqual(same_db.returncode, 0)
            self.assertIn("tuner serve, pid %d" % serve.pid, same_db.stderr)
            same_port = subprocess.run(
                [TUNER, "serve", "--db", os.path.join(self.dir, "other.db"), "--listen",
                 "127.0.0.1:%d" % port], capture_output=True, text=True, timeout=30)
            self.assertNotEqual(same_port.returncode, 0)
            self.assertIn("cannot listen on 127.0.0.1:%d" % port, same_port.stderr)
            # Readers are never locked out.
            studies = subprocess.run([TUNER, "studies", "--db", db], capture_output=True,
                                     text=True, timeout=30)
            self.assertEqual(studies.returncode, 0, studies.stderr)
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.communicate(timeout=30)

    def test_ctrl_c_costs_no_budget(self):
        study = self.write_study(study_spec("interrupted", 4, 2))
        db = os.path.join(self.dir, "interrupted.db")
        args = [TUNER, "run", study, "--db", db, "--json"]
        run = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_started("interrupted", 4)  # two clusters of two ranks
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=60)
        self.assertEqual(run.returncode, 130, err)
        self.wait_no_processes("interrupted")
        before = self.trials("interrupted", db)
        requeued = [t for t in before if t["state"] == "STALE"]
        self.assertGreaterEqual(len(requeued), 1, before)
        for t in requeued:
            self.assertIn("interrupted", t["reason"])
        self.assertNotIn("STOPPED", [t["state"] for t in before])

        again = subprocess.run(args, capture_output=True, text=True, timeout=240)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(json.loads(again.stdout)["trials"]["completed"], 4)
        after = self.trials("interrupted", db)
        done = [t["parameters"]["x"] for t in after if t["state"] == "COMPLETED"]
        self.assertEqual(len(done), 4)
        self.assertEqual(len(set(done)), 4)
        for t in requeued:  # every interrupted configuration ran to the end
            self.assertIn(t["parameters"]["x"], done)

    def test_output_piped_to_head_ends_the_run_cleanly(self):
        study = self.write_study(study_spec("piped", 4, 2))
        db = os.path.join(self.dir, "piped.db")
        pipeline = subprocess.Popen(
            "%s run %s --db %s | head -n 1" % (TUNER, study, db), shell=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = pipeline.communicate(timeout=240)
        self.assertTrue(out.startswith("study piped"), out + err)
        self.wait_no_processes("piped")
        states = [t["state"] for t in self.trials("piped", db)]
        self.assertNotIn("ACTIVE", states)
        self.assertNotIn("STOPPING", states)

    def test_stop_logs_and_delete(self):
        spec = study_spec("managed", 6, 1)
        spec["trainer"]["command"] = ["/usr/bin/python3", os.path.join(HERE, "lifecycle_trainer.py")]
        spec["trainer"]["env"] = {"STEP_S": "0.5"}
        study = self.write_study(spec)
        db = os.path.join(self.dir, "managed.db")
        run = subprocess.Popen([TUNER, "run", study, "--db", db, "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while time.time() < deadline:  # wait for one trial done and the next one running
            try:
                states = [t["state"] for t in self.trials("managed", db)]
            except subprocess.CalledProcessError:
                states = []  # the run has not created the study yet
            if "COMPLETED" in states and "ACTIVE" in states:
                break
            time.sleep(0.2)
        # The run owns the db: `tuner stop --db` goes through its server.
        stop = subprocess.run([TUNER, "stop", "managed", "--db", db, "--reason", "enough"],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(stop.returncode, 0, stop.stderr)
        out, err = run.communicate(timeout=120)
        self.assertEqual(run.returncode, 0, err)
        self.wait_no_processes("managed")
        trials = self.trials("managed", db)
        self.assertLess(len(trials), 6)  # no new trial after the stop
        stopped = [t for t in trials if t["state"] == "STOPPED"]
        self.assertEqual(len(stopped), 1, trials)
        self.assertEqual(stopped[0]["reason"], "enough")

        logs = subprocess.run([TUNER, "logs", "managed", "1", "--db", db],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(logs.returncode, 0, logs.stderr)
        self.assertIn("==> chief-0.log <==", logs.stdout)
        self.assertIn("rank chief:0 step 6", logs.stdout)
        self.assertIn("rank worker:0 waiting", logs.stdout)
        one = subprocess.run([TUNER, "logs", "managed", "1", "--db", db, "--rank", "worker:0"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(one.stdout, "rank worker:0 waiting\n")

        # The best trial, with all its steps and the command that re-runs it.
        best = json.loads(subprocess.run([TUNER, "best", "managed", "--db", db, "--json"],
                                         capture_output=True, text=True, check=True).stdout)
        self.assertEqual(best["best"]["steps"], 6)
        command = best["best"]["command"]
        self.assertTrue(command.startswith("cd " + self.dir + " && "), command)  # the study's dir
        self.assertIn(" STEP_S=0.5 ", command)  # the study's environment
        self.assertIn("lifecycle_trainer.py --x=", command)
        rerun = subprocess.run([TUNER, "rerun", "managed", str(best["best"]["trial"]), "--db", db],
                               capture_output=True, text=True, timeout=120)
        self.assertEqual(rerun.returncode, 0, rerun.stderr)
        self.assertIn("rank chief:0 step 6 x=%s" % best["best"]["parameters"]["x"], rerun.stdout)
        self.assertIn("tuner_client.report step=6 score=", rerun.stderr)  # printed, not sent
        self.assertIn("not launched by the tuner", rerun.stderr)

        # Deleting asks for --yes off a terminal, then removes study and files.
        trials_dir = os.path.join(self.dir, "tuner_trials", "managed")
        self.assertTrue(os.path.isdir(trials_dir))
        refused = subprocess.run([TUNER, "delete", "managed", "--db", db], capture_output=True,
                                 text=True, timeout=30, stdin=subprocess.DEVNULL)
        self.assertEqual(refused.returncode, 2, refused.stderr)
        deleted = subprocess.run([TUNER, "delete", "managed", "--db", db, "--yes"],
                                 capture_output=True, text=True, timeout=30)
        self.assertEqual(deleted.returncode, 0, deleted.stderr)
        self.assertFalse(os.path.exists(trials_dir))
        gone = subprocess.run([TUNER, "trials", "managed", "--db", db], capture_output=True,
                              text=True, timeout=30)
        self.assertNotEqual(gone.returncode, 0)
        self.assertIn("managed", gone.stderr)

    def test_edited_study_file_applies_as_a_new_spec_version(self):
        spec = study_spec("edited", 3, 1)
        spec["trainer"]["cluster"] = {"chief": 1}
        spec["trainer"]["env"] = {"EDIT_MARK": "one"}
        study = self.write_study(spec)
        db = os.path.join(self.dir, "edited.db")
        args = [TUNER, "run", study, "--db", db, "--json"]
        first = subprocess.run(args, capture_output=True, text=True, timeout=240)
        self.assertEqual(first.returncode, 0, first.stderr)

        # Widen x, add y with a default, change the trainer's env, raise the budget.
        spec["max_trials"] = 6
        spec["parameters"] = [
            {"name": "x", "type": "double", "min": 0, "max": 10},
            {"name": "y", "type": "integer", "min": 1, "max": 3, "default": 2},
        ]
        spec["trainer"]["env"] = {"EDIT_MARK": "two"}
        self.write_study(spec)
        second = subprocess.run(args, capture_output=True, text=True, timeout=240)
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertEqual(json.loads(second.stdout)["trials"]["completed"], 6)
        self.assertIn("study edited edited: spec version 2 (", second.stderr)

        history = subprocess.run([TUNER, "studies", "edited", "--db", db, "--history", "--json"],
                                 capture_output=True, text=True, timeout=30)
        self.assertEqual(history.returncode, 0, history.stderr)
        versions = json.loads(history.stdout)
        self.assertEqual([v["version"] for v in versions], [1, 2])
        self.assertEqual(versions[0]["changes"], ["created"])
        self.assertEqual(sorted(versions[1]["changes"]), [
            "max_trials: 3 -> 6",
            "parameters.x: range widened from [0, 1] to [0, 10]",
            "parameters.y: added (default 2)",
            "trainer.env: changed",
        ])
        self.assertGreaterEqual(versions[1]["time"], versions[0]["time"])
        table = subprocess.run([TUNER, "studies", "edited", "--db", db, "--history"],
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertRegex(table.stdout, r"(?m)^2 +\d{4}-\d\d-\d\d .*parameters\.y: added")

        # Old trials keep what they ran with (no y: the designers take it as 2);
        # new trials have y and the new environment.
        trials = self.trials("edited", db)
        self.assertEqual([t["state"] for t in trials], ["COMPLETED"] * 6)
        for t in trials[:3]:
            self.assertNotIn("y", t["parameters"])
            self.assertLessEqual(t["parameters"]["x"], 1)
            self.assertIn("EDIT_MARK=one", t["command"])
        for t in trials[3:]:
            self.assertIn(t["parameters"]["y"], [1, 2, 3])
            self.assertIn("EDIT_MARK=two", t["command"])
            self.assertIn("--y=%d" % t["parameters"]["y"], t["command"])
        self.assertTrue(any(t["parameters"]["x"] > 1 for t in trials[3:]), trials)

        # An unsafe edit (narrowing x) is refused and changes nothing.
        spec["parameters"][0]["max"] = 5
        self.write_study(spec)
        refused = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("parameters.x: range narrowed from [0, 10] to [0, 5]", refused.stderr)
        self.assertIn("new study name", refused.stderr)
        self.assertEqual(self.trials("edited", db), trials)

    def test_failed_attempts_are_retried_then_requeued_by_hand(self):
        # trainer.max_retries 1: each trial fails once, then succeeds. With
        # max_failed_trials 1 a counted failure would end the study.
        spec = study_spec("flaky", 3, 2)
        spec["max_failed_trials"] = 1
        spec["trainer"]["command"] = ["/usr/bin/python3", os.path.join(HERE, "retry_trainer.py")]
        spec["trainer"]["max_retries"] = 1
        study = self.write_study(spec)
        db = os.path.join(self.dir, "flaky.db")
        run = subprocess.run([TUNER, "run", study, "--db", db], capture_output=True, text=True,
                             timeout=240)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertRegex(run.stdout, r"trial \d+ attempt 1 FAILED, retrying \(attempt 2 of 2\)")
        self.assertIn("failing on purpose (attempt 1)", run.stdout)  # the failed rank's log tail
        trials = self.trials("flaky", db)
        self.assertEqual([t["state"] for t in trials], ["COMPLETED"] * 3)  # exactly max_trials
        for t in trials:
            self.assertEqual(t["attempt"], 2)
            self.assertEqual(len(t["attempts"]), 1)
            first = t["attempts"][0]
            self.assertEqual(first["outcome"], "FAILED")
            self.assertIn("rank chief:0 exited with code 3", first["reason"])
            self.assertEqual(first["reports"], 1)
            self.assertEqual(t["steps"], 2)  # the reports of the attempt that completed
        trial_dir = os.path.join(self.dir, "tuner_trials", "flaky", "trial-1")
        self.assertTrue(os.path.isfile(os.path.join(trial_dir, "logs", "chief-0.log")))
        self.assertTrue(os.path.isfile(os.path.join(trial_dir, "attempt-2", "logs",
                                                    "chief-0.log")))
        logs = subprocess.run([TUNER, "logs", "flaky", "1", "--db", db, "--rank", "chief:0"],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(logs.returncode, 0, logs.stderr)
        self.assertRegex(logs.stdout, r"(?s)=== attempt 1 of 2: FAILED \(rank chief:0 exited "
                         r"with code 3.*\) ===\nattempt 1 x=.*failing on purpose \(attempt 1\)"
                         r".*=== attempt 2 of 2: COMPLETED ===\nattempt 2 x=")
        second = subprocess.run([TUNER, "logs", "flaky", "1", "--db", db, "--attempt", "2",
                                 "--rank", "chief:0"], capture_output=True, text=True, timeout=30)
        self.assertTrue(second.stdout.startswith("=== attempt 2 of 2"), second.stdout)
        self.assertNotIn("attempt 1 x=", second.stdout)

        # No retries left: FAILED; `tuner retry` (through a server here) requeues
        # them and the next run completes them, with no new trial.
        marker = os.path.join(self.dir, "broken")
        open(marker, "w").close()
        spec = study_spec("by-hand", 2, 1)
        spec["trainer"]["command"] = ["/usr/bin/python3", os.path.join(HERE, "retry_trainer.py")]
        spec["trainer"]["env"] = {"RETRY_FAIL_FIRST": "0", "RETRY_FAIL_WHILE": marker}
        study = self.write_study(spec)
        served_db = os.path.join(self.dir, "served.db")
        serve = subprocess.Popen([TUNER, "serve", "--db", served_db, "--listen", "127.0.0.1:0"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            address = re.search(r"(127\.0\.0\.1:\d+)", serve.stdout.readline()).group(1)
            remote = ["--server", address]
            out_dir = ["--output-dir", os.path.join(self.dir, "out")]
            run = subprocess.run([TUNER, "run", study, "--json"] + remote + out_dir,
                                 capture_output=True, text=True, timeout=240)
            self.assertEqual(json.loads(run.stdout)["trials"]["failed"], 2, run.stderr)
            refused = subprocess.run([TUNER, "retry", "by-hand", "7"] + remote,
                                     capture_output=True, text=True, timeout=30)
            self.assertEqual(refused.returncode, 1)
            self.assertIn("trial 7", refused.stderr)
            os.remove(marker)
            retry = subprocess.run([TUNER, "retry", "by-hand", "--json"] + remote,
                                   capture_output=True, text=True, timeout=30)
            self.assertEqual(retry.returncode, 0, retry.stderr)
            self.assertEqual(json.loads(retry.stdout)["requeued"],
                             [{"trial": 1, "attempt": 2}, {"trial": 2, "attempt": 2}])
            run = subprocess.run([TUNER, "run", study, "--json"] + remote + out_dir,
                                 capture_output=True, text=True, timeout=240)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(json.loads(run.stdout)["trials"]["completed"], 2)
            trials = json.loads(subprocess.run(
                [TUNER, "trials", "by-hand", "--json"] + remote, capture_output=True, text=True,
                check=True).stdout)
            self.assertEqual([(t["trial"], t["state"], t["attempt"]) for t in trials],
                             [(1, "COMPLETED", 2), (2, "COMPLETED", 2)])
            self.assertTrue(trials[0]["attempts"][0]["reason"].startswith("requeued by hand: "))
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.communicate(timeout=30)

    def test_db_check_and_backup_while_in_use(self):
        spec = study_spec("kept", 2, 2)
        # Long enough trials that they still run after the backup and checks,
        # however loaded the machine (the delete below must find them running).
        spec["trainer"]["env"] = {"CRASH_TRAINER_STEPS": "60"}
        study = self.write_study(spec)
        db = os.path.join(self.dir, "kept.db")
        run = subprocess.Popen([TUNER, "run", study, "--db", db, "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_started("kept", 2)
        copy = os.path.join(self.dir, "copy.db")
        backup = subprocess.run([TUNER, "db", "backup", db, copy], capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(backup.returncode, 0, backup.stderr)
        check = subprocess.run([TUNER, "db", "check", copy], capture_output=True, text=True,
                               timeout=60)
        self.assertEqual(check.returncode, 0, check.stderr)
        self.assertIn("ok", check.stdout)
        self.assertEqual(self.trials("kept", copy)[0]["parameters"],
                         self.trials("kept", db)[0]["parameters"])
        again = subprocess.run([TUNER, "db", "backup", db, copy], capture_output=True, text=True,
                               timeout=60)
        self.assertNotEqual(again.returncode, 0)  # never over an existing file
        busy = subprocess.run([TUNER, "delete", "kept", "--db", db, "--yes"],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(busy.returncode, 1, busy.stderr)  # its trials run: not deleted
        self.assertIn("running trial", busy.stderr)
        out, err = run.communicate(timeout=120)
        self.assertEqual(run.returncode, 0, err)
        foreign = os.path.join(self.dir, "notes.txt")
        with open(foreign, "w") as f:
            f.write("not a database\n" * 100)
        refused = subprocess.run([TUNER, "db", "check", foreign], capture_output=True,
                                 text=True, timeout=60)
        self.assertEqual(refused.returncode, 2, refused.stdout + refused.stderr)

    def test_db_upgrade_brings_an_older_file_to_this_build(self):
        import fcntl
        import sqlite3
        study = self.write_study(study_spec("old", 2, 1))
        db = os.path.join(self.dir, "old.db")
        subprocess.run([TUNER, "run", study, "--db", db], capture_output=True, text=True,
                       check=True, timeout=120)
        current = subprocess.run([TUNER, "db", "upgrade", db], capture_output=True, text=True,
                                 timeout=60)
        self.assertEqual(current.returncode, 0, current.stderr)
        version = int(re.search(r"schema version (\d+), nothing to upgrade",
                                current.stdout).group(1))
        # The file as a build of schema version 12 left it (migration 13 undone).
        with sqlite3.connect(db) as con:
            con.execute("ALTER TABLE trials DROP COLUMN retry_of")
            con.execute("UPDATE schema_version SET version = 12")
        con.close()
        refused = subprocess.run([TUNER, "trials", "old", "--db", db], capture_output=True,
                                 text=True, timeout=60)
        self.assertEqual(refused.returncode, 1)
        self.assertIn(f"upgrade it with `tuner db upgrade {db}`", refused.stderr)
        # Not while another process holds the writer's lock.
        with open(db + ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            busy = subprocess.run([TUNER, "db", "upgrade", db], capture_output=True, text=True,
                                  timeout=60)
            fcntl.flock(lock, fcntl.LOCK_UN)
        self.assertEqual(busy.returncode, 1, busy.stdout)
        self.assertNotEqual(subprocess.run([TUNER, "trials", "old", "--db", db],
                                           capture_output=True, timeout=60).returncode, 0)
        upgraded = subprocess.run([TUNER, "db", "upgrade", db], capture_output=True, text=True,
                                  timeout=60)
        self.assertEqual(upgraded.returncode, 0, upgraded.stderr)
        self.assertIn(f"upgraded from schema version 12 to {version}",
                      upgraded.stdout)
        self.assertEqual([t["state"] for t in self.trials("old", db)], ["COMPLETED"] * 2)
        missing = os.path.join(self.dir, "missing.db")
        absent = subprocess.run([TUNER, "db", "upgrade", missing], capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(absent.returncode, 1)
        self.assertIn("does not exist", absent.stderr)
        self.assertFalse(os.path.exists(missing))


if __name__ == "__main__":
    unittest.main()
