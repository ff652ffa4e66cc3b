"""pycore.network.mnist_architecture in PyTorch, for comparison only: CPU training throughput and latency.

Self-contained (torch and numpy only, nothing from this project), so that any
interpreter that has torch can run it; ``python -m train.bench`` calls it in
process when torch is importable, else through ``--torch-python PATH``:

    python3.11 train/bench_torch.py --threads 2 --steps 20 --repeats 5

prints one JSON line. torch is never a dependency of this project.
"""
import argparse
import json
import platform
import time


def seed_network(nn):
    """pycore.network.mnist_architecture, channels first: (N, 1, 28, 28) -> (N, 10) logits."""
    return nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.2),      # (N, 20, 12, 12)
        nn.Conv2d(20, 40, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.2),     # (N, 40, 4, 4)
        nn.Flatten(), nn.Linear(640, 256), nn.ReLU(), nn.Linear(256, 10),
    )


def images_per_second(step, steps, repeats, warmup, batch_size):
    """Run ``step`` (one batch) ``warmup`` times, then ``repeats`` timed runs of ``steps``
    batches; the images/s of each run. Shared with train/bench.py (this file stays
    importable without torch)."""
    for _ in range(warmup):
        step()
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        rates.append(steps * batch_size / (time.perf_counter() - start))
    return rates


def benchmark(threads, steps=20, repeats=5, warmup=5, batch_size=64, latency_runs=200, seed=0):
    """Images/s of forward + backward + SGD step (momentum 0.9) per run of ``steps`` batches,
    and milliseconds per single-image forward + softmax, as a JSON-able dict."""
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = seed_network(torch.nn)
    optimiser = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
    loss_function = torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    images = torch.from_numpy(rng.random((batch_size, 1, 28, 28), dtype=np.float32))
    labels = torch.from_numpy(rng.integers(0, 10, batch_size))

    def step():
        optimiser.zero_grad(set_to_none=True)
        loss_function(model(images), labels).backward()
        optimiser.step()

    model.train()
    rates = images_per_second(step, steps, repeats, warmup, batch_size)

    model.eval()
    one = images[:1]
    milliseconds = []
    with torch.inference_mode():
        for _ in range(warmup):
            torch.softmax(model(one), dim=1)
        for _ in range(latency_runs):
            start = time.perf_counter()
            torch.softmax(model(one), dim=1)
            milliseconds.append((time.perf_counter() - start) * 1e3)
    return {"torch": torch.__version__, "python": platform.python_version(),
            "threads": torch.get_num_threads(), "train_images_per_second": rates,
            "predict_ms": milliseconds}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--latency-runs", type=int, default=200)
    args = parser.parse_args(argv)
    print(json.dumps(benchmark(args.threads, args.steps, args.repeats, args.warmup,
                               latency_runs=args.latency_runs)))


if __name__ == "__main__":
    main()
