"""Runs the quickstart study ask/tell style against a running `tuner serve`.

    tuner serve --db quickstart.db --listen 127.0.0.1:50051 &
    /usr/bin/python3 ask_tell.py --endpoint 127.0.0.1:50051 --workers 3

Creates the study from --study-file (or reuses the study of that name when it
exists), then runs --workers threads, each with its own client id, that ask
for trials, train them with train.train() and report every epoch, until the
budget is spent. Prints the best trial (as JSON with --json).
"""

import argparse
import json
import os
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:
    import tuner_client
except ImportError:  # run from a source checkout without PYTHONPATH
    sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
    import tuner_client

import train  # noqa: E402


def work(endpoint, study, client_id, log):
    with tuner_client.Client(endpoint, client_id=client_id) as client:
        for trial in client.trials(study):
            try:
                metrics = train.train(trial.parameters, report=trial.report)
            except Exception as e:
                trial.fail(f"{type(e).__name__}: {e}")
                raise
            trial.complete()
            log(f"{client_id}: trial {trial.id} {trial.state} "
                f"val_accuracy={metrics['val_accuracy']:.4f} {trial.parameters}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default=os.environ.get("TUNER_ENDPOINT"),
                        help="host:port of the server (default: $TUNER_ENDPOINT)")
    parser.add_argument("--study-file", default=os.path.join(HERE, "study.json"))
    parser.add_argument("--workers", type=int, default=None,
                        help="parallel clients (default: the study's max_parallel_trials)")
    parser.add_argument("--max-trials", type=int, default=None,
                        help="override the study's budget when creating it")
    parser.add_argument("--json", action="store_true", help="print the best trial as JSON")
    args = parser.parse_args(argv)
    if not args.endpoint:
        parser.error("--endpoint is required (or set TUNER_ENDPOINT)")

    with open(args.study_file, encoding="utf-8") as f:
        spec = json.load(f)
    if args.max_trials is not None:
        spec["max_trials"] = args.max_trials
    workers = args.workers or spec.get("max_parallel_trials", 1)
    log = (lambda line: print(line, file=sys.stderr)) if args.json else print

    with tuner_client.Client(args.endpoint) as client:
        try:
            study = client.create_study(spec)
            log(f"created study {study.name}")
        except tuner_client.AlreadyExistsError:
            study = client.get_study(spec["name"])
            log(f"study {study.name} exists ({study.state}); continuing it")

        lock = threading.Lock()

        def locked_log(line):
            with lock:
                log(line)

        errors = []

        def run(i):
            try:
                work(args.endpoint, study.name, f"ask-tell-{os.getpid()}-{i}", locked_log)
            except Exception as e:  # reported after the others finish
                errors.append(e)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

        best = client.best_trials(study.name)
        if args.json:
            print(json.dumps({"study": study.name,
                              "best": None if not best else {
                                  "trial": best[0].id, "parameters": best[0].parameters,
                                  "metrics": best[0].metrics}}, indent=2))
        elif not best:
            print(f"study {study.name}: no completed trial")
        else:
            b = best[0]
            metric = spec["objective"]["metric"]
            print(f"study {study.name}: best trial {b.id} with {metric}={b.metrics[metric]:.4f}")
            for name, value in b.parameters.items():
                print(f"  {name} = {value}")


if __name__ == "__main__":
    main()
