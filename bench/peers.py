"""The Optuna 5 peer of ../shared/peers for the bench scripts (its README)."""
import os
import sys
from pathlib import Path


def use_peers(argv):
    """Re-runs this script with the peers' Optuna first on PYTHONPATH."""
    peers = None
    for i, a in enumerate(argv):
        if a == "--peers" and i + 1 < len(argv):
            peers = argv[i + 1]
        elif a.startswith("--peers="):
            peers = a.split("=", 1)[1]
    peers = Path(peers or os.environ.get("TUNER_PEERS") or
                 Path(__file__).resolve().parents[2] / "shared" / "peers").resolve()
    wanted = os.pathsep.join(str(peers / d) for d in ("optuna_compat", "optuna", "cmaes"))
    if os.environ.get("PYTHONPATH", "").startswith(wanted):
        return
    if not (peers / "optuna" / "optuna").is_dir():
        sys.exit(f"{Path(argv[0]).name}: no Optuna under {peers} (pass --peers DIR or set TUNER_PEERS)")
    env = dict(os.environ, PYTHONPATH=wanted)
    os.execve(sys.executable, [sys.executable] + argv, env)
