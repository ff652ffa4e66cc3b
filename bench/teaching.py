"""Teaching in the browser: the built site in Debian's Chromium, figures printed, nothing asserted.

    python -m bench.teaching [--lessons 30]

Draws digits with the mouse and teaches each to the page as a user would (button#teach, then
the digit), one lesson after another, waiting after each until the page has read the drawing
again and finished its leave-one-out check. Prints
  - the first lesson: the two data files fetched, their features prepared, the network adapted;
  - every later lesson: the worker's teaching step (pycore.teach.Tutor.set_examples on all the
    examples so far, as the worker timed it) and the page's end to end (click to the drawing
    read again), median and p95;
  - the leave-one-out pass and the MNIST check set figures after the last lesson.
The figures for CPython and the accuracy after teaching: python -m train.teaching.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench.common import percentile, ready_page
from tests.e2e import harness

# lessons: a European 1 (read as 7 as shipped) drawn at a few places, then other digits
EUROPEAN_ONE = [[(0.25, 0.36), (0.62, 0.12), (0.62, 0.88)]]
IDLE = "n => document.body.dataset.taught === String(n) && !document.querySelector('#teaching[data-busy]')"
# the page's checks after a lesson are done (one example has no leave-one-out)
CHECKED = ("() => /(taught the others: \\d|teach another)/.test(document.querySelector('#teach-status').textContent)"
           " && /MNIST check set/.test(document.querySelector('#teach-status').textContent)")


def drawing(lesson):
    if lesson % 2 == 0:
        dx = 0.02 * ((lesson // 2) % 7 - 3)
        return [[(x + dx, y) for x, y in stroke] for stroke in EUROPEAN_ONE], 1
    digit = "0123456789"[(lesson // 2) % 10]
    return harness.shape_points(digit), int(digit)


def lesson(page, strokes, digit, count):
    page.click("#clear")
    harness.draw_strokes(page, strokes)
    before = harness.predictions(page)
    began = time.perf_counter()
    page.click("#teach")
    page.click(f'[data-teach="{digit}"]')
    page.wait_for_function(IDLE, arg=count, timeout=180_000)
    harness.wait_prediction_after(page, before, timeout=180_000)
    end_to_end = (time.perf_counter() - began) * 1000
    page.wait_for_function(CHECKED, timeout=180_000)        # the worker free again
    return end_to_end, page.evaluate("window.mnistDraw.lesson")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.teaching", description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", type=int, default=30, help="how many examples to teach, one at a time")
    args = parser.parse_args(argv)
    if args.lessons < 2:
        parser.error("--lessons must be at least 2")
    with ready_page() as page:
        steps, ends, facts = [], [], None
        for n in range(args.lessons):
            end_to_end, facts = lesson(page, *drawing(n), n + 1)
            if n == 0:
                print(f"\nfirst lesson (data files fetched, features prepared, adapted): "
                      f"{end_to_end / 1000:.2f} s end to end, of which the teaching step {facts['ms']:.0f} ms")
            else:
                steps.append(facts["ms"])
                ends.append(end_to_end)
        print(f"lessons 2-{args.lessons}, ms:  teaching step in the worker  median {statistics.median(steps):6.0f}"
              f"  p95 {percentile(steps, 95):6.0f}  (max {max(steps):.0f})")
        print(f"{'':22s}end to end (click to read again)  median {statistics.median(ends):6.0f}"
              f"  p95 {percentile(ends, 95):6.0f}")
        print(f"after {facts['count']} examples: {page.inner_text('#teach-status')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
