#!/usr/bin/env python3
"""Writes (or, with --check, verifies) the gRPC stubs the package ships.

tuner_client/proto/tuner_pb2.py and tuner_pb2_grpc.py are generated from
proto/tuner/v1/tuner.proto by Debian's protoc and grpc_python_plugin (the
protoc bundled with grpc_tools is too old for proto3 `optional`) and are
checked in, so that `pip install clients/python` needs no build tree and no
compiler. The one change to protoc's output: the stub module imports the
messages relatively (`from . import tuner_pb2`), so they live inside the
package instead of as a top-level `tuner` package.

    /usr/bin/python3 clients/python/generate_stubs.py          # after editing the proto
    /usr/bin/python3 clients/python/generate_stubs.py --check  # the `clients/python/stubs` test

--check exits 1, naming the files, when the checked-in stubs differ from a
fresh generation, or when pyproject.toml's version is not --version.
"""

import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
PROTO_DIR = REPO / "proto"
PROTO = "tuner/v1/tuner.proto"
OUT = HERE / "tuner_client" / "proto"
GRPC_IMPORT = "from tuner.v1 import tuner_pb2 as"


def generate(protoc, plugin):
    """{file name: text} of the stubs as the package ships them."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([protoc, f"--proto_path={PROTO_DIR}", f"--python_out={tmp}",
                        f"--grpc_python_out={tmp}", f"--plugin=protoc-gen-grpc_python={plugin}",
                        str(PROTO_DIR / PROTO)], check=True)
        out = pathlib.Path(tmp) / "tuner" / "v1"
        files = {name: (out / name).read_text() for name in ("tuner_pb2.py", "tuner_pb2_grpc.py")}
    grpc = files["tuner_pb2_grpc.py"]
    if GRPC_IMPORT not in grpc:
        raise SystemExit(f"generate_stubs: {GRPC_IMPORT!r} not in grpc_python_plugin's output")
    files["tuner_pb2_grpc.py"] = grpc.replace(GRPC_IMPORT, "from . import tuner_pb2 as", 1)
    return files


def pyproject_version():
    text = (HERE / "pyproject.toml").read_text()
    match = re.search(r'^version = "([^"]+)"', text, re.MULTILINE)
    return match.group(1) if match else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--protoc", default=shutil.which("protoc") or "protoc")
    parser.add_argument("--grpc-python-plugin",
                        default=shutil.which("grpc_python_plugin") or "grpc_python_plugin")
    parser.add_argument("--version", help="the project's version (CMake); --check compares")
    args = parser.parse_args()
    files = generate(args.protoc, args.grpc_python_plugin)
    if not args.check:
        for name, text in files.items():
            (OUT / name).write_text(text)
            print(f"wrote {OUT / name}")
        return 0
    faults = []
    for name, text in files.items():
        path = OUT / name
        if not path.is_file() or path.read_text() != text:
            faults.append(f"{path.relative_to(REPO)} differs from {PROTO} (run "
                          f"/usr/bin/python3 clients/python/generate_stubs.py and commit it)")
    if args.version and pyproject_version() != args.version:
        faults.append(f"clients/python/pyproject.toml: version {pyproject_version()!r}, "
                      f"the project's is {args.version!r}")
    for fault in faults:
        print(fault, file=sys.stderr)
    if not faults:
        print(f"the stubs in {OUT.relative_to(REPO)} match {PROTO}")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
