"""End-to-end tests of clients/python (tuner_client) and examples/quickstart
against a real `tuner serve` process.

The server binary comes from $TUNER_BIN (default: <repo>/build/tuner). Each
test gets a fresh SQLite file and a server on 127.0.0.1:0; tearDown stops it.
"""

import contextlib
import hashlib
import io
import json
import math
import os
import pathlib
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import unittest
from unittest import mock

REPO = pathlib.Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "examples" / "quickstart"
sys.path.insert(0, str(REPO / "clients" / "python"))

import grpc  # noqa: E402
import tuner_client  # noqa: E402
from tuner_client.proto import tuner_pb2  # noqa: E402

TUNER_BIN = os.environ.get("TUNER_BIN", str(REPO / "build" / "tuner"))
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15


def child_env(**extra):
    """The environment for Python subprocesses: finds tuner_client."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUNER_")}
    paths = [str(REPO / "clients" / "python")]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra)
    return env


class ServerProcess:
    """A `tuner serve` child process; `address` is where it listens."""

    def __init__(self, db, listen="127.0.0.1:0", log=None):
        self.log = log
        self.proc = subprocess.Popen(
            [TUNER_BIN, "--log-level", "warn", "serve", "--db", str(db), "--listen", listen],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=log if log is not None else subprocess.DEVNULL, text=True)
        line = self._first_line()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"tuner serve did not start (first line {line!r}); see {log.name}"
                               if log is not None else f"tuner serve did not start: {line!r}")
        self.address = line.split()[-1]

    def _first_line(self):
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(START_TIMEOUT_S):
                return ""
        return self.proc.stdout.readline().strip()

    def stop(self):
        """SIGTERM, then SIGKILL if it lingers; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        return self.proc.returncode


def attached_spec(name="s", **overrides):
    """A study with no trainer (ask/tell), maximising `acc`."""
    spec = {
        "name": name,
        "objective": {"metric": "acc", "goal": "maximize"},
        "algorithm": {"name": "random", "seed": 3},
        "max_trials": 10,
        "parameters": [
            {"name": "lr", "type": "double", "min": 0.001, "max": 1.0, "scale": "log"},
            {"name": "units", "type": "integer", "min": 1, "max": 8},
            {"name": "opt", "type": "categorical", "values": ["a", "b"]},
        ],
    }
    spec.update(overrides)
    return spec


