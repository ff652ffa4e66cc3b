"""Browser benchmark: the built site in Debian's Chromium, figures printed, nothing asserted.

    python -m bench.browser [--starts 5] [--predictions 200] [--activations both|on|off]
                            [--no-starts] [--against REF]

Prints
  - cold start to `ready` (fresh profile, nothing cached; median of --starts runs) with
    the worker's own stage times, and the start with everything in the service worker cache;
  - prediction latency over --predictions predictions, cycling through three drawn digits
    so that every prediction changes what the page shows: in the worker
    (pixels in -> probabilities out, Python + copies) and end to end (getImageData, transfer,
    worker, reply, DOM and preview update), median and p95; by default once without and once
    with the layers' activations (what the page's "Inside the network" shows: returned by
    the worker and drawn), interleaved prediction by prediction so that other load on the
    machine falls on both alike;
  - bytes shipped: every file in dist/manifest.json, raw and gzip-compressed.
With --against REF, git revision REF is built too (by its own build.py) and the two builds
take turns start by start, so that both see the same machine; the figures are printed side
by side with their ratio.
Targets (issue 4): p95 end-to-end under 16 ms, cold start under 3 s on localhost.
"""
from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import build
from bench.common import percentile
from tests.e2e import harness

ROOT = Path(__file__).absolute().parents[1]


def ready_time_ms(page) -> float:
    return page.evaluate("performance.getEntriesByName('mnist-ready')[0].startTime")


def cold_starts(browser, url, harness, runs):
    times, stages = [], []
    for _ in range(runs):
        page = harness.open_ready_page(browser, url)
        times.append(ready_time_ms(page))
        stages.append(page.evaluate("window.mnistDraw.info.stageMs"))
        page.context.close()
    return times, stages


def cached_starts(browser, url, harness, runs):
    context = browser.new_context()                 # service workers allowed: the cache is the point
    page = harness.open_ready_page(context, url)
    page.wait_for_selector("body[data-offline=ready]", timeout=60_000)
    times = []
    for _ in range(runs):
        page.reload()
        harness.wait_ready(page)
        times.append(ready_time_ms(page))
    context.close()
    return times


DIGITS = ("7", "0", "1")


def prediction_latency(browser, url, harness, count, modes):
    """{mode: [sample]} for modes among "off" and "on" (activations), interleaved.

    The digits in DIGITS are drawn with the mouse once each and their input canvases kept;
    before every prediction the next one is put back, so each prediction shows another
    digit than the one before (bars, values and maps change, as while drawing)."""
    page = harness.open_ready_page(browser, url)
    context = page.context
    digits = []
    for digit in DIGITS:
        page.click("#clear")
        harness.draw_strokes(page, harness.shape_points(digit))
        digits.append(harness.keep_input(page))
    canvas = page.eval_on_selector("#network-input", "c => [c.width, c.height]")
    flags = [mode == "on" for mode in modes]
    samples = page.evaluate("""async ([n, flags, digits]) => {
        const input = document.querySelector("#network-input").getContext("2d");
        let shown = 0;
        const predict = async activations => {
            input.putImageData(digits[shown++ % digits.length], 0, 0);
            return window.mnistDraw.predictNow({ activations });
        };
        for (let i = 0; i < 20; i++) for (const activations of flags) await predict(activations);
        const out = flags.map(() => []);
        for (let i = 0; i < n; i++) {
            for (let m = 0; m < flags.length; m++) out[m].push(await predict(flags[m]));
        }
        return out;
    }""", [count, flags, digits])
    context.close()
    return canvas, dict(zip(modes, samples, strict=True))


def shipped_bytes(dist: Path, manifest: dict):
    groups = {}
    for entry in manifest["files"]:
        path = entry["path"]
        group = ("NumPy extras (.tar.gz, lazy)" if path.startswith("pyodide/numpy") and entry.get("lazy") else
                 "NumPy (.tar.gz)" if path.startswith("pyodide/numpy") else
                 "pycore wheel" if path.startswith("pyodide/pycore") else
                 "start-up snapshot" if path == "pyodide/snapshot.bin.gz" else
                 "Pyodide core" if path.startswith("pyodide/") else
                 "model" if path.startswith("model/") else
                 "data (lazy)" if entry.get("lazy") else "page")
        raw = (dist / path).read_bytes()
        total = groups.setdefault(group, [0, 0, 0])
        total[0] += 1
        total[1] += len(raw)
        total[2] += len(gzip.compress(raw, 6))
    return groups


def summary(values):
    return f"median {statistics.median(values):7.2f}  p95 {percentile(values, 95):7.2f}"


