"""TunerSearchCV on scikit-learn's digits: an SVM's C, gamma and kernel,
proposed by the tuner service's Bayesian optimisation, 3-fold cross-validated
by two worker threads.

    /usr/bin/python3 examples/sklearn-search/search.py            # a local server
    /usr/bin/python3 examples/sklearn-search/search.py --server 127.0.0.1:50051

Without --server it starts a `tuner serve` of its own for the search (the
binary from $TUNER_BIN or PATH, e.g. TUNER_BIN=build/tuner). With --server
the study stays on that server: `tuner trials STUDY --server ...` and its
dashboard show it.
"""

import argparse

from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from tuner_client.integrations.sklearn import TunerSearchCV


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", help="HOST:PORT of a tuner serve (default: start one)")
    parser.add_argument("--n-trials", type=int, default=20)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()

    X, y = load_digits(return_X_y=True)  # shipped with scikit-learn: no download
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y)
    search = TunerSearchCV(
        SVC(),
        {"C": loguniform(1e-2, 1e3), "gamma": loguniform(1e-5, 1e-1),
         "kernel": ["rbf", "sigmoid"]},
        n_trials=args.n_trials, algorithm={"name": "bayesian", "initial_trials": 4},
        random_state=0, cv=3, n_jobs=args.n_jobs, server=args.server)
    search.fit(X_train, y_train)

    results = search.cv_results_
    for i in results["rank_test_score"].argsort()[:5]:
        print(f"trial {results['trial_id'][i]:3d}  rank {results['rank_test_score'][i]}  "
              f"cv accuracy {results['mean_test_score'][i]:.4f}  {results['params'][i]}")
    print(f"study {search.study_name_}: best cv accuracy {search.best_score_:.4f} "
          f"with {search.best_params_}")
    print(f"test accuracy of the refit best estimator: {search.score(X_test, y_test):.4f}")


if __name__ == "__main__":
    main()
