"""A training step in Pyodide, piece by piece: figures printed, nothing asserted.

    python -m bench.steps [--batch 64] [--rounds 5] [--against REF]

Runs pycore (this checkout's, and with --against also git revision REF's) in Node's
Pyodide, the page's runtime and NumPy (no BLAS), and times one SGD step of the page's
training (pycore.training.Session: forward, backward, update) on MNIST-like images:
images per second for the whole step, and each layer's forward and backward in ms,
medians over --rounds rounds. With --against the two take turns round by round, so that
other load on the machine falls on both alike, and the ratio is printed. The same figures
under CPython (BLAS) are printed for reference.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import build
from bench.common import print_load

ROOT = Path(__file__).absolute().parents[1]

# Node: start Pyodide from the cached runtime, unpack the NumPy wheel, copy pycore from the
# folder given, run STEP_CODE, print its JSON.
NODE_SCRIPT = r"""
"use strict";
const fs = require("fs"), path = require("path");
const [runtime, wheel, pycore, code] = process.argv.slice(2);
const { loadPyodide } = require(runtime + "pyodide.js");
(async () => {
  const py = await loadPyodide({ indexURL: runtime });
  py.unpackArchive(new Uint8Array(fs.readFileSync(wheel)), "wheel", { extractDir: "/lib/python3.12/site-packages" });
  const target = "/lib/python3.12/site-packages/pycore";
  py.FS.mkdirTree(target);
  for (const name of fs.readdirSync(pycore)) {
    if (name.endsWith(".py")) py.FS.writeFile(`${target}/${name}`, fs.readFileSync(path.join(pycore, name)));
  }
  process.stdout.write(py.runPython(fs.readFileSync(code, "utf8")));
})().catch((error) => { console.error(String(error && error.stack || error)); process.exit(1); });
"""

# Times the step and its layers; prints JSON. Works with any pycore that has
# network.build_network and optim.SGD (the previous builds too).
STEP_CODE = r"""
import json, time
import numpy as np
from pycore.layers import softmax_cross_entropy
from pycore.network import build_network
from pycore.optim import SGD

BATCH, REPEATS = {batch}, 5
rng = np.random.default_rng(0)
images = rng.integers(0, 256, (BATCH, 28, 28), dtype=np.uint8)
images[:, :4] = images[:, -4:] = 0                     # MNIST-like: empty borders
x = ((images.astype(np.float32) / 255 - 0.1307) / 0.3081)[..., None]
labels = rng.integers(0, 10, BATCH)
net = build_network(0)
optimiser = SGD(net.params, momentum=0.9)

def step():
    logits, caches = net.forward(x, training=True, rng=rng)
    loss, dlogits = softmax_cross_entropy(logits, labels)
    optimiser.step(net.params, net.backward(dlogits, caches), 0.01)

def median_ms(run):
    run()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * sorted(times)[len(times) // 2]

result = {{"step": median_ms(step), "layers": {{}}}}
h = x
for name, layer in net.layers:
    out, cache = layer.forward(h, training=True, rng=rng)
    dout = np.ones_like(out)
    result["layers"][name] = [median_ms(lambda: layer.forward(h, training=True, rng=rng)),
                              median_ms(lambda: layer.backward(dout, cache))]
    h = out
json.dumps(result)
"""


def run_in_node(runtime: Path, wheel: Path, pycore: Path, batch: int, workdir: Path) -> dict:
    script, code = workdir / "step.js", workdir / "step.py"
    script.write_text(NODE_SCRIPT)
    code.write_text(STEP_CODE.format(batch=batch))
    proc = subprocess.run(["node", str(script), runtime.as_posix() + "/", str(wheel), str(pycore), str(code)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"Pyodide in Node failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def run_in_cpython(pycore_parent: Path, batch: int) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(pycore_parent)}
    code = STEP_CODE.format(batch=batch) .replace("json.dumps(result)", "print(json.dumps(result))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"CPython failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def checkout_pycore(ref: str, workdir: Path) -> Path:
    """pycore/ of git revision ref, in workdir/ref/pycore."""
    target = workdir / "against"
    target.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "pycore"], capture_output=True)
    if archive.returncode != 0:
        raise SystemExit(f"git archive {ref} failed: {archive.stderr.decode()[-500:]}")
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target / "pycore"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.steps", description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=64, help="images per step (the page's default: 64)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (each a fresh Node process per build)")
    parser.add_argument("--against", metavar="REF", help="git revision to compare with, round by round")
    args = parser.parse_args(argv)
    if shutil.which("node") is None:
        parser.error("Node.js (node) is needed to run Pyodide")
    cache = build.cache_dir()
    runtime = build.fetch_pyodide_core(cache)
    wheel = build.fetch_numpy_wheel(cache)
    workdir = Path(tempfile.mkdtemp(prefix="bench-steps-"))
    try:
        builds = {"this": ROOT / "pycore"}
        if args.against:
            builds[args.against] = checkout_pycore(args.against, workdir)
        print_load("before")
        runs = {name: [] for name in builds}
        began = time.perf_counter()
        for _ in range(args.rounds):
            for name, pycore in builds.items():
                runs[name].append(run_in_node(runtime, wheel, pycore, args.batch, workdir))
        print(f"{args.rounds} rounds in {time.perf_counter() - began:.0f} s; batch {args.batch}; Pyodide in Node")
        cpython = run_in_cpython(ROOT, args.batch)
        medians = {name: {"step": statistics.median(r["step"] for r in rs),
                          "layers": {layer: [statistics.median(r["layers"][layer][i] for r in rs) for i in (0, 1)]
                                     for layer in rs[0]["layers"]}} for name, rs in runs.items()}
        names = list(builds)
        head = "".join(f"{name[:12]:>26s}" for name in names)
        print(f"\n{'':14s}{head}{'CPython (BLAS, 1 thread)':>28s}")
        columns = "".join(f"{'forward':>13s}{'backward':>13s}" for _ in names)
        print(f"{'':14s}{columns}{'forward':>14s}{'backward':>14s}")
        for layer in medians["this"]["layers"]:
            cells = "".join(f"{medians[n]['layers'][layer][0]:11.2f}ms{medians[n]['layers'][layer][1]:11.2f}ms"
                            for n in names)
            print(f"{layer:14s}{cells}{cpython['layers'][layer][0]:12.2f}ms{cpython['layers'][layer][1]:12.2f}ms")
        for name in names:
            step = medians[name]["step"]
            print(f"\nwhole step ({name}): {step:7.1f} ms  = {1000 * args.batch / step:6.0f} images/s")
        print(f"whole step (CPython): {cpython['step']:7.1f} ms  = {1000 * args.batch / cpython['step']:6.0f} images/s")
        if args.against:
            ratio = medians["this"]["step"] / medians[args.against]["step"]
            print(f"ratio this / {args.against}: {ratio:.2f} (images/s {1 / ratio:.2f} times)")
        print_load("after")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
