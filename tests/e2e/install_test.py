"""The install works outside the checkout.

`cmake --install` into a scratch prefix, and the .deb that `cpack -G DEB`
builds unpacked with `dpkg -x`: each copy runs `tuner --version`, `tuner
validate` and a short `tuner run` from a directory outside the source tree,
with no PYTHONPATH, and its trainer must import the *installed* Python client
(with its generated stubs); its dashboard must serve the installed files.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request

BUILD = os.environ["TUNER_BUILD_DIR"]
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TRAINER = r'''
import os, sys
import tuner_client
out = os.environ["TUNER_OUTPUT_DIR"]
with open(os.path.join(out, "client_path"), "w") as f:
    f.write(os.path.abspath(tuner_client.__file__))
x = float([a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--x=")][0])
tuner_client.report(1, {"score": x / 2})
tuner_client.complete({"score": x})
'''

STUDY = {
    "name": "installed",
    "objective": {"metric": "score", "goal": "maximize"},
    "algorithm": {"name": "random", "seed": 3},
    "max_trials": 2,
    "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
    "trainer": {"command": ["/usr/bin/python3", "train.py"]},
}


def clean_env():
    env = dict(os.environ)
    for name in ("PYTHONPATH", "TUNER_DATA_DIR", "TUNER_DASHBOARD_DIR"):
        env.pop(name, None)
    return env


class InstallTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tuner_install_")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def check_copy(self, tuner, prefix):
        env = clean_env()
        version = subprocess.run([tuner, "--version"], capture_output=True, text=True, env=env)
        self.assertEqual(version.returncode, 0, version.stderr)
        self.assertRegex(version.stdout, r"^tuner \d+\.\d+\.\d+ \(git [0-9a-f]+(-dirty)?\)")

        work = os.path.join(self.tmp, "work-" + os.path.basename(prefix))
        os.makedirs(work)
        with open(os.path.join(work, "train.py"), "w") as f:
            f.write(TRAINER)
        with open(os.path.join(work, "study.json"), "w") as f:
            json.dump(STUDY, f)
        valid = subprocess.run([tuner, "validate", "study.json"], cwd=work, env=env,
                               capture_output=True, text=True)
        self.assertEqual(valid.returncode, 0, valid.stdout + valid.stderr)

        run = subprocess.run([tuner, "run", "study.json", "--db", "s.db", "--json"], cwd=work,
                             env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        result = json.loads(run.stdout)
        self.assertEqual(result["trials"]["completed"], 2)
        paths = glob.glob(os.path.join(work, "tuner_trials", "installed", "*", "client_path"))
        self.assertEqual(len(paths), 2, "every trial records the client it imported")
        for p in paths:
            with open(p) as f:
                client = f.read()
            self.assertTrue(client.startswith(os.path.realpath(prefix) + os.sep) or
                            client.startswith(prefix + os.sep), client)
            self.assertFalse(client.startswith(SOURCE + os.sep), client)

        # The dashboard of the db, served from the installed files.
        dash = subprocess.Popen([tuner, "dashboard", "--db", "s.db", "--http", "127.0.0.1:0"],
                                cwd=work, env=env, stdout=subprocess.PIPE, text=True)
        try:
            line = dash.stdout.readline()
            url = re.search(r"(http://\S+)", line).group(1)
            with urllib.request.urlopen(url, timeout=10) as r:
                self.assertIn(b"<html", r.read().lower())
            with urllib.request.urlopen(url.rstrip("/") + "/vendor/echarts.min.js", timeout=10) as r:
                self.assertGreater(len(r.read()), 100000)
        finally:
            dash.terminate()
            dash.wait(timeout=30)

    def test_cmake_install_into_a_prefix(self):
        prefix = os.path.join(self.tmp, "prefix")
        subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix], check=True,
                       stdout=subprocess.DEVNULL)
        self.assertTrue(os.path.isfile(os.path.join(prefix, "share/tuner/python/tuner_client/proto/tuner_pb2.py")))
        self.assertTrue(os.path.isfile(os.path.join(prefix, "share/doc/tuner/README.md")))
        self.check_copy(os.path.join(prefix, "bin", "tuner"), prefix)

    def test_deb_package(self):
        pkg = os.path.join(self.tmp, "pkg")
        subprocess.run(["cpack", "-G", "DEB", "-B", pkg, "--config",
                        os.path.join(BUILD, "CPackConfig.cmake")], check=True,
                       stdout=subprocess.DEVNULL)
        debs = glob.glob(os.path.join(pkg, "*.deb"))
        self.assertEqual(len(debs), 1, debs)
        info = subprocess.run(["dpkg-deb", "--field", debs[0], "Package", "Depends"],
                              capture_output=True, text=True, check=True).stdout
        self.assertIn("Package: tuner", info)
        self.assertIn("python3-grpcio", info)
        root = os.path.join(self.tmp, "root")
        subprocess.run(["dpkg", "-x", debs[0], root], check=True)
        self.check_copy(os.path.join(root, "usr", "bin", "tuner"), os.path.join(root, "usr"))


if __name__ == "__main__":
    unittest.main()
