"""What the browser benchmarks share: the site built from this checkout and served for the
run, and the machine's load, printed before and after (other work skews every figure)."""
from __future__ import annotations

import contextlib
import os
import shutil

from tests.e2e import harness


def percentile(values, q):
    """The q-th percentile of values, nearest rank (one of the values, no interpolation)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@contextlib.contextmanager
def served_site():
    """This checkout's site, built into a temporary folder and served on 127.0.0.1 while the
    block runs (harness.build_and_serve); closed and removed after."""
    workdir = harness.new_workdir()
    site = harness.build_and_serve(workdir)
    try:
        yield site
    finally:
        site.close()
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def ready_page():
    """The site served (served_site), Chromium started and one ready page of it, for the block;
    the site, Chromium's version and the load printed before it, the load after it."""
    from playwright.sync_api import sync_playwright

    with served_site() as site, sync_playwright() as playwright:
        browser = harness.launch(playwright)
        print(f"site: {site.url}  (Chromium {browser.version})")
        print_load("before")
        page = harness.open_ready_page(browser, site.url)
        try:
            yield page
            print_load("after")
        finally:
            page.context.close()
            browser.close()


def print_load(when: str) -> None:
    """'load average before: ...' (with the CPU count) or 'after'."""
    one, five, fifteen = os.getloadavg()
    cpus = f" on {os.cpu_count()} CPUs" if when == "before" else ""
    print(f"load average {when}: {one:.2f} {five:.2f} {fifteen:.2f}{cpus}")