def build_revision(ref: str, workdir: Path) -> Path:
    """dist/ of git revision ref, built by that revision's own build.py (runtime from the cache)."""
    tree = workdir / "previous"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    subprocess.run([sys.executable, "build.py"], cwd=tree, check=True, stdout=subprocess.DEVNULL)
    return tree / "dist"


def figures(browser, url, harness, args, rounds):
    """Every timing of one site, as {name: [values]}; rounds: this call's share of the runs."""
    out = {}
    if not args.no_starts:
        times, stages = cold_starts(browser, url, harness, rounds)
        out["cold start to ready, s"] = [t / 1000 for t in times]
        for name in stages[0]:
            out[f"  worker stage {name}, ms"] = [s[name] for s in stages]
        out["start from the service worker cache, s"] = [t / 1000 for t in cached_starts(browser, url, harness, rounds)]
    modes = ["off", "on"] if args.activations == "both" else [args.activations]
    _, runs = prediction_latency(browser, url, harness, max(1, args.predictions * rounds // args.starts), modes)
    for mode, samples in runs.items():
        for key, words in (("endToEnd", "end to end"), ("worker", "in the worker"),
                           ("preprocess", "  preprocessing"), ("forward", "  network")):
            out[f"activations {mode}: {words}, ms"] = [sample[key] for sample in samples]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--predictions", type=int, default=200)
    parser.add_argument("--activations", choices=["both", "on", "off"], default="both",
                        help="latency without (off) and/or with (on) the layers' activations")
    parser.add_argument("--no-starts", action="store_true", help="skip the start-up figures")
    parser.add_argument("--against", metavar="REF",
                        help="also build git revision REF (e.g. HEAD~1) and measure both builds in turn")
    args = parser.parse_args(argv)
    if args.starts < 1 or args.predictions < 1:
        parser.error("--starts and --predictions must be at least 1")
    from playwright.sync_api import sync_playwright

    workdir = harness.new_workdir()
    sites = [("this build", harness.build_and_serve(workdir))]
    if args.against:
        try:
            dist = build_revision(args.against, workdir)
        except subprocess.CalledProcessError as error:
            print(f"error: could not build {args.against}: {(error.stderr or b'').decode().strip()}", file=sys.stderr)
            return 1
        server, url = build.serve_in_thread(dist)
        sites.append((args.against, harness.Site(dist=dist, url=url, manifest=harness.manifest_of(dist),
                                                 server=server)))
    results = {name: {} for name, _ in sites}
    try:
        with sync_playwright() as playwright:
            browser = harness.launch(playwright)
            print(f"Chromium {browser.version}, model {harness.model_dir()}; " +
                  ", ".join(f"{name}: {site.url}" for name, site in sites))
            print("load average before: {:.2f} {:.2f} {:.2f} on {} CPUs (other work skews every figure)"
                  .format(*os.getloadavg(), os.cpu_count()))
            # the builds take turns, one start (and a share of the predictions) at a time,
            # so that other load on the machine falls on both alike
            for _ in range(args.starts):
                for name, site in sites:
                    for key, values in figures(browser, site.url, harness, args, 1).items():
                        results[name].setdefault(key, []).extend(values)
            print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
            browser.close()
    finally:
        for _, site in sites:
            site.close()

    names = [name for name, _ in sites]
    ratio = " (ratio of the medians: this build / the other)" if args.against else ""
    print(f"\nmedian / p95 of {args.starts} starts and {args.predictions} predictions of "
          f"{len(DIGITS)} drawn digits in turn, per build{ratio}")
    print(f"  {'':46s}" + "".join(f"{name[:22]:>24s}" for name in names) + ("   ratio" if args.against else ""))
    for key in results[names[0]]:
        columns = [results[name].get(key, []) for name in names]
        line = f"  {key:46s}" + "".join(
            f"  {statistics.median(v):9.2f} / {percentile(v, 95):9.2f}" if v else f"{'-':>24s}" for v in columns)
        if args.against and all(columns):
            line += f"   {statistics.median(columns[0]) / statistics.median(columns[1]):5.2f}"
        print(line)

    for name, site in sites:
        groups = shipped_bytes(site.dist, site.manifest)
        print(f"\nbytes shipped, {name} ({len(site.manifest['files'])} files in manifest.json):")
        for group, (files, raw, packed) in sorted(groups.items(), key=lambda item: -item[1][1]):
            print(f"  {group:17s} {files:3d} files  {raw / 1e6:7.2f} MB  gzip {packed / 1e6:6.2f} MB")
        raw = sum(g[1] for g in groups.values())
        packed = sum(g[2] for g in groups.values())
        print(f"  {'total':17s} {sum(g[0] for g in groups.values()):3d} files  {raw / 1e6:7.2f} MB  "
              f"gzip {packed / 1e6:6.2f} MB")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
