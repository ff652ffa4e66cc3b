"""Opening a 4000x3000 phone photo in the browser: the built site in Debian's Chromium,
figures printed, nothing asserted.

    python -m bench.pictures [--openings 7]

Makes the phone photo of tests/scenes.py (a 3 on a sheet in the middle of a 4000x3000
frame), has Chromium encode it as a JPEG (canvas.toBlob), then opens that file through
input#file again and again, as a user would. Prints the medians of
  - decode and draw: the file chosen to the picture painted into the box (web/pictures.js's
    marks "picture-chosen" and "picture-shown": createImageBitmap and the pad's drawing);
  - pycore's preprocessing in the worker, as its reply times it (pycore.pictures.digit_ink
    and the MNIST recipe, on the 200x200 input canvas), and the whole of Python's part;
  - the file chosen to the answer shown;
and CPython's preprocessing of the same 200x200 input (tests/scenes.page_input).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import print_load, served_site
from tests import scenes
from tests.e2e import harness

# {answered}: a promise of performance.now() once the page has rendered a prediction newer than n.
ANSWERED = """n => ({ answered: new Promise((done) => {
    const check = () => Number(document.body.dataset.predictions) > n && document.body.dataset.busy === "false";
    new MutationObserver((_, observer) => { if (check()) { observer.disconnect(); done(performance.now()); } })
        .observe(document.body, { attributes: true });
}) })"""
# The last opening's figures, from the page's marks and the timings it shows.
FIGURES = """async (waiting) => {
    const answered = await waiting.answered;
    const [chosen] = performance.getEntriesByName("picture-chosen").slice(-1);
    const [shown] = performance.getEntriesByName("picture-shown").slice(-1);
    const [, worker, preprocess] = document.querySelector("#timing").textContent
        .match(/Python: ([\\d.]+) ms \\(preprocessing ([\\d.]+)/);
    return { draw: shown.startTime - chosen.startTime, answer: answered - chosen.startTime,
             worker: Number(worker), preprocess: Number(preprocess) };
}"""


def cpython_preprocessing(pixels, repeats=20):
    """Median ms of pycore's preprocessing of an opened picture's input canvas in CPython."""
    from pycore.pictures import digit_ink
    from pycore.preprocess import mnist_from_ink
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        mnist_from_ink(digit_ink(pixels))
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def open_once(page, jpeg):
    before = harness.predictions(page)
    answered = page.evaluate_handle(ANSWERED, before)
    page.set_input_files("#file", files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": jpeg}])
    return page.evaluate(FIGURES, answered)


def report(page, jpeg, scene, openings):
    """Open the JPEG ``openings`` times and print the medians, then CPython's figure."""
    print(f"the photo: 4000x3000 JPEG, {len(jpeg) / 1e6:.1f} MB")
    runs = [open_once(page, jpeg) for _ in range(openings)]
    answer = int(np.argmax(harness.probabilities(page)))
    print(f"read as {answer} ({page.get_attribute('#answer', 'data-verdict')}), {openings} openings, medians in ms:")
    for key, words in (("draw", "decode and draw (page)"), ("preprocess", "preprocessing (pycore, worker)"),
                       ("worker", "Python's part (worker)"), ("answer", "file chosen -> answer shown")):
        print(f"  {words:32s} {statistics.median(run[key] for run in runs):8.1f}")
    print(f"  {'preprocessing (pycore, CPython)':32s} {cpython_preprocessing(scenes.page_input(scene.rgba)):8.1f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pictures", description=__doc__.split("\n\n")[0])
    parser.add_argument("--openings", type=int, default=7, help="how many times the photo is opened")
    args = parser.parse_args(argv)
    if args.openings < 1:
        parser.error("--openings must be at least 1")
    from playwright.sync_api import sync_playwright

    scene = scenes.phone_photo(3, 0)
    with served_site() as site, sync_playwright() as playwright, tempfile.TemporaryDirectory() as scratch:
        browser = harness.launch(playwright)
        try:
            print(f"site: {site.url}  (Chromium {browser.version})")
            print_load("before")
            page = harness.open_ready_page(browser, site.url)
            report(page, harness.jpeg_in_browser(page, scene.rgba, Path(scratch)), scene, args.openings)
            print_load("after")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
