"""Files a trial records with the service (docs/artifacts.md).

A record names a file by its path relative to the trial's output directory
(``$TUNER_OUTPUT_DIR``), or by its absolute path when it is outside it (or
when there is no output directory, as for an ask/tell worker). The file stays
where it is; the record keeps its kind, step, size, SHA-256 and the rank
(``$TUNER_TASK_TYPE-$TUNER_TASK_INDEX``) that recorded it.
"""

import hashlib
import os
import re

from ._stubs import pb


def sha256_of(path):
    """Lowercase hex SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _output_dir():
    out = os.environ.get("TUNER_OUTPUT_DIR")
    return os.path.realpath(out) if out else None


def _rank():
    task = os.environ.get("TUNER_TASK_TYPE")
    return f"{task}-{os.environ.get('TUNER_TASK_INDEX', '0')}" if task else ""


def record_path(path):
    """The path a record names ``path`` by: relative to $TUNER_OUTPUT_DIR when
    it is inside it, absolute otherwise."""
    full = os.path.realpath(path)
    out = _output_dir()
    if out and (full == out or full.startswith(out + os.sep)):
        return os.path.relpath(full, out)
    return full


def files_of(path):
    """``path`` itself, or every regular file under it (sorted). Raises
    FileNotFoundError when it does not exist, ValueError for an empty
    directory."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file or directory: {path}")
    if os.path.isfile(path):
        return [path]
    found = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(root, name)
            if os.path.isfile(full) and not os.path.islink(full):
                found.append(full)
    if not found:
        raise ValueError(f"{path}: an empty directory has nothing to record")
    return found


def records(path, kind, step=0, checkpoint=""):
    """Artifact messages for ``path`` (a file, or every file under a
    directory), hashed now."""
    out = []
    for f in files_of(path):
        out.append(pb.Artifact(path=record_path(f), kind=kind, step=int(step),
                               size=os.path.getsize(f), sha256=sha256_of(f), rank=_rank(),
                               checkpoint=checkpoint))
    return out


def resolve(artifact):
    """The file of a record written by this attempt (or by absolute path);
    None when it cannot be told from here. Attempt k >= 2 of a retried trial
    runs in <trial dir>/attempt-<k> (docs/lifecycle.md)."""
    if os.path.isabs(artifact.path):
        return artifact.path
    out = _output_dir()
    if not out:
        return None
    match = re.fullmatch(r"attempt-(\d+)", os.path.basename(out))
    attempt, trial_dir = (int(match.group(1)), os.path.dirname(out)) if match else (1, out)
    if artifact.attempt == attempt:
        return os.path.join(out, artifact.path)
    base = trial_dir if artifact.attempt == 1 else os.path.join(trial_dir,
                                                               f"attempt-{artifact.attempt}")
    return os.path.join(base, artifact.path)


def delete_removed(removed):
    """Deletes the files of records that checkpoint retention removed (and
    their directory once empty). Missing files are fine."""
    dirs = set()
    for artifact in removed:
        path = resolve(artifact)
        if not path:
            continue
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        dirs.add(os.path.dirname(path))
    for d in sorted(dirs, key=len, reverse=True):
        try:
            os.rmdir(d)
        except OSError:
            pass
