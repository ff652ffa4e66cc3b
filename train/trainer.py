"""The training loop: epochs of SGD over augmented batches, a checkpoint after each.

``train`` is a generator: it yields one history entry per epoch (the CLI prints
them; tests read them), and writes ``checkpoint.npz`` atomically after every
epoch, so a stopped run loses at most the epoch in progress and ``resume=True``
continues exactly where it stopped (every epoch's randomness comes from
``(seed, epoch)``, not from state carried across epochs).
"""
import io
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from pycore import weights
from pycore.inference import Classifier
from pycore.layers import softmax_cross_entropy
from pycore.network import build_network
from pycore.optim import SGD, learning_rate

from . import augment
from .evaluate import evaluate

CHECKPOINT = "checkpoint.npz"


def save_checkpoint(path, net, optimiser, state):
    """params, momentum buffers and a JSON state entry, written atomically."""
    arrays = {f"param.{k}": v for k, v in net.params.items()}
    arrays.update({f"velocity.{k}": v for k, v in optimiser.velocity.items()})
    arrays["state"] = np.frombuffer(json.dumps(state).encode(), np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(buffer.getvalue())
    os.replace(partial, path)                  # atomic: a crash leaves the old file or the new one


def load_checkpoint(path, net, optimiser):
    with np.load(path, allow_pickle=False) as npz:
        net.set_params({k[len("param."):]: npz[k] for k in npz.files if k.startswith("param.")})
        optimiser.velocity = {k[len("velocity."):]: npz[k].copy() for k in npz.files if k.startswith("velocity.")}
        return json.loads(npz["state"].tobytes().decode())


class Progress:
    """One line, rewritten in place on a terminal (every 5 % in a log file)."""

    def __init__(self, total, label, stream=sys.stderr):
        self.total, self.label, self.stream = total, label, stream
        self.start = time.perf_counter()
        self.tty = stream.isatty()
        self.next_log = 0.05

    def update(self, done, loss):
        elapsed = time.perf_counter() - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        fraction = done / self.total
        if not self.tty and fraction < self.next_log and done < self.total:
            return
        self.next_log = fraction + 0.05
        eta = (self.total - done) / rate if rate else 0.0
        bar = "#" * int(30 * fraction)
        line = (f"{self.label} [{bar:<30}] {100 * fraction:5.1f}% {done}/{self.total} "
                f"{rate:6.0f} img/s loss {loss:.4f} ETA {int(eta) // 60}:{int(eta) % 60:02d}")
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def close(self):
        if self.tty:
            self.stream.write("\n")


def train(config, images, labels, out_dir, val_images=None, val_labels=None, resume=False, quiet=False,
          targets=None, defaults=None):
    """Train the network (pycore.network.mnist_architecture); yields a history entry per epoch.

    images (N, 28, 28) float32 in [0, 1] (already expanded with rotated copies),
    labels (N,) ints; val_* the same, unaugmented, or None. ``config`` is the
    dict of hyper-parameters from train/__main__.py. ``targets`` (N, 10), when given,
    are what the loss aims at instead of the labels (train/distill.py's soft targets).
    ``defaults`` (the CLI's) stand in, on resuming, for settings a run's checkpoint predates:
    a setting is only ever added with a default that trains as before it existed.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    norm = weights.MNIST_NORMALISATION
    mean, std = np.float32(norm["mean"]), np.float32(norm["std"])
    net = build_network(seed=config["seed"] if config["init_seed"] < 0 else config["init_seed"])
    if config["init_weights"]:          # continue from trained weights (a fine-tuning phase)
        net.set_params(weights.from_bytes(Path(config["init_weights"]).read_bytes())[0].params)
    optimiser = SGD(net.params, momentum=config["momentum"], weight_decay=config["weight_decay"])
    batch = config["batch_size"]
    steps_per_epoch = len(images) // batch
    if steps_per_epoch == 0:
        raise ValueError(f"{len(images)} training images make no batch of {batch}")
    total_steps = steps_per_epoch * config["epochs"]
    warmup = int(config["warmup_epochs"] * steps_per_epoch)
    distortion = {k: config[k] for k in augment.DISTORTION_SETTINGS}

    history, first_epoch = [], 1
    checkpoint = out_dir / CHECKPOINT
    if resume and checkpoint.exists():
        state = load_checkpoint(checkpoint, net, optimiser)
        if {**(defaults or {}), **state["config"]} != config:
            raise ValueError(f"{checkpoint} was made with other settings: {state['config']} (now {config})")
        history, first_epoch = state["history"], state["epoch"] + 1
        for entry in history:
            yield entry

    for epoch in range(first_epoch, config["epochs"] + 1):
        rng = np.random.default_rng([config["seed"], epoch])
        order = rng.permutation(len(images))
        progress = None if quiet else Progress(steps_per_epoch * batch, f"epoch {epoch:2d}/{config['epochs']}")
        start = time.perf_counter()
        losses, correct = [], 0
        params = net.params
        for step in range(steps_per_epoch):
            idx = order[step * batch:(step + 1) * batch]
            x = images[idx]
            if config["augment"]:
                x = augment.random_distortion(x, rng, **distortion)
            x = (x[:, :, :, None] - mean) / std                            # (B, 28, 28, 1)
            logits, caches = net.forward(x, training=True, rng=rng)
            aim = labels[idx] if targets is None else targets[idx]
            loss, dlogits = softmax_cross_entropy(logits, aim, config["label_smoothing"])
            grads = net.backward(dlogits, caches)
            lr = learning_rate((epoch - 1) * steps_per_epoch + step, total_steps, config["lr"], warmup,
                               config["schedule"])
            optimiser.step(params, grads, lr)
            losses.append(loss)
            correct += int((logits.argmax(axis=1) == labels[idx]).sum())
            if progress and (step % 20 == 0 or step == steps_per_epoch - 1):
                progress.update((step + 1) * batch, float(np.mean(losses[-100:])))
        if progress:
            progress.close()
        entry = {"epoch": epoch, "train_loss": float(np.mean(losses)),
                 "train_accuracy": correct / (steps_per_epoch * batch), "lr": lr,
                 "seconds": time.perf_counter() - start}
        if val_images is not None:
            scored = evaluate(Classifier(net, {"normalisation": norm}), val_images, val_labels)
            entry["val_accuracy"] = scored["accuracy"]
        history.append(entry)
        (out_dir / f"epoch-{epoch:02d}.npz").write_bytes(
            weights.to_bytes(net, {"epoch": epoch, "config": config}))
        save_checkpoint(checkpoint, net, optimiser, {"epoch": epoch, "history": history, "config": config})
        yield entry