class ServerTestCase(unittest.TestCase):
    """Starts a server on a fresh db per test; `self.client` talks to it."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="tuner_py_test_")
        self.addCleanup(tmp.cleanup)
        self.tmp = pathlib.Path(tmp.name)
        self.db = self.tmp / "tuner.db"
        self.server_log = open(self.tmp / "server.log", "a")
        self.addCleanup(self.server_log.close)
        self.server = None
        self.client = None
        self.start_server()
        self.addCleanup(self.stop_server)

    def start_server(self, listen="127.0.0.1:0"):
        self.server = ServerProcess(self.db, listen, self.server_log)
        self.client = tuner_client.Client(self.server.address, client_id="test")
        return self.server

    def stop_server(self):
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.server is not None:
            rc = self.server.stop()
            self.server = None
            return rc

    def tuner(self, *args):
        return subprocess.run([TUNER_BIN, *args], capture_output=True, text=True, timeout=60)


# ---------------------------------------------------------------- studies


class StudyTest(ServerTestCase):

    def test_create_study_from_dict(self):
        study = self.client.create_study(attached_spec("from-dict"))
        self.assertEqual(study.name, "from-dict")
        self.assertEqual(str(study), "from-dict")
        self.assertEqual(study.state, "ACTIVE")
        self.assertGreater(study.create_time, 0)
        self.assertEqual([p["name"] for p in study.spec["parameters"]], ["lr", "units", "opt"])
        again = self.client.get_study("from-dict")
        self.assertEqual(again.spec, study.spec)

    def test_create_study_from_file_text_and_path(self):
        path = self.tmp / "study.json"
        path.write_text(json.dumps(attached_spec("from-file")))
        self.assertEqual(self.client.create_study(path).name, "from-file")
        path.write_text(json.dumps(attached_spec("from-str-path")))
        self.assertEqual(self.client.create_study(str(path)).name, "from-str-path")
        self.assertEqual(self.client.create_study(json.dumps(attached_spec("from-text"))).name,
                         "from-text")
        self.assertEqual(self.client.create_study(QUICKSTART / "study.json").name, "quickstart")
        self.assertEqual(sorted(s.name for s in self.client.list_studies()),
                         ["from-file", "from-str-path", "from-text", "quickstart"])

    def test_duplicate_study_is_already_exists(self):
        self.client.create_study(attached_spec("dup"))
        with self.assertRaises(tuner_client.AlreadyExistsError) as cm:
            self.client.create_study(attached_spec("dup"))
        self.assertEqual(cm.exception.code, grpc.StatusCode.ALREADY_EXISTS)
        self.assertIn("dup", cm.exception.message)
        self.assertIsInstance(cm.exception, tuner_client.TunerError)
        self.assertEqual(self.client.create_study(attached_spec("dup"), exist_ok=True).name, "dup")

    def test_invalid_spec_names_the_field(self):
        spec = attached_spec("bad")
        spec["parameters"][1]["max"] = 0  # below min
        with self.assertRaises(tuner_client.InvalidArgumentError) as cm:
            self.client.create_study(spec)
        self.assertIn("parameters[1]", cm.exception.message)
        with self.assertRaises(tuner_client.InvalidArgumentError):
            self.client.create_study(dict(attached_spec("typo"), max_trails=3))

    def test_delete_study(self):
        self.client.create_study(attached_spec("gone"))
        self.client.suggest("gone")
        self.client.delete_study("gone")
        with self.assertRaises(tuner_client.NotFoundError):
            self.client.get_study("gone")
        with self.assertRaises(tuner_client.NotFoundError):
            self.client.delete_study("gone")

    def test_not_found(self):
        self.client.create_study(attached_spec("here"))
        calls = {
            "get_study": lambda: self.client.get_study("nope"),
            "suggest": lambda: self.client.suggest("nope"),
            "list_trials": lambda: self.client.list_trials("nope"),
            "best_trials": lambda: self.client.best_trials("nope"),
            "get_trial": lambda: self.client.get_trial("here", 999),
            "stop_trial": lambda: self.client.stop_trial("here", 999),
            "complete_trial": lambda: self.client.complete_trial("here", 999, {"acc": 1}),
            "report": lambda: self.client.report_metrics("here", 999, 1, {"acc": 1}),
        }
        for name, call in calls.items():
            with self.subTest(name), self.assertRaises(tuner_client.NotFoundError) as cm:
                call()
            self.assertEqual(cm.exception.code, grpc.StatusCode.NOT_FOUND)
            self.assertIsInstance(cm.exception, LookupError)


# ---------------------------------------------------------------- trials


class TrialTest(ServerTestCase):

    def setUp(self):
        super().setUp()
        self.study = self.client.create_study(attached_spec("t", max_trials=40))

    def test_suggest_is_idempotent_per_client(self):
        first = self.client.suggest("t", 1, client_id="a")
        self.assertEqual(len(first), 1)
        self.assertFalse(first.study_done)
        again = self.client.suggest("t", 1, client_id="a")
        self.assertEqual([t.id for t in again], [first[0].id])
        other = self.client.suggest("t", 1, client_id="b")
        self.assertNotEqual(other[0].id, first[0].id)
        t = first[0]
        self.assertEqual((t.study, t.state, t.client_id), ("t", "ACTIVE", "a"))
        self.assertEqual(t.origin, "random")  # proposed by the study's designer
        self.assertIsInstance(t.parameters["lr"], float)
        self.assertTrue(0.001 <= t.parameters["lr"] <= 1.0)
        self.assertIsInstance(t.parameters["units"], int)
        self.assertIn(t.parameters["opt"], ("a", "b"))
        self.assertEqual(t.metrics, {})

    def test_parallel_clients_get_distinct_trials(self):
        clients, per_client = 8, 2
        barrier = threading.Barrier(clients)
        got, errors = {}, []

        def ask(i):
            try:
                with tuner_client.Client(self.server.address) as c:
                    barrier.wait()
                    got[i] = [t.id for t in c.suggest("t", per_client, client_id=f"w{i}")]
            except Exception as e:
                errors.append(e)

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        ids = [i for batch in got.values() for i in batch]
        self.assertEqual(len(ids), clients * per_client)
        self.assertEqual(len(set(ids)), len(ids))
        for i in range(clients):  # each still gets its own trials back
            self.assertEqual([t.id for t in self.client.suggest("t", per_client, f"w{i}")],
                             got[i])

    def test_report_continue_then_stop(self):
        trial = self.client.suggest("t")[0]
        self.assertFalse(trial.report(1, acc=0.5, loss=2.0))
        self.assertFalse(trial.report(2, {"acc": 0.6, "val-loss": 1.5}))
        self.assertFalse(trial.should_stop)
        stopping = self.client.stop_trial("t", trial.id, "enough")
        self.assertEqual(stopping.state, "STOPPING")
        self.assertTrue(trial.report(3, acc=0.7))
        self.assertTrue(trial.should_stop)
        self.assertEqual(trial.stop_reason, "enough")
        # Set as soon as report() returns True, with no refresh().
        self.assertEqual((trial.state, trial.reason), ("STOPPING", "enough"))
        trial.complete()
        self.assertEqual(trial.state, "STOPPED")
        self.assertEqual(trial.metrics, {"acc": 0.7})
        stored = self.client.get_trial("t", trial.id)
        self.assertEqual([m.step for m in stored.measurements], [1, 2, 3])
        self.assertEqual(stored.measurements[1].metrics, {"acc": 0.6, "val-loss": 1.5})
        self.assertTrue(all(m.elapsed_secs >= 0 for m in stored.measurements))
        elapsed = [m.elapsed_secs for m in stored.measurements]
        self.assertEqual(elapsed, sorted(elapsed))
        self.assertEqual(stored.final_measurement.step, 3)

    def test_heartbeat_renews_and_says_stop(self):
        trial = self.client.suggest("t")[0]
        self.assertFalse(trial.heartbeat())
        self.client.stop_trial("t", trial.id, "from outside")
        self.assertTrue(trial.heartbeat())
        self.assertEqual((trial.stop_reason, trial.reason), ("from outside", "from outside"))
        trial.complete(acc=0.1)
        with self.assertRaises(tuner_client.FailedPreconditionError):
            trial.heartbeat()

    def test_complete_with_metrics_and_with_last_report(self):
        a, b = self.client.suggest("t", 2)
        a.complete(acc=0.9, loss=0.1)
        self.assertEqual(a.state, "COMPLETED")
        self.assertEqual(a.metrics, {"acc": 0.9, "loss": 0.1})
        b.report(1, acc=0.3)
        b.report(2, acc=0.4)
        b.complete()
        self.assertEqual(b.state, "COMPLETED")
        self.assertEqual(b.metrics, {"acc": 0.4})
        self.assertEqual(self.client.get_trial("t", b.id).metrics, {"acc": 0.4})
        self.assertGreaterEqual(b.end_time, b.create_time)

    def test_infeasible_and_fail(self):
        a, b = self.client.suggest("t", 2)
        a.infeasible("diverged at step 0")
        self.assertEqual((a.state, a.reason), ("INFEASIBLE", "diverged at step 0"))
        b.fail("out of memory")
        self.assertEqual((b.state, b.reason), ("FAILED", "out of memory"))
        self.assertEqual(self.client.get_trial("t", b.id).state, "FAILED")

    def test_finished_trial_is_immutable(self):
        done, running = self.client.suggest("t", 2)
        done.complete(acc=0.5)
        for name, call in {
            "report": lambda: done.report(5, acc=0.1),
            "complete": lambda: done.complete(acc=0.1),
            "infeasible": lambda: done.infeasible("x"),
            "fail": lambda: done.fail("x"),
            "stop": lambda: self.client.stop_trial("t", done.id),
        }.items():
            with self.subTest(name), self.assertRaises(tuner_client.FailedPreconditionError) as cm:
                call()
            self.assertEqual(cm.exception.code, grpc.StatusCode.FAILED_PRECONDITION)
        # The report stream recovers from the error above.
        self.assertFalse(running.report(1, acc=0.2))
        self.assertEqual(self.client.get_trial("t", done.id).metrics, {"acc": 0.5})

    def test_complete_without_any_report_is_failed_precondition(self):
        trial = self.client.suggest("t")[0]
        with self.assertRaises(tuner_client.FailedPreconditionError):
            trial.complete()

    def test_invalid_arguments(self):
        trial = self.client.suggest("t")[0]
        cases = {
            "report nan": lambda: trial.report(1, acc=math.nan),
            "report inf": lambda: trial.report(1, acc=math.inf),
            "report -inf": lambda: trial.report(1, loss=-math.inf),
            "report negative step": lambda: trial.report(-1, acc=0.1),
            "report no metrics": lambda: trial.report(1),
            "complete nan": lambda: trial.complete(acc=math.nan),
            "complete without objective": lambda: trial.complete(loss=0.3),
            "empty client_id": lambda: self.client.suggest("t", 1, client_id=""),
            "count 0": lambda: self.client.suggest("t", 0),
            "lr above max": lambda: self.client.create_trial(
                "t", {"lr": 5.0, "units": 2, "opt": "a"}),
            "units below min": lambda: self.client.create_trial(
                "t", {"lr": 0.1, "units": 0, "opt": "a"}),
            "units as str": lambda: self.client.create_trial(
                "t", {"lr": 0.1, "units": "three", "opt": "a"}),
            "units fractional": lambda: self.client.create_trial(
                "t", {"lr": 0.1, "units": 2.5, "opt": "a"}),
            "lr as str": lambda: self.client.create_trial(
                "t", {"lr": "fast", "units": 2, "opt": "a"}),
            "opt not a value": lambda: self.client.create_trial(
                "t", {"lr": 0.1, "units": 2, "opt": "c"}),
            "unknown parameter": lambda: self.client.create_trial(
                "t", {"lr": 0.1, "units": 2, "opt": "a", "extra": 1}),
            "missing parameter": lambda: self.client.create_trial("t", {"lr": 0.1, "opt": "a"}),
        }
        for name, call in cases.items():
            with self.subTest(name), self.assertRaises(tuner_client.InvalidArgumentError) as cm:
                call()
            self.assertEqual(cm.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
            self.assertTrue(cm.exception.message)
        # None of that touched the trial.
        stored = self.client.get_trial("t", trial.id)
        self.assertEqual((stored.state, stored.measurements), ("ACTIVE", []))
        with self.assertRaises(TypeError):
            trial.report(1, acc="high")

    def test_artifacts_checkpoints_and_retention(self):
        trial = self.client.suggest("t", 1, client_id="a")[0]
        out = self.tmp / "out"
        (out / "ckpt").mkdir(parents=True)
        model = out / "model.bin"
        model.write_bytes(b"m")
        outside = self.tmp / "outside.txt"
        outside.write_text("x")
        launched = {"TUNER_OUTPUT_DIR": str(out), "TUNER_TASK_TYPE": "worker",
                    "TUNER_TASK_INDEX": "1"}
        with mock.patch.dict(os.environ, launched):
            for step in (1, 2, 3):
                d = out / "ckpt" / str(step)
                d.mkdir()
                (d / "w").write_bytes(bytes([step]) * 10)
                trial.save_checkpoint(d, step)
            trial.log_artifact(model, kind="model")
            trial.log_artifact(outside, kind="preprocessing")
            with self.assertRaises(FileNotFoundError):
                trial.log_artifact(out / "nope")
            with self.assertRaises(ValueError):
                trial.log_artifact(model, kind="checkpoint")
            with self.assertRaises(ValueError):
                trial.save_checkpoint(model, -1)
        # keep_checkpoints defaults to 2: step 1 is removed, on disk and in its record.
        self.assertFalse((out / "ckpt" / "1").exists())
        self.assertTrue((out / "ckpt" / "2" / "w").exists())
        records = {a.path: a for a in self.client.list_artifacts("t", trial.id)}
        self.assertTrue(records["ckpt/1/w"].removed)
        self.assertFalse(records["ckpt/3/w"].removed)
        self.assertEqual((records["ckpt/3/w"].step, records["ckpt/3/w"].checkpoint),
                         (3, "ckpt/3"))
        self.assertEqual(records["model.bin"].kind, "model")
        self.assertEqual(records["model.bin"].rank, "worker-1")
        self.assertEqual(records["model.bin"].sha256, hashlib.sha256(b"m").hexdigest())
        self.assertEqual(records["model.bin"].attempt, 1)
        self.assertEqual(records[str(outside.resolve())].kind, "preprocessing")  # absolute

        # The runner's TUNER_RESTORE_FROM, when it exists; else absolute records only.
        self.assertIsNone(trial.latest_checkpoint())
        with mock.patch.dict(os.environ, {"TUNER_RESTORE_FROM": str(out / "ckpt" / "3")}):
            self.assertEqual(trial.latest_checkpoint(), str(out / "ckpt" / "3"))
        ask_tell = self.tmp / "ck9"
        ask_tell.mkdir()
        (ask_tell / "w").write_bytes(b"9")
        trial.save_checkpoint(ask_tell, 9)
        self.assertEqual(trial.latest_checkpoint(), str(ask_tell.resolve()))
        with self.assertRaises(tuner_client.NotFoundError):
            self.client.list_artifacts("t", 999)

    def test_a_retry_of_an_interrupted_trial_gets_its_checkpoint(self):
        trial = self.client.suggest("t", 1, client_id="a")[0]
        ckpt = self.tmp / "ck4"
        ckpt.mkdir()
        (ckpt / "w").write_bytes(b"4")
        trial.save_checkpoint(ckpt, 4)
        # The run that launched it was interrupted: STALE, and offered again.
        self.client._call("CompleteTrial", tuner_client.client.pb.CompleteTrialRequest(
            study="t", trial_id=trial.id, interrupted_reason="interrupted: test"))
        self.assertEqual(self.client.get_trial("t", trial.id).state, "STALE")
        retry = self.client.suggest("t", 1, client_id="b")[0]
        self.assertEqual((retry.origin, retry.retry_of, retry.parameters),
                         ("retry", trial.id, trial.parameters))
        self.assertEqual(retry.latest_checkpoint(), str(ckpt.resolve()))
        # The retry is interrupted too, before a checkpoint of its own: the
        # next retry goes back to the first trial's.
        self.client._call("CompleteTrial", tuner_client.client.pb.CompleteTrialRequest(
            study="t", trial_id=retry.id, interrupted_reason="interrupted: test"))
        again = self.client.suggest("t", 1, client_id="b")[0]
        self.assertEqual((again.origin, again.retry_of), ("retry", retry.id))
        self.assertEqual(again.latest_checkpoint(), str(ckpt.resolve()))
        # A trial of the designer does not look at STALE ones.
        other = self.client.suggest("t", 1, client_id="c")[0]
        self.assertEqual((other.origin == "retry", other.retry_of), (False, 0))
        self.assertIsNone(other.latest_checkpoint())

    def test_create_trial(self):
        # An int for a double parameter and an integral float for an integer
        # parameter are converted to the parameter's type.
        trial = self.client.create_trial("t", {"lr": 1, "units": 3.0, "opt": "b"}, client_id="me")
        self.assertEqual(trial.parameters, {"lr": 1.0, "opt": "b", "units": 3})
        self.assertIsInstance(trial.parameters["lr"], float)
        self.assertEqual((trial.state, trial.client_id), ("ACTIVE", "me"))
        trial.complete(acc=0.25)
        self.assertEqual(self.client.get_trial("t", trial.id).parameters, trial.parameters)

    def test_values_arrive_typed(self):
        # integer -> int; discrete -> int when every value is a whole number,
        # else float; double -> float; categorical -> str.
        self.client.create_study(attached_spec("typed", parameters=[
            {"name": "lr", "type": "double", "min": 1, "max": 2},
            {"name": "layers", "type": "integer", "min": 1, "max": 3},
            {"name": "units", "type": "discrete", "values": [32, 64.0, 128]},
            {"name": "dropout", "type": "discrete", "values": [0, 0.5]},
            {"name": "opt", "type": "categorical", "values": ["a", "b"]},
        ]))
        types = {"lr": float, "layers": int, "units": int, "dropout": float, "opt": str}
        suggested = self.client.suggest("typed", 3)
        made = self.client.create_trial("typed", {"lr": 1, "layers": 2.0, "units": 64.0,
                                                  "dropout": 0, "opt": "a"})
        self.assertEqual(made.parameters, {"lr": 1.0, "layers": 2, "units": 64,
                                           "dropout": 0.0, "opt": "a"})
        for trial in [*suggested, made, *self.client.list_trials("typed")]:
            self.assertEqual({k: type(v) for k, v in trial.parameters.items()}, types, trial)
        listed = self.tuner("trials", "typed", "--server", self.server.address, "--json")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        for row in json.loads(listed.stdout):
            self.assertEqual({k: type(v) for k, v in row["parameters"].items()}, types, row)

    def test_list_trials_pages_and_states(self):
        trials = [self.client.create_trial("t", {"lr": 0.01 * (i + 1), "units": 1, "opt": "a"})
                  for i in range(7)]
        for t in trials[:3]:
            t.complete(acc=t.parameters["lr"])
        trials[3].fail("boom")
        trials[4].stop("no")
        ids = [t.id for t in trials]
        for page_size in (0, 1, 2, 3, 7, 100):
            with self.subTest(page_size=page_size):
                self.assertEqual([t.id for t in self.client.list_trials("t", page_size=page_size)],
                                 ids)
        one_page = self.client._stub.ListTrials(tuner_pb2.ListTrialsRequest(study="t", page_size=2))
        self.assertEqual(len(one_page.trials), 2)
        self.assertTrue(one_page.next_page_token)
        by_state = lambda states: [t.id for t in self.client.list_trials("t", states, page_size=2)]
        self.assertEqual(by_state("COMPLETED"), ids[:3])
        self.assertEqual(by_state(["COMPLETED", "FAILED"]), ids[:4])
        self.assertEqual(by_state(["STOPPING"]), ids[4:5])
        self.assertEqual(by_state("ACTIVE"), ids[5:])
        self.assertEqual(by_state(["INFEASIBLE"]), [])
        self.assertEqual(self.client.list_trials("t", "COMPLETED")[0].metrics, {"acc": 0.01})

    def test_best_trials(self):
        self.assertEqual(self.client.best_trials("t"), [])
        trials = [self.client.create_trial("t", {"lr": 0.1, "units": u, "opt": "a"})
                  for u in (1, 2, 3, 4)]
        for t, acc in zip(trials, (0.5, 0.8, 0.8, 0.9)):
            if acc == 0.9:
                t.fail("crashed")  # failed trials never count
            else:
                t.complete(acc=acc)
        best = self.client.best_trials("t")
        self.assertEqual([t.id for t in best], [trials[1].id])  # ties: lowest id
        self.assertEqual(best[0].metrics, {"acc": 0.8})
        self.client.create_study(attached_spec(
            "low", objective={"metric": "loss", "goal": "minimize"}))
        for loss in (0.3, 0.1, 0.2):
            self.client.create_trial("low", {"lr": 0.1, "units": 1, "opt": "a"}).complete(
                loss=loss)
        self.assertEqual(self.client.best_trials("low")[0].metrics, {"loss": 0.1})


# ---------------------------------------------------------------- ask/tell


class AskTellTest(ServerTestCase):

    @staticmethod
    def score(params):
        return -abs(math.log10(params["lr"]) + 1.5) + 0.01 * params["units"]

    def test_generator_finishes_the_study(self):
        self.client.create_study(attached_spec("loop", max_trials=5))
        seen = []
        for trial in self.client.trials("loop"):
            seen.append(trial.id)
            for step in range(3):
                self.assertFalse(trial.report(step, acc=self.score(trial.parameters) - 1 + step))
            trial.complete(acc=self.score(trial.parameters))
        self.assertEqual(len(seen), 5)
        self.assertEqual(len(set(seen)), 5)
        self.assertEqual(self.client.get_study("loop").state, "COMPLETED")
        trials = self.client.list_trials("loop")
        self.assertEqual([t.state for t in trials], ["COMPLETED"] * 5)
        self.assertTrue(all(len(t.measurements) == 3 for t in trials))
        self.assertTrue(self.client.suggest("loop", client_id="late").study_done)
        self.assertEqual(list(self.client.trials("loop")), [])

    def test_generator_ends_trials_the_body_left_running(self):
        self.client.create_study(attached_spec("lazy", max_trials=4))
        for i, trial in enumerate(self.client.trials("lazy", count=2)):
            if i % 2 == 0:
                trial.report(1, acc=0.5)  # not completed: completed with this report
        states = [t.state for t in self.client.list_trials("lazy")]
        self.assertEqual(states.count("COMPLETED"), 4)
        self.assertEqual(states.count("FAILED"), len(states) - 4)

    def test_parallel_workers_share_the_budget(self):
        self.client.create_study(attached_spec("par", max_trials=9))
        done, errors = {}, []

        def work(i):
            try:
                with tuner_client.Client(self.server.address, client_id=f"w{i}") as c:
                    done[i] = []
                    for trial in c.trials("par"):
                        trial.report(1, acc=self.score(trial.parameters))
                        trial.complete()
                        done[i].append(trial.id)
            except Exception as e:
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        ids = sorted(i for batch in done.values() for i in batch)
        self.assertEqual(len(ids), 9)
        self.assertEqual(len(set(ids)), 9)
        self.assertEqual(self.client.get_study("par").state, "COMPLETED")


# ---------------------------------------------------------------- trainer side


class TrainerEnvironmentTest(ServerTestCase):

    def test_current_trial_from_environment(self):
        self.client.create_study(attached_spec("env"))
        suggested = self.client.suggest("env")[0]
        env = {"TUNER_ENDPOINT": self.server.address, "TUNER_STUDY": "env",
               "TUNER_TRIAL_ID": str(suggested.id),
               "TUNER_PARAMS": json.dumps(suggested.parameters)}
        with mock.patch.dict(os.environ, env):
            trial = tuner_client.current_trial()
            self.addCleanup(trial.client.close)
            self.assertIs(tuner_client.current_trial(), trial)
            self.assertEqual((trial.study, trial.id), ("env", suggested.id))
            self.assertEqual(trial.parameters, suggested.parameters)
            self.assertEqual(tuner_client.parameters(), suggested.parameters)
            self.assertFalse(tuner_client.report(1, acc=0.25))
            self.assertFalse(tuner_client.report(2, acc=0.5))
            tuner_client.complete()
            self.assertEqual(trial.state, "COMPLETED")
        stored = self.client.get_trial("env", suggested.id)
        self.assertEqual(stored.metrics, {"acc": 0.5})
        self.assertEqual(len(stored.measurements), 2)

    def test_current_trial_needs_the_environment(self):
        with mock.patch.dict(os.environ, {"TUNER_TRIAL_ID": ""}):
            with self.assertRaises(RuntimeError):
                tuner_client.current_trial()

    def test_report_and_complete_by_hand_print_and_continue(self):
        # A trainer started by hand (the command `tuner best` prints) runs as
        # under the tuner: its reports are printed, and it is told to go on.
        err = io.StringIO()
        with mock.patch.dict(os.environ, {"TUNER_ENDPOINT": "", "TUNER_STUDY": "",
                                          "TUNER_TRIAL_ID": ""}):
            with contextlib.redirect_stderr(err):
                self.assertFalse(tuner_client.report(3, {"acc": 0.5}, loss=0.25))
                self.assertIsNone(tuner_client.complete(acc=0.75))
        self.assertIn("step=3 acc=0.5 loss=0.25", err.getvalue())
        self.assertIn("complete acc=0.75", err.getvalue())

    def test_parameters_from_argv(self):
        with mock.patch.dict(os.environ, {"TUNER_PARAMS": ""}):
            params = tuner_client.parameters(
                ["--lr=0.5", "--units=3", "--opt=momentum", "--flag", "positional"])
        self.assertEqual(params, {"lr": 0.5, "units": 3, "opt": "momentum"})
        self.assertIsInstance(params["units"], int)

    def test_quickstart_trainer_launched_like_the_service(self):
        self.client.create_study(QUICKSTART / "study.json")
        trial = self.client.suggest("quickstart")[0]
        args = [f"--{k}={v}" for k, v in trial.parameters.items()]
        env = child_env(TUNER_ENDPOINT=self.server.address, TUNER_STUDY="quickstart",
                        TUNER_TRIAL_ID=str(trial.id), TUNER_PARAMS=json.dumps(trial.parameters))
        run = subprocess.run([sys.executable, "train.py", *args], cwd=QUICKSTART, env=env,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        stored = self.client.get_trial("quickstart", trial.id)
        self.assertEqual(stored.state, "COMPLETED")
        self.assertEqual(len(stored.measurements), trial.parameters["epochs"])
        self.assertEqual(set(stored.metrics), {"val_accuracy", "loss"})
        self.assertEqual(json.loads(run.stdout.splitlines()[-1]), stored.metrics)

    def test_quickstart_trainer_stops_when_told(self):
        self.client.create_study(QUICKSTART / "study.json")
        trial = self.client.suggest("quickstart")[0]
        self.client.stop_trial("quickstart", trial.id, "median rule")
        env = child_env(TUNER_ENDPOINT=self.server.address, TUNER_STUDY="quickstart",
                        TUNER_TRIAL_ID=str(trial.id), TUNER_PARAMS=json.dumps(trial.parameters))
        run = subprocess.run([sys.executable, "train.py"], cwd=QUICKSTART, env=env,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        stored = self.client.get_trial("quickstart", trial.id)
        self.assertEqual(stored.state, "STOPPED")
        self.assertEqual(len(stored.measurements), 1)


# ---------------------------------------------------------------- restart


class RestartTest(ServerTestCase):

    def snapshot(self):
        studies = {s.name: (s.spec, s.state) for s in self.client.list_studies()}
        trials = {}
        for name in studies:
            for t in self.client.list_trials(name):
                full = self.client.get_trial(name, t.id)
                trials[(name, t.id)] = (full.state, full.parameters, full.measurements,
                                        full.final_measurement, full.reason, full.client_id)
        return studies, trials

    def test_restart_keeps_everything(self):
        self.client.create_study(attached_spec("r1", max_trials=3))
        self.client.create_study(attached_spec("r2", max_trials=2))
        done, stopping, failed, infeasible, active = self.client.suggest("r1", 3, "c1") + \
            self.client.suggest("r2", 2, "c2")
        done.report(1, acc=0.1)
        done.report(2, acc=0.2, loss=1.5)
        done.complete()
        stopping.report(1, acc=0.3)
        stopping.stop("told to")
        failed.fail("oom")
        infeasible.infeasible("nan loss")
        active.report(7, acc=0.7)
        before = self.snapshot()
        self.assertEqual(len(before[1]), 5)

        self.assertEqual(self.stop_server(), 0)
        self.start_server()
        self.assertEqual(self.snapshot(), before)

        # Running trials keep running: the same client gets its trial back,
        # a stopping trial is still told to stop, and both can complete.
        again = self.client.suggest("r2", 2, "c2")
        self.assertEqual([t.id for t in again], [active.id])
        self.assertFalse(again[0].report(8, acc=0.8))
        again[0].complete()
        self.assertEqual(self.client.get_study("r2").state, "COMPLETED")
        self.assertTrue(self.client.report_metrics("r1", stopping.id, 2, {"acc": 0.4})[0])
        self.assertEqual(self.client.complete_trial("r1", stopping.id).state, "STOPPED")
        self.assertEqual(self.client.get_study("r1").state, "ACTIVE")  # 2 of 3 done
        self.assertEqual([t.id for t in self.client.best_trials("r1")], [done.id])

    def test_killed_server_restarted_on_the_same_address(self):
        """kill -9 of the server while a trial streams; the documented loop
        continues once a new server listens on the same address, and each
        report is stored once."""
        self.client.create_study(attached_spec("k", max_trials=1))
        trial = self.client.suggest("k")[0]
        self.assertFalse(trial.report(1, acc=0.1))
        address = self.server.address
        self.server.proc.kill()
        self.server.stop()
        restarted = []
        timer = threading.Timer(0.7, lambda: restarted.append(
            ServerProcess(self.db, address, self.server_log)))
        timer.start()
        try:
            with contextlib.redirect_stderr(io.StringIO()) as err:
                self.assertFalse(trial.report(2, acc=0.2))  # waits for the new server
            timer.join()
            self.server = restarted[0]
            self.assertIn(f"server {address} unreachable", err.getvalue())
            self.assertFalse(trial.report(3, acc=0.3))
            trial.complete()
        finally:
            timer.join()
            if restarted:
                self.server = restarted[0]
        stored = self.client.get_trial("k", trial.id)
        self.assertEqual([m.step for m in stored.measurements], [1, 2, 3])
        self.assertEqual(stored.metrics, {"acc": 0.3})

    def test_retries_give_up_after_retry_s_naming_the_server(self):
        address = self.server.address
        self.stop_server()
        client = tuner_client.Client(address, retry_s=0.3)
        self.addCleanup(client.close)
        with contextlib.redirect_stderr(io.StringIO()):
            with self.assertRaises(tuner_client.UnavailableError) as caught:
                client.list_studies()
        self.assertIn(f"server {address} unreachable for 0 s", str(caught.exception))
        # Per call: a block that may wait longer, or not at all.
        patient = tuner_client.Client(address, retry_s=0)
        self.addCleanup(patient.close)
        with contextlib.redirect_stderr(io.StringIO()) as err:
            with patient.retry_for(0.5), self.assertRaises(tuner_client.UnavailableError) as c2:
                patient.list_studies()
        self.assertIn("retrying for up to 0 s", err.getvalue())  # 0.5 s, printed as 0
        self.assertIn("unreachable for", str(c2.exception))
        with self.assertRaises(tuner_client.UnavailableError) as c3:
            patient.list_studies()  # back to retry_s = 0: no retry, the plain error
        self.assertNotIn("unreachable for", str(c3.exception))
        with mock.patch.dict(os.environ, {"TUNER_RETRY_S": "soon"}):
            with self.assertRaisesRegex(ValueError, "TUNER_RETRY_S"):
                tuner_client.Client(address)

    def test_trial_ended_meanwhile_says_stop_with_its_state(self):
        self.client.create_study(attached_spec("e", max_trials=2))
        trial = self.client.suggest("e")[0]
        trial.report(1, acc=0.1)
        # Another party ends it (as a lease expiring during an outage would).
        self.client.complete_trial("e", trial.id, failure_message="expired")
        self.assertTrue(trial.report(2, acc=0.2))
        self.assertEqual(trial.state, "FAILED")
        self.assertIn("FAILED: expired", trial.stop_reason)
        self.assertIs(trial.complete(), trial)  # nothing more to do, no error


# ---------------------------------------------------------------- quickstart


class QuickstartTest(ServerTestCase):

    def test_study_file_validates(self):
        run = self.tuner("validate", str(QUICKSTART / "study.json"))
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)

    def test_ask_tell_script_runs_the_study(self):
        run = subprocess.run(
            [sys.executable, str(QUICKSTART / "ask_tell.py"), "--endpoint", self.server.address,
             "--workers", "3", "--max-trials", "6", "--json"],
            env=child_env(), capture_output=True, text=True, timeout=240)
        self.assertEqual(run.returncode, 0, run.stderr)
        reported = json.loads(run.stdout)
        trials = self.client.list_trials("quickstart")
        self.assertEqual([t.state for t in trials].count("COMPLETED"), 6)
        self.assertEqual(self.client.get_study("quickstart").state, "COMPLETED")
        for t in trials:
            self.assertEqual(len(t.measurements), t.parameters["epochs"])
        self.assertLessEqual(len({t.client_id for t in trials}), 3)

        best = self.tuner("best", "quickstart", "--server", self.server.address, "--json")
        self.assertEqual(best.returncode, 0, best.stderr)
        cli = json.loads(best.stdout)["best"]
        self.assertEqual(reported["best"]["trial"], cli["trial"])
        self.assertEqual(reported["best"]["metrics"]["val_accuracy"],
                         cli["metrics"]["val_accuracy"])
        self.assertEqual(set(reported["best"]["parameters"]), set(cli["parameters"]))
        for name, value in cli["parameters"].items():
            if isinstance(value, float):
                self.assertAlmostEqual(reported["best"]["parameters"][name], value, places=12)
            else:
                self.assertEqual(reported["best"]["parameters"][name], value)

        # Running it again reuses the finished study and reports the same best.
        rerun = subprocess.run(
            [sys.executable, str(QUICKSTART / "ask_tell.py"), "--endpoint", self.server.address,
             "--json"], env=child_env(), capture_output=True, text=True, timeout=120)
        self.assertEqual(rerun.returncode, 0, rerun.stderr)
        self.assertEqual(json.loads(rerun.stdout)["best"]["trial"], cli["trial"])


if __name__ == "__main__":
    unittest.main()
