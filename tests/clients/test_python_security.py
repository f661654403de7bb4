"""The Python client against `tuner serve` with a token file and TLS
(docs/security.md). Certificates are made with the openssl binary.

The server binary comes from $TUNER_BIN (default: <repo>/build/tuner).
"""

import json
import os
import pathlib
import selectors
import signal
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "clients" / "python"))

import tuner_client  # noqa: E402

TUNER_BIN = os.environ.get("TUNER_BIN", str(REPO / "build" / "tuner"))
TOKEN = "py-s3cret"


class SecureServer:
    """`tuner serve` with --token-file, and TLS when `tls`."""

    def __init__(self, tmp, tls):
        tmp = pathlib.Path(tmp)
        self.token_file = tmp / "token.txt"
        self.token_file.write_text(TOKEN + "\n")
        self.cert, key = tmp / "cert.pem", tmp / "key.pem"
        args = [TUNER_BIN, "--log-level", "warn", "serve", "--db", str(tmp / "t.db"),
                "--listen", "127.0.0.1:0", "--token-file", str(self.token_file)]
        if tls:
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                 "-out", str(self.cert), "-subj", "/CN=localhost", "-addext",
                 "subjectAltName=IP:127.0.0.1,DNS:localhost", "-days", "1"],
                check=True, capture_output=True)
            args += ["--tls-cert", str(self.cert), "--tls-key", str(key)]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            line = self.proc.stdout.readline().strip() if sel.select(30) else ""
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"tuner serve did not start: {line!r}")
        self.address = line.split()[-1]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


class SecurityTestBase(unittest.TestCase):
    tls = False

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.server = SecureServer(self._tmp.name, self.tls)
        self.addCleanup(self._tmp.cleanup)
        self.addCleanup(self.server.stop)
        # The environment must not leak into the clients under test.
        patcher = mock.patch.dict(os.environ)
        patcher.start()
        self.addCleanup(patcher.stop)
        for name in ("TUNER_TOKEN", "TUNER_TLS_CA", "TUNER_ENDPOINT"):
            os.environ.pop(name, None)

    def client(self, **kwargs):
        c = tuner_client.Client(self.server.address, timeout=10, **kwargs)
        self.addCleanup(c.close)
        return c


class TokenTest(SecurityTestBase):

    def test_without_token_is_unauthenticated(self):
        with self.assertRaises(tuner_client.UnauthenticatedError):
            self.client().list_studies()

    def test_wrong_token_is_unauthenticated(self):
        with self.assertRaises(tuner_client.UnauthenticatedError):
            self.client(token="wrong").list_studies()

    def test_right_token(self):
        self.assertEqual(self.client(token=TOKEN).list_studies(), [])

    def test_token_from_environment(self):
        os.environ["TUNER_TOKEN"] = TOKEN
        self.assertEqual(self.client().list_studies(), [])


class TlsTest(SecurityTestBase):
    tls = True

    def test_plain_text_to_tls_port_fails(self):
        with self.assertRaises(tuner_client.TunerError) as caught:
            self.client(token=TOKEN, retry_s=0).list_studies()
        self.assertNotIsInstance(caught.exception, tuner_client.UnauthenticatedError)

    def test_tls_with_ca_and_token(self):
        self.assertEqual(self.client(token=TOKEN, ca_file=str(self.server.cert)).list_studies(),
                         [])

    def test_tls_without_token_is_unauthenticated(self):
        with self.assertRaises(tuner_client.UnauthenticatedError):
            self.client(ca_file=str(self.server.cert)).list_studies()

    def test_ca_and_token_from_environment(self):
        os.environ["TUNER_TOKEN"] = TOKEN
        os.environ["TUNER_TLS_CA"] = str(self.server.cert)
        self.assertEqual(self.client().list_studies(), [])


TRAINER = """
import os, tuner_client
token = os.environ["TUNER_TOKEN"]
client = tuner_client.Client()
try:
    client.list_studies()
    verdict = "listed"
except tuner_client.PermissionDeniedError:
    verdict = "denied"
with open(os.path.join(os.environ["TUNER_OUTPUT_DIR"], "verdict.txt"), "w") as f:
    f.write(token.split(":")[1] + " " + verdict)
tuner_client.report(1, loss=0.5)
tuner_client.complete()
"""


class RoleTest(SecurityTestBase):

    def tuner(self, *args):
        return subprocess.run([TUNER_BIN, *args], capture_output=True, text=True, timeout=120)

    def test_launched_trials_get_a_token_for_their_trial_only(self):
        tmp = pathlib.Path(self._tmp.name)
        (tmp / "trainer.py").write_text(TRAINER)
        (tmp / "study.json").write_text(json.dumps({
            "name": "scoped", "objective": {"metric": "loss", "goal": "minimize"},
            "max_trials": 2, "max_parallel_trials": 2,
            "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
            "trainer": {"command": ["/usr/bin/python3", str(tmp / "trainer.py")]}}))
        run = self.tuner("run", str(tmp / "study.json"), "--server", self.server.address,
                         "--token-file", str(self.server.token_file),
                         "--output-dir", str(tmp / "trials"), "--json")
        self.assertEqual(run.returncode, 0, run.stderr)
        verdicts = sorted(p.read_text() for p in (tmp / "trials").rglob("verdict.txt"))
        self.assertEqual(verdicts, ["trial denied", "trial denied"])
        self.assertEqual(json.loads(run.stdout)["trials"]["completed"], 2)

    def test_worker_token_from_tuner_token(self):
        admin = self.client(token=TOKEN)
        admin.create_study({"name": "w", "objective": {"metric": "acc", "goal": "maximize"},
                            "max_trials": 3,
                            "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})
        made = self.tuner("token", "worker", "--study", "w",
                          "--token-file", str(self.server.token_file))
        self.assertEqual(made.returncode, 0, made.stderr)
        worker = self.client(token=made.stdout.strip())
        for trial in worker.trials("w"):
            trial.report(1, acc=trial.parameters["x"])
        self.assertEqual(len(worker.list_trials("w", "COMPLETED")), 3)
        with self.assertRaises(tuner_client.PermissionDeniedError):
            worker.list_studies()
        with self.assertRaises(tuner_client.PermissionDeniedError):
            worker.delete_study("w")
        # Tokens are minted from the admin token only.
        refused = self.tuner("token", "worker", "--study", "w")
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("no admin token", refused.stderr)


if __name__ == "__main__":
    unittest.main()
