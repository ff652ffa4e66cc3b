"""First and repeat visits as a phone on a mobile network would make them: figures printed,
nothing asserted.

    python -m bench.visit [--hosts pages,text,identity] [--networks none,fast4g,slow4g]
                          [--visits 1] [--against REF]

Builds this checkout (and with --against, git revision REF with its own build.py, as
bench.browser does) and serves each dist/ the way static hosts do:

    pages     gzip for what GitHub Pages compresses (mime-db's "compressible" types: HTML,
              JavaScript, CSS, JSON, SVG, the web app manifest, application/wasm and
              unknown types such as .npz), never .zip, .whl, .gz or PNG
    text      gzip for text only (HTML, JavaScript, CSS, JSON, SVG, the manifest)
    identity  nothing compressed

Chromium (fresh profile per visit, service workers allowed) gets the network through CDP
(Network.emulateNetworkConditions, which also holds back the page's Web Worker):

    none      localhost as it is
    fast4g    9 Mbps down, 1.5 Mbps up, 165 ms round trip
    slow4g    1.6 Mbps down, 0.75 Mbps up, 150 ms round trip

For each host, network and build, --visits times: the bytes the server sent for the
requests made before the page asked for sw.js, which it registers once ready (bodies as
sent, gzip or not: what a first visit transfers before it can answer), first paint
(first-contentful-paint), time to ready (the page's "mnist-ready" mark); then, with the
emulation lifted, the service worker's precaching is awaited (its
bytes are printed apart: it downloads the site again, after the start) and the page is
opened again under the same network: the repeat visit's time to ready. Builds take turns
visit by visit, so other load on the machine falls on both alike.
"""
from __future__ import annotations

import argparse
import functools
import gzip
import statistics
import subprocess
import sys
import threading
from pathlib import Path

import build
from bench.browser import build_revision
from tests.e2e import harness

