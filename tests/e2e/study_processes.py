"""The live processes of a study, found by the TUNER_STUDY mark in their
environment (every rank of every trial has it), for the end-to-end tests
that check nothing is left behind."""
import os


def processes_of_study(study):
    """Pids of live (not zombie) processes whose environment has TUNER_STUDY=study."""
    found = []
    needle = ("TUNER_STUDY=" + study).encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X"):
                    continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(int(pid))
        except (OSError, IndexError):
            continue
    return found
