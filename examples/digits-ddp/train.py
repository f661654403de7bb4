"""Data-parallel PyTorch trainer for scikit-learn's digits, one process per rank.

The service starts every rank itself (chief = rank 0, workers = ranks 1..N)
with MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK set, so the process group
is initialised from the environment (`init_method="env://"`, gloo backend on
loopback); torchrun is not needed.

Data: the 8x8 digit images (pixel intensities 0..16), split once into a fixed
training and validation set. Preprocessing, tuned with the model: every pixel
is discretised into `input_buckets` equal-width buckets of 0..16 and scaled
to [0, 1] (2 buckets: black and white; 17: the raw intensities).

Training: a one-hidden-layer MLP (`hidden_units` ReLUs) with SGD + momentum
(`learning_rate`). Each rank trains on its own shard of the training set
(rank r takes examples r, r + W, r + 2W, ...) and DistributedDataParallel
all-reduces (averages) the gradients after every backward pass, so all ranks
take the same steps and hold the same weights. The chief evaluates on the
validation set after every epoch and reports `val_accuracy` and `loss`
through `tuner_client.integrations.torch.TrialLoop`, which broadcasts the
service's stop decision so that every rank leaves the loop together.

At the end each rank saves its weights to `model-rank<R>.pt` and their
SHA-256 to `params-rank<R>.sha256` in the trial's directory
(`$TUNER_OUTPUT_DIR`, `TrialLoop.checkpoint_dir`): equal checksums show that
the ranks trained one model together. The chief also writes the serving
hand-off under `artifacts/` there, which the runner records
(docs/artifacts.md; `tuner export` copies it): `artifacts/model/model.pt`
(the weights) and `artifacts/preprocessing/buckets.json` (the bucket edges
the pixels went through, so that prediction applies the same preprocessing).

Run alone (one process, no service) it just trains and prints each epoch,
and writes its files to the current directory:

    /usr/bin/python3 train.py --learning_rate=0.05 --hidden_units=64 --input_buckets=4
"""

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.nn.parallel import DistributedDataParallel
from tuner_client.integrations.torch import TrialLoop

DEFAULTS = {"learning_rate": 0.05, "hidden_units": 64, "input_buckets": 8, "epochs": 6}
DATA_SEED = 0     # the train/validation split
MODEL_SEED = 1    # initial weights and shuffling; the same on every rank
BATCH_SIZE = 32   # per rank
MAX_INTENSITY = 16.0


def log(message):
    print(f"[rank {os.environ.get('RANK', '0')}] {message}", file=sys.stderr, flush=True)


def discretise(x, buckets):
    """Pixel intensities 0..16 -> bucket index / (buckets - 1), in [0, 1]."""
    index = np.minimum(np.floor(x / (MAX_INTENSITY + 1.0) * buckets), buckets - 1)
    return (index / max(buckets - 1, 1)).astype(np.float32)


def save_handoff(out_dir, model, buckets, hidden_units):
    """The model and its preprocessing, as artifacts the runner records."""
    model_dir = os.path.join(out_dir, "artifacts", "model")
    pre_dir = os.path.join(out_dir, "artifacts", "preprocessing")
    os.makedirs(model_dir, exist_ok=True)
    os.makedirs(pre_dir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(model_dir, "model.pt"))
    edges = [(MAX_INTENSITY + 1.0) * i / buckets for i in range(1, buckets)]
    with open(os.path.join(pre_dir, "buckets.json"), "w") as f:
        json.dump({"input_buckets": buckets, "edges": edges, "max_intensity": MAX_INTENSITY,
                   "hidden_units": hidden_units}, f)


def load_data(buckets):
    digits = load_digits()  # shipped with scikit-learn: no download
    x_train, x_val, y_train, y_val = train_test_split(
        digits.data, digits.target, test_size=0.2, random_state=DATA_SEED,
        stratify=digits.target)
    return (torch.from_numpy(discretise(x_train, buckets)), torch.from_numpy(y_train),
            torch.from_numpy(discretise(x_val, buckets)), torch.from_numpy(y_val))


