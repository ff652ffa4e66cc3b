"""Installable and accessible (issue 5): the web app manifest and its icons, the light and
dark schemes, and an automated accessibility scan with axe-core."""
import hashlib
import io
import json
import struct
import subprocess
import tarfile

import pytest

import build
from tests.e2e import harness

AXE_SPEC = "axe-core@4.10.3"
AXE_TARBALL = "axe-core-4.10.3.tgz"
AXE_SHA256 = "0f2b4d7dcdf7d1219df8d1959ad68e565f51d14c3f0d88bb71cd59abeb956292"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_web_app_manifest_is_valid_and_its_icons_are_shipped(ready_page, site):
    page = ready_page
    href = page.get_attribute('link[rel="manifest"]', "href")
    assert href == "app.webmanifest"
    manifest = json.loads((site.dist / href).read_text())
    for key in ("name", "short_name", "start_url", "scope", "display", "icons",
                "theme_color", "background_color"):
        assert manifest.get(key), key
    assert manifest["display"] in ("standalone", "fullscreen", "minimal-ui")
    assert manifest["start_url"] == "./" and manifest["scope"] == "./"
    listed = {entry["path"] for entry in site.manifest["files"]}   # what the service worker caches
    assert href in listed
    sizes = set()
    for icon in manifest["icons"]:
        assert not icon["src"].startswith(("/", "http")), icon      # relative: works under a sub-path
        assert icon["src"] in listed and (site.dist / icon["src"]).is_file(), icon
        if icon["type"] == "image/png":
            width, height = png_size((site.dist / icon["src"]).read_bytes())
            assert icon["sizes"] == f"{width}x{height}"
            sizes.add((width, icon.get("purpose", "any")))
    assert {(192, "any"), (512, "any"), (512, "maskable")} <= sizes
    # the browser reads the same file, from this origin, as a manifest
    served = page.evaluate("""async href => {
        const response = await fetch(href);
        return [response.headers.get('content-type'), (await response.json()).name];
    }""", href)
    assert served == ["application/manifest+json", manifest["name"]]
    colours = page.eval_on_selector_all('meta[name="theme-color"]', "ms => ms.map(m => m.media)")
    assert sorted(colours) == ["(prefers-color-scheme: dark)", "(prefers-color-scheme: light)"]


def scheme_page(browser, site, scheme, bypass_csp=False, width=1000):
    return harness.open_ready_page(browser, site.url, recording=True, color_scheme=scheme, bypass_csp=bypass_csp,
                                   viewport={"width": width, "height": 900})


def test_dark_scheme_follows_the_system_and_leaves_the_network_input_alone(browser, site):
    inputs = {}
    for scheme in ("light", "dark"):
        page = scheme_page(browser, site, scheme)
        try:
            background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
            level = sum(map(int, background[background.index("(") + 1:-1].split(",")[:3])) / 3
            assert (level < 60) if scheme == "dark" else (level > 200), background
            harness.draw_strokes(page, harness.shape_points("7"))
            drawn = harness.canvas_rgba(page, "#draw")
            assert (drawn[:3, :3, :3] == 255).all()              # the box stays a white sheet...
            assert (drawn[..., 0] < 64).mean() > 0.01            # ... with dark ink on it
            inputs[scheme] = harness.canvas_rgba(page, "#network-input")
            assert harness.highlighted(page) == [7]
        finally:
            page.context.close()
    assert (inputs["light"] == inputs["dark"]).all()


@pytest.fixture(scope="module")
def axe_source():
    """axe.min.js from the pinned npm package, kept in the user cache and verified."""
    cache = build.cache_dir()
    tarball = cache / AXE_TARBALL
    if not tarball.is_file() or hashlib.sha256(tarball.read_bytes()).hexdigest() != AXE_SHA256:
        cache.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(["npm", "pack", AXE_SPEC, "--pack-destination", str(cache)],
                              capture_output=True, text=True)
        assert proc.returncode == 0 and tarball.is_file(), f"npm pack {AXE_SPEC} failed: {proc.stderr[-1000:]}"
    data = tarball.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != AXE_SHA256:
        tarball.unlink()
        pytest.fail(f"{tarball}: sha256 {digest}, expected {AXE_SHA256}")
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return archive.extractfile("package/axe.min.js").read().decode()


