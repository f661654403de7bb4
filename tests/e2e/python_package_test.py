"""`pip install clients/python` works with no build tree.

A copy of clients/python is installed into a fresh venv (made with
--system-site-packages, so Debian's grpcio and protobuf satisfy its
dependencies, offline: --no-index --no-build-isolation); then a script run by
the venv's python from a scratch directory, with no PYTHONPATH, imports the
installed tuner_client and runs the README's ask/tell loop against a `tuner
serve`. The server binary comes from $TUNER_BIN.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

REPO = pathlib.Path(__file__).resolve().parents[2]
TUNER_BIN = os.environ.get("TUNER_BIN", str(REPO / "build" / "tuner"))

ASK_TELL = textwrap.dedent('''
    import json, sys
    import tuner_client

    client = tuner_client.Client(sys.argv[1])
    client.create_study({
        "name": "pkg", "objective": {"metric": "acc", "goal": "maximize"},
        "algorithm": {"name": "random", "seed": 4}, "max_trials": 4,
        "parameters": [
            {"name": "lr", "type": "double", "min": 0.001, "max": 1, "scale": "log"},
            {"name": "epochs", "type": "integer", "min": 1, "max": 3},
            {"name": "units", "type": "discrete", "values": [32, 64]},
        ]}, exist_ok=True)
    seen = []
    for trial in client.trials("pkg"):
        p = trial.parameters
        seen.append({k: type(v).__name__ for k, v in p.items()})
        for epoch in range(1, p["epochs"] + 1):
            if trial.report(epoch, acc=epoch * p["lr"]):
                break
        trial.complete()
    best, = client.best_trials("pkg")
    # The integrations are installed, and importing the client loads none of
    # their frameworks.
    frameworks = sorted(m for m in ("xgboost", "torch", "sklearn") if m in sys.modules)
    import tuner_client.integrations.torch
    print(json.dumps({"client": tuner_client.__file__, "types": seen, "best": best.id,
                      "metrics": best.metrics, "frameworks": frameworks,
                      "integrations": tuner_client.integrations.torch.__file__}))
''')


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUNER_")}
    env.pop("PYTHONPATH", None)
    return env


class PythonPackageTest(unittest.TestCase):

    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="tuner_pkg_"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def run_ok(self, *args, **kwargs):
        run = subprocess.run(args, capture_output=True, text=True, env=clean_env(),
                             timeout=240, **kwargs)
        self.assertEqual(run.returncode, 0, f"{args}\n{run.stdout}\n{run.stderr}")
        return run

    def test_pip_install_into_a_venv_then_ask_tell(self):
        # A copy: pip builds in the source directory (build/, *.egg-info).
        source = self.tmp / "src"
        shutil.copytree(REPO / "clients" / "python", source,
                        ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
        venv = self.tmp / "venv"
        self.run_ok("/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv))
        python = str(venv / "bin" / "python")
        self.run_ok(python, "-m", "pip", "install", "--no-index", "--no-build-isolation",
                    "--disable-pip-version-check", str(source))
        shutil.rmtree(source)  # nothing may come from the copy any more

        server = subprocess.Popen(
            [TUNER_BIN, "--log-level", "warn", "serve", "--db", str(self.tmp / "t.db"),
             "--listen", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, env=clean_env())
        self.addCleanup(server.stdout.close)
        self.addCleanup(server.wait, 30)
        self.addCleanup(server.terminate)
        line = server.stdout.readline().strip()
        self.assertTrue(line.startswith("listening on "), line)
        address = line.split()[-1]

        work = self.tmp / "work"
        work.mkdir()
        (work / "ask_tell.py").write_text(ASK_TELL)
        run = self.run_ok(python, "ask_tell.py", address, cwd=work)
        result = json.loads(run.stdout.splitlines()[-1])
        self.assertTrue(result["client"].startswith(str(venv)), result["client"])
        self.assertEqual(len(result["types"]), 4)
        for types in result["types"]:
            self.assertEqual(types, {"lr": "float", "epochs": "int", "units": "int"})
        self.assertIn("acc", result["metrics"])
        self.assertEqual(result["frameworks"], [])
        self.assertTrue(result["integrations"].startswith(str(venv)), result["integrations"])
        # pip knows it, with the version of the project.
        show = self.run_ok(python, "-m", "pip", "show", "tuner-client")
        self.assertIn("Name: tuner-client", show.stdout)


if __name__ == "__main__":
    unittest.main()
