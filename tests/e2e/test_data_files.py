"""The lazy data files (data/*.npz) in Chromium: not fetched on a first visit, fetched by the
worker when asked for (fetchDataset, the "dataset" request) and then kept by the service
worker for offline use and across a new build; a missing, damaged or unlisted file gives a
clear error."""
import base64
import hashlib
import json
import shutil
import time

import build
from tests.e2e import harness

REPLAY, CHECK = build.REPLAY_FILE, build.CHECK_FILE

# No test hook of the page's own worker takes a "dataset" request (the page has no use
# for one yet), so the test starts a worker of its own from the page, as the page would.
ASK = """async paths => {
    const worker = new Worker("worker.js");
    try {
        const replies = [];
        for (const [id, path] of paths.entries()) {
            replies.push(await new Promise((resolve) => {
                worker.onmessage = ({ data }) => {
                    if (data.type === "fatal" || data.id === id) resolve(data);
                };
                worker.postMessage({ id, type: "dataset", path });
            }));
        }
        return replies;
    } finally {
        worker.terminate();
    }
}"""

CACHED = """async () => {
    const out = {};
    for (const name of (await caches.keys()).filter((n) => n.startsWith("mnist-draw-"))) {
        out[name] = (await (await caches.open(name)).keys()).map((request) => request.url);
    }
    return out;
}"""


def ask(page, *paths):
    """The worker's replies to a "dataset" request for each path, in turn."""
    return page.evaluate(ASK, list(paths))


def cached(page) -> dict:
    """{cache name: [URL, ...]} of the site's caches."""
    return page.evaluate(CACHED)


def wait_for_cache(page, version, timeout_s=120):
    name = f"mnist-draw-{version}"
    for _ in range(timeout_s * 2):
        caches = cached(page)
        if list(caches) == [name]:
            return caches[name]
        page.wait_for_timeout(500)
    raise AssertionError(f"the caches are {list(cached(page))}, expected only {name}")


def kept(page, url) -> bytes:
    """The bytes the site's cache holds for url."""
    return base64.b64decode(page.evaluate("""async url => {
        const name = (await caches.keys()).find((n) => n.startsWith("mnist-draw-"));
        const bytes = new Uint8Array(await (await (await caches.open(name)).match(url)).arrayBuffer());
        let text = "";
        for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(text);
    }""", url))


def summary(path, count, classes):
    return {"type": "dataset", "path": path, "count": count, "classes": classes}


REPLAY_SUMMARY = summary(REPLAY, 2000, [200] * 10)


def test_first_visit_fetches_no_data_file_and_a_fetched_one_works_offline(browser, site):
    context = browser.new_context()   # service workers allowed
    try:
        page = harness.open_ready_page(context, site.url, recording=True)
        page.wait_for_selector("body[data-offline=ready]", timeout=60_000)
        urls = wait_for_cache(page, site.manifest["version"])
        assert not [url for url in page.requests if "/data/" in url], page.requests
        assert not [url for url in urls if "/data/" in url]
        assert any(url.endswith("pyodide/pyodide.asm.wasm.gz") for url in urls)

        assert ask(page, REPLAY) == [{**REPLAY_SUMMARY, "id": 0}]
        urls = wait_for_cache(page, site.manifest["version"])
        assert site.url + REPLAY in urls and site.url + CHECK not in urls
        assert kept(page, site.url + REPLAY) == (site.dist / REPLAY).read_bytes()   # checked before kept

        context.set_offline(True)
        page.reload()
        harness.wait_ready(page)
        replay, check = ask(page, REPLAY, CHECK)
        assert replay == {**REPLAY_SUMMARY, "id": 0}
        assert check["type"] == "error" and check["message"].startswith(f"{CHECK} could not be downloaded (")
    finally:
        context.close()


def test_a_file_fetched_before_the_service_worker_controls_the_page_works_offline_too(browser, site):
    """A lazy file asked for while no service worker controls the page (the seconds of a first
    visit before sw.js has installed: Start training pressed at once) came from the network
    past the service worker, which never kept it: offline, training then failed. The worker
    now keeps it in the cache of its version, which the service worker reads once installed."""
    context = browser.new_context()   # service workers allowed
    try:
        # sw.js held back (answered 404), so the page stays without a service worker.
        context.route("**/sw.js", lambda route: route.fulfill(status=404, body=b"not yet"))
        page = harness.open_ready_page(context, site.url)
        page.wait_for_selector("body[data-offline=unavailable]", timeout=60_000)
        assert page.evaluate("navigator.serviceWorker.controller") is None
        assert ask(page, REPLAY) == [{**REPLAY_SUMMARY, "id": 0}]
        name = f"mnist-draw-{site.manifest['version']}"
        for _ in range(40):                      # kept once the worker has replied: soon after
            if len(cached(page).get(name, [])) == 2:
                break
            page.wait_for_timeout(250)
        # the file asked for, and NumPy's extras, which reading it loaded (both lazy)
        assert cached(page) == {name: [site.url + REPLAY, site.url + site.manifest["numpy_extras"]]}
        assert kept(page, site.url + REPLAY) == (site.dist / REPLAY).read_bytes()

        context.unroute("**/sw.js")
        page.reload()
        harness.wait_ready(page)
        page.wait_for_selector("body[data-offline=ready]", timeout=60_000)
        assert site.url + REPLAY in wait_for_cache(page, site.manifest["version"])

        context.set_offline(True)
        page.reload()
        harness.wait_ready(page)
        assert page.evaluate("navigator.serviceWorker.controller !== null")
        assert ask(page, REPLAY) == [{**REPLAY_SUMMARY, "id": 0}]
    finally:
        context.close()


