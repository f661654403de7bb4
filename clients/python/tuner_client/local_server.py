"""A `tuner serve` child process on loopback, for notebooks, scripts and tests.

    with tuner_client.LocalServer() as server:        # a temporary db
        client = tuner_client.Client(server.address)

The binary is ``tuner_bin``, else ``$TUNER_BIN``, else ``tuner`` on PATH.
"""

import os
import selectors
import shutil
import signal
import subprocess
import tempfile

__all__ = ["LocalServer"]

START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15


def find_tuner(tuner_bin=None):
    """The path of the `tuner` binary; RuntimeError saying how to name it."""
    candidate = tuner_bin or os.environ.get("TUNER_BIN") or shutil.which("tuner")
    if not candidate or not os.access(candidate, os.X_OK):
        raise RuntimeError(
            "no `tuner` binary to start a local server"
            + (f" ({candidate!r} is not executable)" if candidate else "")
            + ": pass tuner_bin=, set $TUNER_BIN, put tuner on PATH, "
              "or give the address of a running `tuner serve`")
    return candidate


class LocalServer:
    """Starts ``tuner serve --db DB --listen 127.0.0.1:0``; ``address`` is
    where it listens. ``db`` None: a file in a temporary directory that stop()
    removes, with the server's log (``log``). stop() (or leaving the ``with``
    block) ends the server."""

    def __init__(self, db=None, *, tuner_bin=None, log_level="warn"):
        binary = find_tuner(tuner_bin)
        self._tmp = tempfile.mkdtemp(prefix="tuner-local-")
        self.db = str(db) if db is not None else os.path.join(self._tmp, "tuner.db")
        self.log = os.path.join(self._tmp, "serve.log")
        with open(self.log, "w") as log:
            self._proc = subprocess.Popen(
                [binary, "--log-level", log_level, "serve", "--db", self.db,
                 "--listen", "127.0.0.1:0"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, text=True)
        line = ""
        with selectors.DefaultSelector() as sel:
            sel.register(self._proc.stdout, selectors.EVENT_READ)
            if sel.select(START_TIMEOUT_S):
                line = self._proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            with open(self.log) as log:
                err = log.read().strip()
            self.stop()
            raise RuntimeError(f"`{binary} serve` did not start: {err or line or 'no output'}")
        self.address = line.split()[-1]

    def stop(self):
        """SIGTERM, then SIGKILL after 15 s; removes the temporary directory."""
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc.stdout.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
