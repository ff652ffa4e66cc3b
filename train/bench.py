"""Training throughput and single-image inference latency of the network under CPython.

    python -m train.bench [--threads N] [--steps 20] [--repeats 5] [--torch-python PATH]

Training: images/s of forward + backward + SGD update (momentum 0.9) on batches
of 64, the median of ``--repeats`` runs of ``--steps`` batches, after warm-up.
Inference: median and p95 of ``Classifier.probabilities`` on one image and of
the whole ``Classifier.classify`` (preprocessing included) on a 400x400 RGBA canvas.

If torch is importable here, the same architecture is also trained in PyTorch
(train/bench_torch.py) with the same number of threads, and the ratio printed;
``--torch-python`` runs that part with another interpreter that has torch.
torch is never a dependency. Figures only: nothing here asserts a time.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

# OpenBLAS (numpy) and OpenMP (torch) read these once, when they load: they are set
# in main() before numpy is imported, which is why numpy is imported late here.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
BATCH = 64
CANVAS = 400


def default_threads():
    for name in THREAD_VARIABLES:
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def numpy_training(steps, repeats, warmup, seed=0):
    """Images/s of each run of ``steps`` training steps of the network (pycore.network.build_network)."""
    import numpy as np

    from pycore.layers import softmax_cross_entropy
    from pycore.network import build_network
    from pycore.optim import SGD

    from .bench_torch import images_per_second

    net = build_network(seed=seed)
    optimiser = SGD(net.params, momentum=0.9, weight_decay=5e-4)
    rng = np.random.default_rng(seed)
    images = rng.random((BATCH, 28, 28, 1), dtype=np.float32)      # (B, 28, 28, 1)
    labels = rng.integers(0, 10, BATCH)
    params = net.params

    def step():
        logits, caches = net.forward(images, training=True, rng=rng)
        _, dlogits = softmax_cross_entropy(logits, labels)
        optimiser.step(params, net.backward(dlogits, caches), 1e-3)

    return images_per_second(step, steps, repeats, warmup, BATCH)


def drawn_canvas():
    """(400, 400, 4) uint8: a black '7' on an opaque white canvas, drawn as the page draws."""
    from .drawing import PEN_WIDTH, rasterise

    seven = [[(110, 90), (290, 95), (170, 320)]]                     # (x, y) pixels
    return rasterise(seven, (CANVAS, CANVAS), width=CANVAS * PEN_WIDTH)


def numpy_latency(runs, warmup):
    """Milliseconds per call: (probabilities of one image, classify of a canvas)."""
    import time

    import numpy as np

    from pycore import weights
    from pycore.inference import Classifier
    from pycore.network import build_network

    from .evaluate import DEFAULT_WEIGHTS

    if DEFAULT_WEIGHTS.is_file():
        classifier = Classifier.from_bytes(DEFAULT_WEIGHTS.read_bytes())
    else:                                         # the time does not depend on the weights
        classifier = Classifier(build_network(seed=0), {"normalisation": weights.MNIST_NORMALISATION})
    image = np.random.default_rng(0).random((1, 28, 28), dtype=np.float32)
    canvas = drawn_canvas()
    timings = []
    for call, argument in ((classifier.probabilities, image), (classifier.classify, canvas)):
        for _ in range(warmup):
            call(argument)
        milliseconds = []
        for _ in range(runs):
            start = time.perf_counter()
            call(argument)
            milliseconds.append((time.perf_counter() - start) * 1e3)
        timings.append(milliseconds)
    return timings


def torch_results(args, threads):
    """The PyTorch side as bench_torch's dict, or (None, why not)."""
    options = dict(threads=threads, steps=args.steps, repeats=args.repeats, warmup=args.warmup,
                   latency_runs=args.latency_runs)
    if args.torch_python:
        command = [args.torch_python, str(Path(__file__).with_name("bench_torch.py"))]
        command += [f"--{key.replace('_', '-')}={value}" for key, value in options.items()]
        try:
            result = subprocess.run(command, capture_output=True, text=True)
        except OSError as exc:
            return None, f"cannot run {args.torch_python}: {exc}"
        if result.returncode != 0:
            return None, f"{args.torch_python} failed: {result.stderr.strip()[-800:]}"
        return json.loads(result.stdout.strip().splitlines()[-1]), None
    if importlib.util.find_spec("torch") is None:
        return None, "torch is not importable here (give --torch-python PATH of an interpreter that has it)"
    from . import bench_torch
    return bench_torch.benchmark(**options), None


def summary(milliseconds):
    import numpy as np
    return f"{np.median(milliseconds):6.2f} ms median, {np.percentile(milliseconds, 95):6.2f} ms p95"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog="python -m train.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, help="BLAS/OpenMP threads for both sides (default: "
                        "$OPENBLAS_NUM_THREADS or $OMP_NUM_THREADS, else every available core)")
    parser.add_argument("--steps", type=int, default=20, help="training steps (batches of 64) per run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs; the median is reported")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps (and calls) first")
    parser.add_argument("--latency-runs", type=int, default=200, help="timed single-image calls")
    parser.add_argument("--torch-python", metavar="PATH", help="run the PyTorch part with this interpreter")
    args = parser.parse_args(argv)

    threads = args.threads or default_threads()
    wanted = {name: str(threads) for name in THREAD_VARIABLES}
    if any(os.environ.get(name) != value for name, value in wanted.items()):
        os.environ.update(wanted)
        if "numpy" in sys.modules:                # too late for this process: run afresh
            return subprocess.call([sys.executable, "-m", "train.bench", *argv])

    import numpy as np

    from . import keep_freed_memory
    keep_freed_memory()                           # as the training CLI does

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {threads} thread(s) on {cores} core(s); "
          f"batch {BATCH}, {args.repeats} runs of {args.steps} steps after {args.warmup} warm-up steps", flush=True)
    if hasattr(os, "getloadavg") and os.getloadavg()[0] > 0.5 * cores:
        print(f"note    load average {os.getloadavg()[0]:.1f} before the start: other work shares the "
              "CPU, the figures are low and noisy", flush=True)

    rates = numpy_training(args.steps, args.repeats, args.warmup)
    numpy_rate = float(np.median(rates))
    print(f"numpy   train    {numpy_rate:8,.0f} img/s (median of {len(rates)}; "
          f"min {min(rates):,.0f}, max {max(rates):,.0f})", flush=True)
    predict, classify = numpy_latency(args.latency_runs, args.warmup)
    print(f"numpy   predict  {summary(predict)}  (Classifier.probabilities, 1 image, {len(predict)} calls)")
    print(f"numpy   classify {summary(classify)}  (Classifier.classify, {CANVAS}x{CANVAS} RGBA canvas, "
          f"{len(classify)} calls)", flush=True)

    torch, why_not = torch_results(args, threads)
    if torch is None:
        print(f"pytorch not run: {why_not}")
        return 0 if not args.torch_python else 1
    torch_rate = float(np.median(torch["train_images_per_second"]))
    print(f"pytorch train    {torch_rate:8,.0f} img/s (median of {len(torch['train_images_per_second'])}; "
          f"torch {torch['torch']}, python {torch['python']}, {torch['threads']} thread(s))")
    print(f"pytorch predict  {summary(torch['predict_ms'])}  (model(x).softmax, 1 image, "
          f"{len(torch['predict_ms'])} calls)")
    print(f"ratio   {numpy_rate / torch_rate:.2f}x  (numpy / pytorch training throughput)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
