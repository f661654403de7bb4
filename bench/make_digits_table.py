#!/usr/bin/python3
"""Writes bench/data/digits_svc.tsv: the tabular benchmark `digits_svc` of
bo_quality.cc and optuna_quality.py, a real model trained on real data.

Scikit-learn's digits (Debian's python3-sklearn): pixel intensities 0..16 are
bucketed into `buckets` equal-width bins (the preprocessing choice), scaled to
[0, 1], and classified by an RBF SVC with C = 10^(c/2) and gamma = 10^(g/2).
Each cell holds the 3-fold cross-validated error (1 - accuracy) of one
configuration; folds are stratified and shuffled with a fixed seed, so the
table is deterministic. About 3 minutes on one core.

    /usr/bin/python3 bench/make_digits_table.py [OUT]
"""

import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.svm import SVC

BUCKETS = [2, 3, 4, 6, 8, 12, 16]
C_EXPONENTS = range(-4, 7)  # C = 10^(c/2): 0.01 .. 1000
GAMMA_EXPONENTS = range(-8, 1)  # gamma = 10^(g/2): 1e-4 .. 1


def main(out):
    x, y = load_digits(return_X_y=True)
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    with open(out, "w") as f:
        f.write("buckets\tc\tg\terror\n")
        for b in BUCKETS:
            xb = np.floor(x * b / 17.0) / (b - 1)
            for c in C_EXPONENTS:
                for g in GAMMA_EXPONENTS:
                    model = SVC(C=10 ** (c / 2), gamma=10 ** (g / 2))
                    error = 1 - cross_val_score(model, xb, y, cv=folds).mean()
                    f.write(f"{b}\t{c}\t{g}\t{error:.6f}\n")
            f.flush()
            print(f"buckets={b} done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else
         Path(__file__).resolve().parent / "data" / "digits_svc.tsv")
