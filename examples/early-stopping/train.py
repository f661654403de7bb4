"""Early-stopping demo trainer: a chief and a worker train one model together.

Pure Python (no numpy), a few seconds per trial. The data set is generated
with a fixed seed: 12 features, label 1 when a fixed linear score plus noise
is positive. The model is a logistic regression trained by *local SGD with
model averaging*: every epoch the chief sends the current weights to the
worker over TCP (MASTER_ADDR:MASTER_PORT, the chief listens), each rank runs
one epoch of mini-batch SGD on its own half of the training set, the worker
sends its weights back and the chief averages the two. The chief then
evaluates on the validation set and reports `val_accuracy` and `loss`
through the Python client.

The learning rate of epoch e is `learning_rate * schedule(e)`:

- `constant`: 1;
- `cosine`: 0.5 * (1 + cos(pi * (e - 1) / epochs));
- `broken`: 0 -- the bug this example is about: the weights never move, the
  curve stays flat at the accuracy of the all-zero model (about 0.5), and the
  median stopping rule ends such trials as soon as it has evidence.

The worker does nothing but what the chief asks: it blocks on the socket
until the next epoch's weights or "done" arrive. When the service stops a
trial, the chief hears it from `report()` and tells the worker "done"; the
service also ends every rank of the cluster itself, so neither stays behind.

Run alone (no service, one process doing both halves):

    /usr/bin/python3 train.py --learning_rate=0.3 --schedule=cosine
"""

import argparse
import json
import math
import os
import random
import socket
import sys
import time

N_FEATURES = 16
N_TRAIN, N_VAL = 2000, 500
BATCH_SIZE = 20
DATA_SEED = 3


def log(message):
    role = os.environ.get("TUNER_TASK_TYPE", "local")
    print(f"[{role}] {message}", file=sys.stderr, flush=True)


def make_data():
    rng = random.Random(DATA_SEED)
    truth = [rng.gauss(0.0, 1.0) for _ in range(N_FEATURES)]

    def example():
        x = [rng.gauss(0.0, 1.0) for _ in range(N_FEATURES)]
        score = sum(w * v for w, v in zip(truth, x)) + rng.gauss(0.0, 2.0)
        return x, 1 if score > 0 else 0

    return [example() for _ in range(N_TRAIN)], [example() for _ in range(N_VAL)]


def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def sgd_epoch(weights, data, lr, seed):
    """One epoch of mini-batch SGD on `data`; returns the new weights (the
    last entry is the bias)."""
    w = list(weights)
    order = list(range(len(data)))
    random.Random(seed).shuffle(order)
    for start in range(0, len(order), BATCH_SIZE):
        batch = order[start:start + BATCH_SIZE]
        grad = [0.0] * len(w)
        for i in batch:
            x, y = data[i]
            g = sigmoid(sum(a * b for a, b in zip(w, x)) + w[-1]) - y
            for k, v in enumerate(x):
                grad[k] += g * v
            grad[-1] += g
        for k in range(len(w)):
            w[k] -= lr * grad[k] / len(batch)
    return w


def evaluate(w, data):
    loss, correct = 0.0, 0
    for x, y in data:
        p = min(max(sigmoid(sum(a * b for a, b in zip(w, x)) + w[-1]), 1e-12), 1 - 1e-12)
        loss -= math.log(p) if y else math.log(1.0 - p)
        correct += (p >= 0.5) == bool(y)
    return loss / len(data), correct / len(data)


def schedule_factor(schedule, epoch, epochs):
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / epochs))
    if schedule == "broken":
        return 0.0
    raise ValueError(f"schedule: expected constant, cosine or broken, got {schedule!r}")


# ---------------------------------------------------------------- the wire
# One JSON object per line: {"epoch", "lr", "weights"} or {"done": true}
# from the chief, {"weights"} back from the worker.

def send(sock_file, message):
    sock_file.write(json.dumps(message) + "\n")
    sock_file.flush()


def receive(sock_file):
    line = sock_file.readline()
    if not line:
        raise ConnectionError("the other rank closed the connection")
    return json.loads(line)


def connect_to_chief(address, port, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return socket.create_connection((address, port), timeout=None)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def run_worker(train_half):
    address, port = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
    log(f"{len(train_half)} training examples; connecting to the chief at "
        f"{address}:{port}")
    with connect_to_chief(address, port) as sock, sock.makefile("rw") as f:
        while True:
            message = receive(f)  # blocks until the chief says something
            if message.get("done"):
                log("the chief says done")
                return
            w = sgd_epoch(message["weights"], train_half, message["lr"], seed=1000 + message["epoch"])
            send(f, {"weights": w})


def run_chief(params, train_halves, val_set, report, with_worker):
    epochs = int(params["epochs"])
    lr0 = float(params["learning_rate"])
    schedule = params["schedule"]
    peer = None
    if with_worker:
        port = int(os.environ["MASTER_PORT"])
        server = socket.create_server(("127.0.0.1", port))
        log(f"{len(train_halves[0])} training examples; waiting for the worker on "
            f"port {port}")
        conn, _ = server.accept()
        server.close()
        peer = conn.makefile("rw")
    weights = [0.0] * (N_FEATURES + 1)
    metrics = {}
    try:
        for epoch in range(1, epochs + 1):
            lr = lr0 * schedule_factor(schedule, epoch, epochs)
            if peer is not None:
                send(peer, {"epoch": epoch, "lr": lr, "weights": weights})
            mine = sgd_epoch(weights, train_halves[0], lr, seed=epoch)
            if peer is not None:
                theirs = receive(peer)["weights"]
            else:
                theirs = sgd_epoch(weights, train_halves[1], lr, seed=1000 + epoch)
            weights = [(a + b) / 2.0 for a, b in zip(mine, theirs)]
            loss, accuracy = evaluate(weights, val_set)
            metrics = {"val_loss": loss, "val_accuracy": accuracy}
            if report(epoch, **metrics):
                log(f"stopped by the service after epoch {epoch}")
                break
    finally:
        if peer is not None:
            try:
                send(peer, {"done": True})
            except OSError:
                pass
    return metrics


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learning_rate", type=float, default=0.3)
    parser.add_argument("--schedule", default="constant")
    parser.add_argument("--epochs", type=int, default=12)
    params = vars(parser.parse_args(sys.argv[1:] if argv is None else argv))
    schedule_factor(params["schedule"], 1, 1)  # reject an unknown schedule early

    train_set, val_set = make_data()
    halves = [train_set[0::2], train_set[1::2]]
    role = os.environ.get("TUNER_TASK_TYPE", "local")
    # A worker exists when the cluster has one (WORLD_SIZE counts chief and workers).
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if role == "worker":
        run_worker(halves[1])
        return
    if role == "chief" and os.environ.get("TUNER_TRIAL_ID"):
        import tuner_client
        trial = tuner_client.current_trial()
        try:
            run_chief(params, halves, val_set, trial.report, with_worker=world > 1)
        except Exception as e:
            trial.fail(f"{type(e).__name__}: {e}")
            raise
        trial.complete()  # the last report; STOPPED when the service said stop
        return

    def show(step, **m):
        print(f"epoch {step}: " + " ".join(f"{k}={v:.4f}" for k, v in m.items()), flush=True)
        return False

    run_chief(params, halves, val_set, show, with_worker=False)


if __name__ == "__main__":
    main()
