"""Parameter-server training of an MLP on scikit-learn's digits with
PyTorch's torch.distributed.rpc, one process per rank.

The service starts every rank itself with TF_CONFIG (the cluster: "chief",
"worker", "ps" addresses) and TUNER_TASK_TYPE / TUNER_TASK_INDEX. The RPC
world is every rank: the chief is RPC rank 0, the workers 1..W, the ps ranks
W+1..W+P; the rendezvous is the chief's address from TF_CONFIG.

 - Each `ps` rank holds a shard of the model's parameters (the tensors dealt
   round-robin over the ps ranks: with 2 ps, ps 0 holds the first layer and
   ps 1 the second) and applies the gradients pushed to it with SGD
   (`learning_rate`), counting the updates it applied.
 - The chief and the workers ("trainers") each train on their own shard of
   the training set, asynchronously: a trainer pulls the parameters from
   every ps, computes the gradient of one batch and pushes it; it pulls
   fresh parameters only every `staleness` + 1 batches (0: every batch), so
   its gradients may be computed on weights that other trainers have moved
   since. The parameter servers are the shared memory through which the
   trainers learn from each other.
 - Preprocessing, tuned with the model: every pixel (0..16) is cut into
   `input_buckets` equal-width buckets and scaled to [0, 1].
 - After every epoch of its own shard the chief pulls the parameters,
   evaluates on the validation set and reports `val_accuracy`; at the end it
   saves the model (`artifacts/model/model.pt`) and the preprocessing
   (`artifacts/preprocessing/buckets.json`) as artifacts, asks each ps for
   its update count and writes them with the trainers' push counts to
   `ps-stats.json` in the trial's directory; every ps logs what it holds and
   how many updates it applied. Every rank then leaves the RPC world together
   (rpc.shutdown() waits for all).

PS_DIGITS_FAIL_PS=<index>@<updates>: that ps rank exits with code 3 after
applying that many updates (the tests' failing parameter server).

Run alone (one process: a trainer and an in-process shard):
    /usr/bin/python3 train.py --learning_rate=0.1 --staleness=1 --input_buckets=8
"""
import argparse
import json
import os
import sys
import threading
import time

import numpy as np
import torch
import torch.distributed.rpc as rpc
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tuner_client

BATCH_SIZE = 32
DATA_SEED, MODEL_SEED = 0, 1
MAX_INTENSITY = 16.0
HIDDEN = 32


def log(message):
    who = "%s:%s" % (os.environ.get("TUNER_TASK_TYPE", "local"),
                     os.environ.get("TUNER_TASK_INDEX", "0"))
    print("[%s] %s" % (who, message), file=sys.stderr, flush=True)


def initial_parameters():
    """The model's tensors by name, in a fixed order."""
    g = torch.Generator().manual_seed(MODEL_SEED)
    return {"layer1.weight": torch.randn(HIDDEN, 64, generator=g) / 8.0,
            "layer1.bias": torch.zeros(HIDDEN),
            "layer2.weight": torch.randn(10, HIDDEN, generator=g) / HIDDEN ** 0.5,
            "layer2.bias": torch.zeros(10)}


def shard_names(ps_index, ps_count):
    """The tensors ps `ps_index` holds: layers dealt round-robin."""
    layers = ["layer1", "layer2"]
    mine = [l for i, l in enumerate(layers) if i % ps_count == ps_index]
    return [n for n in initial_parameters() if n.split(".")[0] in mine]


def forward(params, x):
    h = F.relu(x @ params["layer1.weight"].t() + params["layer1.bias"])
    return h @ params["layer2.weight"].t() + params["layer2.bias"]


def discretise(x, buckets):
    index = np.minimum(np.floor(x / (MAX_INTENSITY + 1.0) * buckets), buckets - 1)
    return torch.from_numpy((index / max(buckets - 1, 1)).astype(np.float32))


# ----------------------------------------------------------------- ps side

class Shard:
    """One ps rank's parameters; the trainers call it through RPC."""

    def __init__(self, names, learning_rate, fail_after=None):
        init = initial_parameters()
        self.params = {n: init[n].clone() for n in names}
        self.learning_rate = learning_rate
        self.updates = 0
        self.fail_after = fail_after
        self.lock = threading.Lock()

    def pull(self):
        with self.lock:
            return {n: t.clone() for n, t in self.params.items()}

    def push(self, grads):
        with self.lock:
            for n, g in grads.items():
                self.params[n] -= self.learning_rate * g
            self.updates += 1
            updates = self.updates
        if self.fail_after is not None and updates >= self.fail_after:
            log("failing on purpose after %d updates" % updates)
            os._exit(3)
        return updates


SHARD = None  # the Shard of this ps process


def ps_pull():
    return SHARD.pull()


def ps_push(grads):
    return SHARD.push(grads)


def ps_updates():
    return SHARD.updates


# ------------------------------------------------------------ trainer side

def pull_all(ps_names):
    futures = [rpc.rpc_async(p, ps_pull) for p in ps_names]
    params = {}
    for f in futures:
        params.update(f.wait())
    return params


