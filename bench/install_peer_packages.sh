#!/usr/bin/env bash
# Installs the Debian packages that the Optuna of ../shared/peers needs to run
# under /usr/bin/python3 (its README lists them). Only the benchmarks that run
# that peer (bench/optuna_quality.py) need them; the product does not.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_packages.sh python3-numpy python3-scipy python3-torch python3-sqlalchemy \
  python3-alembic python3-colorlog python3-tqdm python3-yaml python3-packaging
