"""`tuner serve --config FILE` (docs/observability.md): options from a TOML
file, flags that override it, clear errors for a bad file; the server's
/healthz, /readyz and /metrics over a real process; and JSON log lines."""
import json
import os
import signal
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

TUNER = os.environ["TUNER_BIN"]


class ServeConfig(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def serve(self, *args):
        """Starts `tuner serve ARGS`; returns (process, the dashboard's URL)."""
        proc = subprocess.Popen([TUNER, "serve", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is not None or proc.kill())
        url = None
        for _ in range(2):
            line = proc.stdout.readline()
            if line.startswith("dashboard: "):
                url = line.split(" ", 1)[1].strip()
        self.assertIsNotNone(url, proc.stderr.read() if proc.poll() is not None else "")
        return proc, url

    def stop(self, proc):
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0)

    def test_options_come_from_the_file_and_flags_win(self):
        db = os.path.join(self.dir, "from_config.db")
        config = self.write("serve.toml", f"""# a comment
db = "{db}"
listen = "127.0.0.1:0"
http = "127.0.0.1:0"
lease-s = 30
""")
        proc, url = self.serve("--config", config)
        with urllib.request.urlopen(url + "healthz", timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertEqual(r.read(), b"ok\n")
        with urllib.request.urlopen(url + "metrics", timeout=10) as r:
            text = r.read().decode()
        self.assertIn('tuner_http_requests_total{route="healthz",status="200"} 1\n', text)
        self.assertIn("tuner_store_up 1\n", text)
        self.stop(proc)
        self.assertTrue(os.path.exists(db))

        other = os.path.join(self.dir, "from_flag.db")
        proc, url = self.serve("--config", config, "--db", other)
        self.stop(proc)
        self.assertTrue(os.path.exists(other))

    def test_readyz_probes_a_write(self):
        db = os.path.join(self.dir, "ready.db")
        proc, url = self.serve("--db", db, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0")
        with urllib.request.urlopen(url + "readyz", timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertEqual(r.read(), b"ready\n")
        # Another process holds the db's write lock: the probe cannot write
        # (after the store's busy timeout), so the server is not ready.
        import sqlite3
        holder = sqlite3.connect(db, timeout=0)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with self.assertRaises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(url + "readyz", timeout=60)
            self.assertEqual(caught.exception.code, 503)
            body = caught.exception.read().decode()
            self.assertIn("not ready: the store does not take writes", body)
            # Liveness is another matter: reads still work.
            with urllib.request.urlopen(url + "healthz", timeout=30) as r:
                self.assertEqual(r.status, 200)
        finally:
            holder.rollback()
            holder.close()
        with urllib.request.urlopen(url + "readyz", timeout=10) as r:
            self.assertEqual(r.status, 200)
        self.stop(proc)

    def test_log_format_json_from_the_file(self):
        config = self.write("serve.toml", f"""db = "{os.path.join(self.dir, 'json.db')}"
listen = "127.0.0.1:0"
http = "127.0.0.1:0"
log-format = "json"
""")
        proc, _ = self.serve("--config", config)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, stderr)
        lines = [line for line in stderr.splitlines() if line.strip()]
        self.assertTrue(lines, "no log lines")
        records = [json.loads(line) for line in lines]  # every line is one JSON object
        for record in records:
            self.assertEqual(list(record), ["time", "level", "logger", "thread", "message"])
            self.assertRegex(record["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        messages = [r["message"] for r in records]
        self.assertTrue(any(m.startswith("serving ") for m in messages), messages)
        self.assertTrue(any("shutting down" in m for m in messages), messages)
        bad = subprocess.run([TUNER, "serve", "--log-format", "xml"], capture_output=True,
                             text=True, timeout=30)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("--log-format", bad.stderr)

    def test_a_bad_file_is_a_clear_error(self):
        missing = subprocess.run([TUNER, "serve", "--config", os.path.join(self.dir, "nope.toml")],
                                 capture_output=True, text=True, timeout=30)
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("nope.toml", missing.stderr)
        unknown = self.write("unknown.toml", 'listen = "127.0.0.1:0"\nlisen = "x"\n')
        bad = subprocess.run([TUNER, "serve", "--config", unknown], capture_output=True,
                             text=True, timeout=30)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("lisen", bad.stderr)


if __name__ == "__main__":
    unittest.main()
