"""The page's source as the modules issue left it: the controller's module script (after
boot.js, which starts the worker early), relative imports with
their .js extension, no file over ~300 lines, and no module reaching for another's state
through globals."""
import re
from fractions import Fraction
from pathlib import Path

from train.drawing import PEN_WIDTH

WEB = Path(__file__).resolve().parents[2] / "web"
# the classic scripts: the worker, the service worker, and what the worker loads with importScripts
CLASSIC = ("worker.js", "sw.js", "downloads.js", "tar.js", "fetching.js", "files.js", "proxies.js", "lessons.js",
           "training.js", "novelty.js")
MODULES = sorted(p for p in WEB.glob("*.js") if p.name not in CLASSIC)


def test_index_loads_the_worker_starter_then_the_controller():
    html = (WEB / "index.html").read_text()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts == ['<script type="module" src="boot.js">', '<script type="module" src="app.js">']


def test_no_web_file_is_over_about_300_lines():
    sizes = {p.name: len(p.read_text().splitlines()) for p in WEB.iterdir() if p.suffix in (".js", ".css", ".html")}
    assert all(lines <= 310 for lines in sizes.values()), sizes


def test_relative_imports_name_their_js_file_and_it_exists():
    for module in MODULES:
        for target in re.findall(r'^import .* from "([^"]+)";$', module.read_text(), re.M):
            assert target.startswith("./") and target.endswith(".js"), (module.name, target)
            assert (WEB / target).is_file(), (module.name, target)


def test_every_module_is_reached_from_app_js():
    seen, todo = set(), ["app.js"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += [t[2:] for t in re.findall(r'from "(\./[^"]+)"', (WEB / name).read_text())]
    assert seen == {p.name for p in MODULES}


def test_only_the_controller_sets_a_window_global():
    for module in MODULES:
        globals_set = re.findall(r"\bwindow\.(\w+)\s*=", module.read_text())
        assert globals_set == ([] if module.name != "app.js" else ["mnistDraw"]), (module.name, globals_set)


def test_the_pads_pen_is_the_width_python_draws_with():
    match = re.search(r"^export const STROKE_WIDTH = (\d+) / (\d+);", (WEB / "pad.js").read_text(), re.M)
    assert match, "web/pad.js: STROKE_WIDTH = a / b"
    assert Fraction(int(match[1]), int(match[2])) == Fraction(PEN_WIDTH).limit_denominator(1000)


def test_the_worker_loads_every_classic_helper():
    worker = (WEB / "worker.js").read_text()
    loaded = re.findall(r'"([a-z]+\.js)"', re.search(r"importScripts\(([^)]*)\)", worker)[1])
    # downloads.js is a nested worker of its own, not loaded with importScripts
    assert sorted(loaded) == sorted(set(CLASSIC) - {"worker.js", "sw.js", "downloads.js"})
