"""Number mode in the browser: the built site in Debian's Chromium, figures printed, nothing asserted.

    python -m bench.numbers [--count 100]

Sends train.numbers' numbers (fresh seeds, as python -m train.numbers reads them in CPython)
to the page's worker as the number box's pixels (window.mnistDraw.classifyNumber) and prints,
by number length, the median of pycore's time splitting and preprocessing and in the network
(as the worker's Python timed it, the candidate parts' reads included) and of the round trip
from the page, the slowest round trip, and how many numbers the page read as the digits drawn.
"""
from __future__ import annotations

import argparse
import base64
import statistics
import sys

from bench.common import ready_page
from train import numbers

READ = """async ([width, height, data]) => {
    const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
    const started = performance.now();
    const { timings, digits } = await window.mnistDraw.classifyNumber(width, height, bytes.buffer);
    return { ms: performance.now() - started, ...timings, value: digits.map(d => d.digit).join("") };
}"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.numbers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100, help="how many numbers to read")
    args = parser.parse_args(argv)
    with ready_page() as page:
        rows = {}
        seeds = range(numbers.FRESH_SEED, numbers.FRESH_SEED + args.count)
        for digits, _, rgba in numbers.numbers(seeds):
            height, width = rgba.shape[:2]
            reply = page.evaluate(READ, [width, height, base64.b64encode(rgba.tobytes()).decode()])
            rows.setdefault(len(digits), []).append((reply, reply["value"] == "".join(map(str, digits))))
        print(f"\n{args.count} numbers, seeds {seeds.start}-{seeds.stop - 1}; medians in ms")
        print("digits  numbers  read right  split+preprocess  network  round trip  slowest")
        for length, replies in sorted(rows.items()):
            median = {key: statistics.median(reply[key] for reply, _ in replies) for key in ("split", "forward", "ms")}
            print(f"{length:6d}  {len(replies):7d}  {sum(right for _, right in replies):10d}"
                  f"  {median['split']:16.1f}  {median['forward']:7.1f}  {median['ms']:10.1f}"
                  f"  {max(reply['ms'] for reply, _ in replies):7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