@pytest.mark.parametrize("scheme, width", [("light", 1000), ("dark", 1000), ("light", 390)],
                         ids=["light", "dark", "phone"])
def test_accessibility_scan_finds_nothing_serious(browser, site, axe_source, scheme, width):
    # axe is injected as a script: the scan's context bypasses the page's CSP (only there)
    page = scheme_page(browser, site, scheme, bypass_csp=True, width=width)
    try:
        harness.draw_strokes(page, harness.shape_points("0"))      # results and feature maps shown
        page.wait_for_selector("body[data-story=ready]")
        assert page.evaluate("document.documentElement.scrollWidth") == width   # no sideways scrolling
        page.hover('#maps-conv1 .map[data-index="2"]')
        page.add_script_tag(content=axe_source)
        results = page.evaluate("""async () => {
            const result = await axe.run(document, { resultTypes: ['violations'] });
            return result.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary) }));
        }""")
        serious = [v for v in results if v["impact"] in ("serious", "critical")]
        assert serious == [], json.dumps(serious, indent=1)
    finally:
        page.context.close()


@pytest.mark.parametrize("width", [320, 360])
def test_narrow_phones_get_no_sideways_scrolling(browser, site, width):
    # 360 px is the commonest Android width, 320 the smallest still in use
    page = scheme_page(browser, site, "light", width=width)
    try:
        harness.draw_strokes(page, harness.shape_points("7"))
        page.wait_for_selector("body[data-story=ready]")
        assert page.evaluate("document.documentElement.scrollWidth") == width
        for selector in ("#draw", "#clear", "#undo", "#open", "#hint"):
            box = page.locator(selector).bounding_box()
            assert 0 <= box["x"] and box["x"] + box["width"] <= width, (selector, box)
    finally:
        page.context.close()


# visible viewports (browser bars excluded) of common phones, as Playwright's device list has them
PHONES = {"iPhone SE": (320, 568), "iPhone 13": (390, 664), "iPhone 13 full screen": (390, 844), "Pixel 5": (393, 727),
          "Galaxy S8": (360, 740), "iPhone 14 Pro Max": (430, 740),
          "iPhone SE landscape": (568, 320), "iPhone 13 landscape": (750, 342),
          "Pixel 5 landscape": (802, 293), "iPhone 14 Pro Max landscape": (814, 380)}


@pytest.mark.parametrize("phone", PHONES)
def test_phones_show_the_whole_box_its_buttons_and_the_answer_without_scrolling(browser, site, phone):
    width, height = PHONES[phone]
    context = browser.new_context(service_workers="block", viewport={"width": width, "height": height},
                                  is_mobile=True, has_touch=True)
    try:
        page = harness.open_ready_page(context, site.url)
        harness.draw_strokes(page, harness.shape_points("3"))
        assert page.evaluate("window.scrollY") == 0
        for selector in ("#draw", "#clear", "#undo", "#open", "#crop", "#answer"):
            box = page.locator(selector).bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= height, (selector, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)
        assert page.locator("#draw").bounding_box()["height"] >= 120   # still room to draw
        if width < height:      # upright: the box takes most of the width
            assert page.locator("#draw").bounding_box()["width"] >= 0.8 * width
        rows = {page.locator(selector).bounding_box()["y"] for selector in ("#clear", "#undo", "#open", "#crop")}
        assert len(rows) == 1, rows        # one row of buttons: two would take room from the box
        assert page.get_by_role("button", name="Open a picture…").is_visible()   # also as "Open…"
        assert page.inner_text("#answer") == "3"
        if width < height and height >= 800:   # a tall phone upright: all ten classes too
            for digit in range(10):
                box = page.locator(f'[data-digit="{digit}"]').bounding_box()
                assert box["y"] + box["height"] <= height and box["x"] + box["width"] <= width, (digit, box)
    finally:
        context.close()
