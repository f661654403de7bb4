#!/usr/bin/python3
"""Writes bench/data/digits_svc_size.tsv: the two-objective real-model problem
`digits_size` of mo_quality.cc and optuna_mo_quality.py (accuracy against
model size).

The model and the grid are those of make_digits_table.py (an RBF SVC on
scikit-learn's digits after bucketing the pixels into `buckets` bins, C =
10^(c/2), gamma = 10^(g/2)). Each row holds the 3-fold cross-validated error
and the size of the stored model in KiB: its support vectors, each pixel
packed in ceil(log2(buckets)) bits, plus 9 float32 dual coefficients per
support vector (mean over the three folds' models). Fewer buckets and fewer
support vectors make a smaller model; the error prefers the opposite, so the
two objectives conflict. Deterministic; about 4 minutes on one core.

    /usr/bin/python3 bench/make_digits_size_table.py [OUT]
"""

import math
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.svm import SVC

from make_digits_table import BUCKETS, C_EXPONENTS, GAMMA_EXPONENTS


def main(out):
    x, y = load_digits(return_X_y=True)
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    classes = len(set(y))
    with open(out, "w") as f:
        f.write("buckets\tc\tg\terror\tsize_kib\n")
        for b in BUCKETS:
            xb = np.floor(x * b / 17.0) / (b - 1)
            bits = math.ceil(math.log2(b))
            for c in C_EXPONENTS:
                for g in GAMMA_EXPONENTS:
                    model = SVC(C=10 ** (c / 2), gamma=10 ** (g / 2))
                    r = cross_validate(model, xb, y, cv=folds, return_estimator=True)
                    error = 1 - r["test_score"].mean()
                    vectors = np.mean([e.n_support_.sum() for e in r["estimator"]])
                    size = vectors * (x.shape[1] * bits / 8 + 4 * (classes - 1)) / 1024
                    f.write(f"{b}\t{c}\t{g}\t{error:.6f}\t{size:.3f}\n")
            f.flush()
            print(f"buckets={b} done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else
         Path(__file__).resolve().parent / "data" / "digits_svc_size.tsv")