def shard(x, y, rank, world):
    """Examples rank, rank + world, ...; every shard has the same size (the
    remainder is dropped) so that all ranks take the same number of steps."""
    per_rank = len(x) // world
    index = torch.arange(rank, per_rank * world, world)
    return x[index], y[index]


def parameter_checksum(model):
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learning_rate", type=float, default=DEFAULTS["learning_rate"])
    parser.add_argument("--hidden_units", type=float, default=DEFAULTS["hidden_units"])
    parser.add_argument("--input_buckets", type=float, default=DEFAULTS["input_buckets"])
    parser.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    torch.set_num_threads(1)
    rank = int(os.environ.get("RANK", "0"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    distributed = world > 1
    if distributed:
        # MASTER_ADDR and MASTER_PORT come from the environment: the chief's
        # address, where rank 0 serves the rendezvous store. On one machine
        # gloo's own connections stay on loopback too (by default gloo picks
        # the interface of the host name, which may not be up in a container).
        if os.environ.get("MASTER_ADDR") in ("127.0.0.1", "localhost"):
            os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
        dist.init_process_group("gloo", init_method="env://", rank=rank, world_size=world)
        log(f"joined the process group: rank {rank} of {world} "
            f"via {os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}")
    # TrialLoop: the chief reports each epoch; a stop from the service is
    # broadcast so that every rank leaves the loop at the same epoch. It
    # completes the trial at the end of the block (fails it on an exception).
    with TrialLoop() as loop:
        x_train, y_train, x_val, y_val = load_data(int(args.input_buckets))
        x_mine, y_mine = shard(x_train, y_train, rank, world)
        log(f"training on shard {rank} of {world}: {len(x_mine)} of {len(x_train)} examples "
            f"(input_buckets={int(args.input_buckets)})")

        torch.manual_seed(MODEL_SEED)
        model = torch.nn.Sequential(
            torch.nn.Linear(x_train.shape[1], int(args.hidden_units)),
            torch.nn.ReLU(),
            torch.nn.Linear(int(args.hidden_units), 10))
        # DDP broadcasts rank 0's initial weights and averages the gradients
        # of every backward pass over the ranks.
        net = DistributedDataParallel(model) if distributed else model
        log(f"initial parameters sha256 {parameter_checksum(model)}")
        optimizer = torch.optim.SGD(net.parameters(), lr=args.learning_rate, momentum=0.9)
        shuffle = torch.Generator().manual_seed(MODEL_SEED + rank)

        for epoch in loop.epochs(args.epochs):
            start = time.monotonic()
            net.train()
            order = torch.randperm(len(x_mine), generator=shuffle)
            for i in range(0, len(order), BATCH_SIZE):
                batch = order[i:i + BATCH_SIZE]
                optimizer.zero_grad()
                F.cross_entropy(net(x_mine[batch]), y_mine[batch]).backward()
                optimizer.step()

            metrics = {}
            if loop.is_chief:
                model.eval()
                with torch.no_grad():
                    logits = model(x_val)
                    metrics = {"val_accuracy": (logits.argmax(1) == y_val).float().mean().item(),
                               "loss": F.cross_entropy(logits, y_val).item()}
                print(f"epoch {epoch}: val_accuracy={metrics['val_accuracy']:.4f} "
                      f"loss={metrics['loss']:.4f} ({time.monotonic() - start:.2f} s)", flush=True)
            if loop.report(epoch, **metrics):
                log(f"the service says stop after epoch {epoch}")

        checksum = parameter_checksum(model)
        log(f"final parameters sha256 {checksum}")
        # The trial's directory ($TUNER_OUTPUT_DIR; the current one when run by hand).
        torch.save(model.state_dict(), loop.checkpoint_path(f"model-rank{rank}.pt"))
        with open(loop.checkpoint_path(f"params-rank{rank}.sha256"), "w") as f:
            f.write(checksum + "\n")
        if rank == 0:
            save_handoff(loop.checkpoint_dir, model, int(args.input_buckets), int(args.hidden_units))
        if distributed:
            dist.barrier()  # the checksums are written before the chief completes
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