# Two workers ask for the same file at once, as the two training workers do at a start.
ASK_AT_ONCE = """async path => {
    const ask = () => new Promise((resolve) => {
        const worker = new Worker("worker.js");
        worker.onmessage = ({ data }) => {
            if (data.type === "fatal" || data.id === 1) {
                worker.terminate();
                resolve(data);
            }
        };
        worker.postMessage({ id: 1, type: "dataset", path });
    });
    return Promise.all([ask(), ask()]);
}"""


def test_a_file_two_workers_ask_for_at_once_is_downloaded_once(browser, site):
    """The service worker's lazy files: a request made while the file downloads shares that
    download (the training images, 8 MB, were downloaded twice at each first start)."""
    context = browser.new_context()   # service workers allowed
    downloads = []

    def slowly(route):
        # The first download held back 3 s, so that the second worker asks meanwhile (they start
        # Python at once, but not to the millisecond). Playwright waits too: a second request
        # from the service worker would be counted after it.
        downloads.append(route.request.url)
        if len(downloads) == 1:
            time.sleep(3)
        route.continue_()

    context.route(f"**/{build.TRAIN_FILE}", slowly)
    try:
        page = harness.open_ready_page(context, site.url)
        page.wait_for_selector("body[data-offline=ready]", timeout=60_000)
        wait_for_cache(page, site.manifest["version"])
        replies = page.evaluate(ASK_AT_ONCE, build.TRAIN_FILE)
        assert [(reply["type"], reply.get("count")) for reply in replies] == [("dataset", 50_000)] * 2, replies
        assert downloads == [site.url + build.TRAIN_FILE]
        assert kept(page, site.url + build.TRAIN_FILE) == (site.dist / build.TRAIN_FILE).read_bytes()
    finally:
        context.close()


def test_the_check_file_loads_in_the_worker(ready_page):
    check = ask(ready_page, CHECK)[0]
    assert check["count"] == 1000 and sum(check["classes"]) == 1000
    assert all(80 <= count <= 130 for count in check["classes"]), check


def test_a_missing_damaged_unusable_or_unlisted_file_gives_a_clear_error(context, site):
    """Service workers blocked, so every request reaches the routes."""
    unusable = b"bytes with the listed sha256, but no npz"
    manifest = json.loads((site.dist / "manifest.json").read_text())
    manifest["files"].append({"path": "data/unusable.npz", "bytes": len(unusable),
                              "sha256": hashlib.sha256(unusable).hexdigest(), "lazy": True})
    context.route("**/manifest.json", lambda route: route.fulfill(
        status=200, body=json.dumps(manifest), content_type="application/json"))
    context.route(f"**/{REPLAY}", lambda route: route.fulfill(status=404, body=b"not found"))
    context.route(f"**/{CHECK}", lambda route: route.fulfill(status=200, body=damaged(site.dist / CHECK)))
    context.route("**/data/unusable.npz", lambda route: route.fulfill(status=200, body=unusable))
    page = harness.open_ready_page(context, site.url)
    replies = ask(page, REPLAY, CHECK, "data/unusable.npz", "data/nothing.npz")
    assert [reply["type"] for reply in replies] == ["error"] * 4, replies
    missing, bad, unusable, unlisted = (reply["message"] for reply in replies)
    assert missing == f"{REPLAY} could not be downloaded (HTTP 404)"
    listed = next(entry["sha256"] for entry in manifest["files"] if entry["path"] == CHECK)
    assert bad.startswith(f"{CHECK} is damaged: its sha256 is ") and bad.endswith(f"manifest.json lists {listed}")
    assert unusable.startswith("data/unusable.npz is not a usable data file: ") and "not a readable .npz" in unusable
    assert unlisted == "data/nothing.npz could not be downloaded: manifest.json does not list it"


def damaged(path):
    """The file with one byte of an image flipped."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    return bytes(data)


def test_a_new_build_keeps_a_fetched_data_file(browser, tmp_path):
    models = tmp_path / "model"
    shutil.copytree(harness.model_dir(), models)
    dist = tmp_path / "dist"
    first = build.build(dist=dist, model_dir=models)
    server, url = build.serve_in_thread(dist)
    context = browser.new_context()
    try:
        page = harness.open_ready_page(context, url)
        page.wait_for_selector("body[data-offline=ready]", timeout=60_000)
        wait_for_cache(page, first["version"])
        assert ask(page, REPLAY) == [{**REPLAY_SUMMARY, "id": 0}]
        assert url + REPLAY in wait_for_cache(page, first["version"])

        (models / "NOTE.txt").write_text("a new build\n")          # any change is a new version
        second = build.build(dist=dist, model_dir=models)
        assert second["version"] != first["version"]
        assert [e for e in second["files"] if e.get("lazy")] == [e for e in first["files"] if e.get("lazy")]
        (dist / REPLAY).unlink()                    # from now on only the cache can answer
        page.reload()                               # the browser checks sw.js
        urls = wait_for_cache(page, second["version"])
        assert url + REPLAY in urls and url + CHECK not in urls
        assert url + second["numpy_extras"] in urls             # NumPy's extras, lazy too, carried over
        harness.wait_ready(page)
        assert ask(page, REPLAY) == [{**REPLAY_SUMMARY, "id": 0}]
    finally:
        context.close()
        server.shutdown()
        server.server_close()
