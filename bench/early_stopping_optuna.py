"""Optuna's pruners on the learning curves of bench/early_stopping.cc.

Run by bench/early_stopping (or by hand) under Debian's Optuna 3.1:

    /usr/bin/python3 bench/early_stopping_optuna.py --curves /tmp/early_stopping_bench/mfh3_good.f64 \
        --seeds 20 --configs 200 --steps 100 --min-trials 5 --grace-steps 10 --eta 3 --min-resource 1

The curves file holds float64 values (native byte order) in the order
[seed][config][step]; the value at step z is the objective (minimised) after z
steps. For every pruner and seed, the configurations are enqueued in order
(study.enqueue_trial) and run one after another: trial.report at z = 1..100,
trial.should_prune after each report, until pruned or z = 100; in-memory
storage. Prints one line per (pruner, seed): "<pruner> <seed> <last step of
config 0> <last step of config 1> ...". The C++ side computes every metric.
"""

import argparse
import array
import sys

import optuna


def pruners(args):
    return {
        "median": lambda: optuna.pruners.MedianPruner(
            n_startup_trials=args.min_trials,
            n_warmup_steps=args.grace_steps,
            interval_steps=1,
            n_min_trials=args.min_trials,
        ),
        "sha": lambda: optuna.pruners.SuccessiveHalvingPruner(
            min_resource=args.min_resource,
            reduction_factor=int(args.eta),
            min_early_stopping_rate=0,
            bootstrap_count=0,
        ),
        "hyperband": lambda: optuna.pruners.HyperbandPruner(
            min_resource=args.min_resource,
            max_resource=args.steps,
            reduction_factor=int(args.eta),
        ),
    }


def run(make_pruner, study_name, curves, offset, configs, steps):
    """Returns the last step each configuration reached."""
    study = optuna.create_study(
        study_name=study_name,  # fixed: HyperbandPruner picks brackets by hashing it
        direction="minimize",
        pruner=make_pruner(),
        sampler=optuna.samplers.RandomSampler(seed=0),
        storage=optuna.storages.InMemoryStorage(),
    )
    for c in range(configs):
        study.enqueue_trial({"config": c})
    last = []
    for _ in range(configs):
        trial = study.ask()
        c = trial.suggest_int("config", 0, configs - 1)
        base = offset + c * steps
        pruned = False
        for z in range(1, steps + 1):
            trial.report(curves[base + z - 1], z)
            if trial.should_prune():
                pruned = True
                break
        last.append(z)
        if pruned:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, curves[base + steps - 1])
    return last


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curves", required=True)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--configs", type=int, default=200)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--min-trials", type=int, default=5)
    parser.add_argument("--grace-steps", type=int, default=10)
    parser.add_argument("--eta", type=float, default=3)
    parser.add_argument("--min-resource", type=int, default=1)
    parser.add_argument("--pruners", default="median,sha,hyperband")
    args = parser.parse_args()
    if args.eta != int(args.eta):
        sys.exit("Optuna's reduction_factor is an integer; eta must be one")
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    curves = array.array("d")
    with open(args.curves, "rb") as f:
        curves.frombytes(f.read())
    per_seed = args.configs * args.steps
    if len(curves) < args.seeds * per_seed:
        sys.exit(f"{args.curves}: {len(curves)} values, expected at least {args.seeds * per_seed}")

    table = pruners(args)
    for name in args.pruners.split(","):
        for seed in range(args.seeds):
            last = run(
                table[name], f"{name}-{seed}", curves, seed * per_seed, args.configs, args.steps
            )
            print(name, seed, " ".join(map(str, last)), flush=True)


if __name__ == "__main__":
    main()