NETWORKS = {   # CDP units: bytes per second, milliseconds
    "none": None,
    "fast4g": {"latency": 165, "downloadThroughput": 9_000_000 / 8, "uploadThroughput": 1_500_000 / 8},
    "slow4g": {"latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8},
}
TEXT = ("text/", "application/javascript", "application/json", "application/manifest+json", "image/svg+xml")
HOSTS = {
    "pages": lambda mime: mime.startswith(TEXT) or mime in ("application/wasm", "application/octet-stream"),
    "text": lambda mime: mime.startswith(TEXT),
    "identity": lambda mime: False,
}
VISIT_TIMEOUT_MS = 300_000


class Counter:
    """Bytes sent, split at the request for sw.js: the page registers its service worker
    once it is ready, so what was asked for before that is the start's own, and what the
    service worker precaches after it is not counted as the start's."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = [0, 0]          # before sw.js was asked for, after
        self.after = False

    def begin(self, path):
        """The part a request asked for now counts in (0 or 1)."""
        with self.lock:
            if path.rstrip("/").endswith("/sw.js") or path == "/sw.js":
                self.after = True
            return int(self.after)

    def add(self, part, n):
        with self.lock:
            self.sent[part] += n

    def take(self):
        """(before, after) since the last take; the next requests count as before again."""
        with self.lock:
            sent, self.sent, self.after = tuple(self.sent), [0, 0], False
        return sent


class HostHandler(build.SiteHandler):
    """build.py's handler (MIME types, no-cache, the CSP header), bodies gzipped as the
    host would (compress(mime) -> bool), every body's bytes counted."""

    compress = staticmethod(lambda mime: False)
    counter: Counter = None
    gzipped: dict = None             # path -> gzip bytes, made once

    def do_GET(self):
        part = self.counter.begin(self.path.split("?")[0])
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            self.send_error(404)
            return
        mime = self.guess_type(str(path))
        body = path.read_bytes()
        gzipped = self.compress(mime) and "gzip" in self.headers.get("Accept-Encoding", "")
        if gzipped:
            body = self.gzipped.setdefault(str(path), gzip.compress(body, 6, mtime=0))
        self.send_response(200)
        self.send_header("Content-Type", mime)
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (ConnectionError, TimeoutError):
            return
        self.counter.add(part, len(body))


def serve(dist: Path, host: str):
    counter = Counter()
    policy = build.content_security_policy(dist / "index.html")
    handler = type("Handler", (HostHandler,), {"quiet": True, "policy": policy, "counter": counter,
                                               "compress": staticmethod(HOSTS[host]), "gzipped": {}})
    server = build.SiteServer(("127.0.0.1", 0), functools.partial(handler, directory=str(dist)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/", counter


def emulate(page, network):
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    conditions = NETWORKS[network]
    session.send("Network.emulateNetworkConditions", {"offline": False, **(conditions or {
        "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})})
    return session


def visit(browser, url, counter, network):
    """One first visit and one repeat visit: {figure: value}."""
    context = browser.new_context()
    page = context.new_page()
    session = emulate(page, network)
    counter.take()
    page.goto(url)
    harness.wait_ready(page, VISIT_TIMEOUT_MS)
    times = page.evaluate("""() => ({
        ready: performance.getEntriesByName('mnist-ready')[0].startTime,
        paint: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime ?? null,
        stages: window.mnistDraw.info.stageMs, startMs: window.mnistDraw.info.startMs })""")
    session.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                      "downloadThroughput": -1, "uploadThroughput": -1})
    page.wait_for_selector("body[data-offline=ready]", timeout=VISIT_TIMEOUT_MS)
    sent, precached = counter.take()
    repeat = context.new_page()
    emulate(repeat, network)
    page.close()
    repeat.goto(url)
    harness.wait_ready(repeat, VISIT_TIMEOUT_MS)
    repeat_ms = repeat.evaluate("performance.getEntriesByName('mnist-ready')[0].startTime")
    repeat_sent = sum(counter.take())
    context.close()
    return {"first visit, MB sent until ready": sent / 1e6, "first paint, s": (times["paint"] or 0) / 1000,
            "ready, s": times["ready"] / 1000,
            "  the worker's start, s": times["startMs"] / 1000,
            **{f"    {name}, s": ms / 1000 for name, ms in times["stages"].items()},
            "repeat visit ready, s": repeat_ms / 1000,
            "repeat visit, MB sent": repeat_sent / 1e6, "service worker precaching, MB": precached / 1e6}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.visit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", default="pages,text", help=f"comma-separated, of {', '.join(HOSTS)}")
    parser.add_argument("--networks", default="none,fast4g,slow4g", help=f"comma-separated, of {', '.join(NETWORKS)}")
    parser.add_argument("--visits", type=int, default=1, help="visits per host, network and build (median)")
    parser.add_argument("--against", metavar="REF", help="also build git revision REF and visit both in turn")
    args = parser.parse_args(argv)
    hosts, networks = args.hosts.split(","), args.networks.split(",")
    if set(hosts) - set(HOSTS) or set(networks) - set(NETWORKS) or args.visits < 1:
        parser.error(f"--hosts of {', '.join(HOSTS)}, --networks of {', '.join(NETWORKS)}, --visits >= 1")

    from playwright.sync_api import sync_playwright

    workdir = harness.new_workdir()
    dists = [("this build", workdir / "dist")]
    build.build(dist=dists[0][1], model_dir=harness.model_dir())
    if args.against:
        try:
            dists.append((args.against, build_revision(args.against, workdir)))
        except subprocess.CalledProcessError as error:
            print(f"error: could not build {args.against}: {(error.stderr or b'').decode().strip()}", file=sys.stderr)
            return 1
    with sync_playwright() as playwright:
        browser = harness.launch(playwright)
        for host in hosts:
            servers = [(name, *serve(dist, host)) for name, dist in dists]
            for network in networks:
                results = {name: [] for name, *_ in servers}
                for _ in range(args.visits):
                    for name, _server, url, counter in servers:
                        results[name].append(visit(browser, url, counter, network))
                print(f"\nhost {host}, network {network} (median of {args.visits})")
                print(f"  {'':36}" + "".join(f"{name:>14}" for name in results))
                for figure in results[dists[0][0]][0]:
                    cells = [statistics.median(r[figure] for r in results[name]) for name in results]
                    print(f"  {figure:36}" + "".join(f"{value:14.2f}" for value in cells), flush=True)
            for _name, server, _url, _counter in servers:
                server.shutdown()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