def train(args, cluster, task, index, ps_names):
    trainers = ["chief%d" % i for i in range(len(cluster.get("chief", [])))] + \
               ["worker%d" % i for i in range(len(cluster.get("worker", [])))]
    me = trainers.index("%s%d" % (task, index))
    digits = load_digits()
    x_train, x_val, y_train, y_val = train_test_split(
        digits.data, digits.target, test_size=0.2, random_state=DATA_SEED,
        stratify=digits.target)
    buckets = int(args.input_buckets)
    x_train, x_val = discretise(x_train, buckets), discretise(x_val, buckets)
    y_train, y_val = torch.from_numpy(y_train), torch.from_numpy(y_val)
    mine = torch.arange(me, len(x_train), len(trainers))
    x_mine, y_mine = x_train[mine], y_train[mine]
    owner = {n: p for i, p in enumerate(ps_names)
             for n in shard_names(i, len(ps_names))}
    log("trainer %d of %d: %d examples, staleness %d, ps shards %s" % (
        me, len(trainers), len(x_mine), int(args.staleness),
        {p: shard_names(i, len(ps_names)) for i, p in enumerate(ps_names)}))
    g = torch.Generator().manual_seed(MODEL_SEED + me)
    pushes, params, since_pull = 0, None, 0
    accuracy = 0.0
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(len(x_mine), generator=g)
        for start in range(0, len(order), BATCH_SIZE):
            if params is None or since_pull > int(args.staleness):
                params, since_pull = pull_all(ps_names), 0
            batch = order[start:start + BATCH_SIZE]
            local = {n: t.clone().requires_grad_(True) for n, t in params.items()}
            loss = F.cross_entropy(forward(local, x_mine[batch]), y_mine[batch])
            loss.backward()
            by_ps = {}
            for n, t in local.items():
                by_ps.setdefault(owner[n], {})[n] = t.grad
            futures = [rpc.rpc_async(p, ps_push, args=(grads,)) for p, grads in by_ps.items()]
            for f in futures:
                f.wait()
            pushes += 1
            since_pull += 1
        if task == "chief":
            latest = pull_all(ps_names)
            with torch.no_grad():
                accuracy = float((forward(latest, x_val).argmax(1) == y_val).float().mean())
                val_loss = float(F.cross_entropy(forward(latest, x_val), y_val))
            log("epoch %d: val_accuracy %.4f" % (epoch, accuracy))
            if tuner_client.report(epoch, val_accuracy=accuracy, loss=val_loss):
                log("the service stopped the trial")
                break
    log("pushed %d gradients" % pushes)
    return pushes, accuracy


def save_handoff(out_dir, params, buckets):
    model_dir = os.path.join(out_dir, "artifacts", "model")
    pre_dir = os.path.join(out_dir, "artifacts", "preprocessing")
    os.makedirs(model_dir, exist_ok=True)
    os.makedirs(pre_dir, exist_ok=True)
    torch.save(params, os.path.join(model_dir, "model.pt"))
    edges = [(MAX_INTENSITY + 1.0) * i / buckets for i in range(1, buckets)]
    with open(os.path.join(pre_dir, "buckets.json"), "w") as f:
        json.dump({"input_buckets": buckets, "edges": edges, "max_intensity": MAX_INTENSITY},
                  f)


def stats_of(p, counter):
    return rpc.rpc_sync(p, counter)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learning_rate", type=float, default=0.1)
    parser.add_argument("--staleness", type=float, default=0)
    parser.add_argument("--input_buckets", type=float, default=8)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    cluster = config.get("cluster") or {"chief": ["127.0.0.1:0"]}
    task = os.environ.get("TUNER_TASK_TYPE", "chief")
    index = int(os.environ.get("TUNER_TASK_INDEX", "0"))
    workers = len(cluster.get("worker", []))
    ps_count = len(cluster.get("ps", []))
    if ps_count == 0:
        raise SystemExit("ps-digits needs at least one ps rank (trainer.cluster.ps)")
    names = ["chief0"] + ["worker%d" % i for i in range(workers)] + \
            ["ps%d" % i for i in range(ps_count)]
    name = "%s%d" % (task, index)
    chief = cluster["chief"][0]
    host, port = chief.rsplit(":", 1)
    if host in ("127.0.0.1", "localhost"):
        os.environ.setdefault("TP_SOCKET_IFNAME", "lo")
    options = rpc.TensorPipeRpcBackendOptions(init_method="tcp://%s:%s" % (host, port),
                                              rpc_timeout=120, num_worker_threads=8)
    global SHARD
    if task == "ps":
        fail = os.environ.get("PS_DIGITS_FAIL_PS", "")
        fail_after = int(fail.split("@")[1]) if fail and int(fail.split("@")[0]) == index \
            else None
        SHARD = Shard(shard_names(index, ps_count), args.learning_rate, fail_after)
        log("ps %d holds %s" % (index, {n: list(t.shape) for n, t in SHARD.params.items()}))
    rpc.init_rpc(name, rank=names.index(name), world_size=len(names),
                 rpc_backend_options=options)
    ps_names = ["ps%d" % i for i in range(ps_count)]
    if task != "ps":
        pushes, _ = train(args, cluster, task, index, ps_names)
        if task == "chief":
            out = os.environ.get("TUNER_OUTPUT_DIR", ".")
            save_handoff(out, pull_all(ps_names), int(args.input_buckets))
            # The trainers' pushes arrive through the ps counts; the
            # workers may still be pushing: wait for them through the
            # shutdown barrier below, and count after it is reached by
            # every trainer (each logs its own pushes).
            stats = {p: stats_of(p, ps_updates) for p in ps_names}
            with open(os.path.join(out, "ps-stats.json"), "w") as f:
                json.dump({"chief_pushes": pushes, "ps_updates_at_chief_end": stats}, f)
    rpc.shutdown()  # waits for every rank: the ps ranks serve until then
    if task == "ps":
        log("ps %d applied %d updates to %s" % (index, SHARD.updates, sorted(SHARD.params)))
    elif task == "chief":
        tuner_client.complete()


if __name__ == "__main__":
    main()
