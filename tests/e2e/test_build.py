"""What build.py puts in dist/ and how `serve` serves it (no browser needed)."""
import ast
import base64
import dis
import gzip
import hashlib
import html.parser
import importlib.util
import io
import json
import marshal
import re
import tarfile
import types
import urllib.request
import zipfile

import numpy as np
import pytest

import build
from tests.e2e import harness


def test_manifest_lists_every_file_with_size_and_hash(site):
    listed = {entry["path"]: entry for entry in site.manifest["files"]}
    on_disk = {p.relative_to(site.dist).as_posix() for p in site.dist.rglob("*") if p.is_file()}
    assert set(listed) == on_disk - {"manifest.json"}
    for path, entry in listed.items():
        data = (site.dist / path).read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    for required in ("index.html", "app.js", "worker.js", "sw.js", "model/mnist-cnn.npz",
                     "model/metrics.json", "pyodide/pyodide.js", "pyodide/pyodide.asm.js",
                     "pyodide/pyodide.asm.wasm.gz", "pyodide/python_stdlib.zip.gz",
                     "pyodide/pyodide-lock.json", "pyodide/snapshot.bin.gz", site.manifest["pycore_wheel"],
                     "app.webmanifest", "favicon.svg", "icons/icon-192.png", "icons/icon-512.png",
                     "icons/icon-maskable-512.png"):
        assert required in listed
    # what the service worker also keeps gunzipped, and as what (web/sw.js's keepGunzipped)
    assert {path: entry["gunzip"] for path, entry in listed.items() if "gunzip" in entry} == {
        "pyodide/pyodide.asm.wasm.gz": "application/wasm", "pyodide/python_stdlib.zip.gz": "application/zip",
        "pyodide/snapshot.bin.gz": "application/octet-stream"}


def test_stylesheets_are_inlined_and_allowed_by_their_hashes(site):
    """The first paint waits for index.html alone: its stylesheets are in it, each allowed by
    its sha256 in the policy (a changed byte would be refused, which the page tests would see
    as an unstyled page and a console error), and their files are not shipped."""
    text = (site.dist / "index.html").read_text(encoding="utf-8")
    linked = build.STYLESHEET_LINK.findall((build.WEB / "index.html").read_text(encoding="utf-8"))
    assert linked and build.STYLESHEET_LINK.search(text) is None
    styles = re.findall(r"<style>(.*?)</style>", text, re.DOTALL)
    assert styles == [(build.WEB / name).read_text(encoding="utf-8") for name in linked]
    policy = build.content_security_policy(site.dist / "index.html")
    for css in styles:
        assert "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'" in policy
    assert not any((site.dist / name).exists() for name in linked)


def test_worker_holds_its_helper_scripts_in_order(site):
    """The built worker.js has the classic scripts it loads with importScripts in their
    place, in their order (no request each); the files are still shipped."""
    source = (build.WEB / "worker.js").read_text(encoding="utf-8")
    built = (site.dist / "worker.js").read_text(encoding="utf-8")
    names = re.findall(r'"([a-z]+\.js)"', build.WORKER_IMPORTS.search(source)[1])
    assert len(names) >= 5 and build.WORKER_IMPORTS.search(built) is None
    places = [built.index((build.WEB / name).read_text(encoding="utf-8")) for name in names]
    assert places == sorted(places) and places[0] > built.index("const wasmRequest")
    assert all((site.dist / name).is_file() for name in names)


def test_runtime_files_are_the_pinned_ones(site):
    """The wasm gzipped (gunzipped in the worker, for hosts that compress only text), the
    rest as they are; python_stdlib.zip is the build's own (below)."""
    for name, digest in build.PYODIDE_CORE.items():
        if name in ("pyodide-lock.json", "python_stdlib.zip"):
            continue
        if name in build.GZIPPED_RUNTIME:
            assert not (site.dist / "pyodide" / name).exists()
            data = gzip.decompress((site.dist / "pyodide" / f"{name}.gz").read_bytes())
            assert hashlib.sha256(data).hexdigest() == digest
        else:
            assert build.sha256_file(site.dist / "pyodide" / name) == digest


def code_objects(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from code_objects(const)


def docstrings(tree):
    """The docstrings of a module's source: its own, its classes' and its functions'."""
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {doc for node in ast.walk(tree) if isinstance(node, kinds)
            if (doc := ast.get_docstring(node, clean=False)) is not None}


JUMPS = set(dis.hasjrel) | set(dis.hasjabs)


def instructions(code):
    """Each code object's instructions, without NOPs and jump offsets (-OO leaves a NOP where
    a docstring was, the build drops it), a nested code object by its name (it comes next)."""
    def argument(ins):
        if ins.opcode in JUMPS:
            return None
        return ins.argval.co_qualname if isinstance(ins.argval, types.CodeType) else ins.argval
    return [[(ins.opname, argument(ins))
             for ins in dis.get_instructions(each) if ins.opname != "NOP"]
            for each in code_objects(code)]


def constants(code):
    return {const for each in code_objects(code) for const in each.co_consts if isinstance(const, str)}


def test_stdlib_zip_holds_members_of_the_pinned_one_compiled(site):
    """python_stdlib.zip (shipped gzipped): the modules the worker's code paths import
    (build.record_used_files), a fraction of the ~510, each the pinned zip's source compiled
    to an unchecked hash-based .pyc for this Python 3.12: lines without columns, and
    docstrings only in Pyodide's own modules. Checked against this Python's own compiler,
    not the build's code: a module without asserts must be what `python -OO` makes of it
    (no docstrings, the same instructions but NOPs); Pyodide's own what plain `python` makes; and no
    other module may hold a docstring of its source."""
    assert not (site.dist / "pyodide" / "python_stdlib.zip").exists()
    raw = gzip.decompress((site.dist / "pyodide" / "python_stdlib.zip.gz").read_bytes())
    pinned = build.fetch_pyodide_core(build.cache_dir()) / "python_stdlib.zip"
    against_oo = 0
    with zipfile.ZipFile(pinned) as full, zipfile.ZipFile(io.BytesIO(raw)) as shipped:
        names = shipped.namelist()
        assert 60 < len(names) < 250 < len(full.namelist())
        for name in names:
            data, source = shipped.read(name), full.read(name.removesuffix("c"))
            assert name.endswith(".pyc") and data[:4] == importlib.util.MAGIC_NUMBER, name
            assert int.from_bytes(data[4:8], "little") == 0b01, name          # hash-based, unchecked
            assert data[8:16] == importlib.util.source_hash(source), name
            shipped_code = marshal.loads(data[16:])
            tree = ast.parse(source)
            assert all(column is None for code in code_objects(shipped_code)
                       for _, _, column, _ in code.co_positions()), name
            if name.startswith(("_pyodide/", "pyodide/")):
                expected = compile(source, name, "exec", dont_inherit=True)
            else:
                assert not docstrings(tree) & constants(shipped_code), f"{name} keeps a docstring"
                if any(isinstance(node, ast.Assert) for node in ast.walk(tree)):
                    continue            # -OO would drop its asserts too; the build keeps them
                expected = compile(source, name, "exec", dont_inherit=True, optimize=2)
                against_oo += 1
            assert instructions(shipped_code) == instructions(expected), name
        docs = {name: marshal.loads(shipped.read(name)[16:]).co_consts[0] for name in ("json/__init__.pyc",
                                                                                    "_pyodide/_base.pyc")}
    assert against_oo > len(names) / 2                 # most modules checked instruction by instruction
    assert isinstance(docs["_pyodide/_base.pyc"], str) and not str(docs["json/__init__.pyc"]).startswith("JSON")
    for needed in ("json/__init__.pyc", "zipfile/__init__.pyc", "random.pyc", "traceback.pyc", "_pyodide/_base.pyc"):
        assert needed in names
    assert "email/__init__.pyc" not in names and "tarfile.pyc" not in names and "csv.pyc" not in names


def test_without_docstrings_keeps_everything_else():
    tree = ast.parse('''"""module doc"""
def f():
    """f's doc"""
class C:
    "C's doc"
    x = "not a doc"
async def g():
    "only a doc"
''')
    namespace = {}
    exec(compile(build.without_docstrings(tree), "m", "exec"), namespace)
    assert namespace.get("__doc__") is None and namespace["f"].__doc__ is None and namespace["C"].__doc__ is None
    assert namespace["C"].x == "not a doc" and namespace["g"].__doc__ is None and namespace["f"]() is None


def archive_files(path):
    with tarfile.open(path, "r:gz") as shipped:
        members = shipped.getmembers()
        assert all(m.isfile() and not m.name.startswith("/") and ".." not in m.name.split("/")
                   for m in members)
        return {m.name: shipped.extractfile(m).read() for m in members}


def test_numpy_archives_are_part_of_the_pinned_wheel_py_compiled(site):
    """dist's two numpy .tar.gz hold files of the pinned wheel unchanged, each .py as its
    .pyc: the start's, what the start, predictions and pictures read; the extras (lazy), what
    only teaching and training read (numpy.random, numpy.fft); not the other ~240; plain
    files only, with relative names, as the worker's untar accepts."""
    pinned = build.fetch_numpy_wheel(build.cache_dir())
    assert build.sha256_file(pinned) == build.NUMPY_SHA256
    with zipfile.ZipFile(pinned) as source:
        before = {i.filename: source.read(i) for i in source.infolist() if not i.is_dir()}
    start = archive_files(site.dist / "pyodide" / build.NUMPY_ARCHIVE)
    extras = archive_files(site.dist / site.manifest["numpy_extras"])
    assert site.manifest["numpy_extras"] == f"pyodide/{build.NUMPY_EXTRAS}"
    assert not set(start) & set(extras)
    after = {**start, **extras}
    assert 50 < len(after) < len(before) / 2
    for name, data in after.items():
        if name.endswith(".pyc"):
            assert name[:-1] in before and data[:4] == importlib.util.MAGIC_NUMBER, name
        else:
            assert after[name] == before[name], name
    for needed in ("numpy/__init__.pyc", "numpy/_core/_multiarray_umath.cpython-312-wasm32-emscripten.so",
                   "numpy/lib/format.pyc"):
        assert needed in start
    # numpy/ma: np.median and np.quantile reach it; pycore reads quantiles its own way
    # (preprocess.quantile), so no code path imports it
    assert not any(name.startswith("numpy/ma/") for name in after)
    for needed in ("numpy/fft/_pocketfft.pyc", "numpy/random/__init__.pyc",
                   "numpy/random/_generator.cpython-312-wasm32-emscripten.so"):
        assert needed in extras
    assert not any(name.startswith(("numpy/random/", "numpy/fft/")) for name in start)
    assert not any(name.startswith(("numpy/polynomial/", "numpy/f2py/", "numpy/testing/"))
                   for name in after)
    lock = json.loads((site.dist / "pyodide" / "pyodide-lock.json").read_text())
    assert lock["packages"]["numpy"]["file_name"] == build.NUMPY_ARCHIVE
    assert lock["packages"]["numpy"]["sha256"] == build.sha256_file(site.dist / "pyodide" / build.NUMPY_ARCHIVE)


def shipped_paths_config(site, tmp_path, snapshot=True, **extra):
    """build.RUNTIME_SCRIPT's files for dist/ as shipped: its runtime (the wasm gunzipped, as
    the worker does), reduced python_stdlib.zip and NumPy archives (the extras unpacked after
    the predictions), its pycore wheel, model and data files (and its snapshot, gunzipped)."""
    shipped = site.dist / "pyodide"
    runtime = tmp_path / "runtime"
    runtime.mkdir(exist_ok=True)
    for path in shipped.iterdir():
        if path.name.removesuffix(".gz") in build.GZIPPED_RUNTIME:
            (runtime / path.name.removesuffix(".gz")).write_bytes(gzip.decompress(path.read_bytes()))
        elif not (runtime / path.name).exists():
            (runtime / path.name).symlink_to(path)
    config = build.exercise_config(runtime, shipped / build.NUMPY_ARCHIVE, site.dist / site.manifest["pycore_wheel"],
                                   site.dist)
    config["extras"] = str(site.dist / site.manifest["numpy_extras"])
    if snapshot:
        raw = tmp_path / "snapshot.bin"
        raw.write_bytes(gzip.decompress((shipped / "snapshot.bin.gz").read_bytes()))
        config["snapshot"] = str(raw)
    return {**config, **extra}


@pytest.fixture(scope="module")
def shipped_run(site, tmp_path_factory):
    """The worker's code paths (start, predictions, pictures, teaching, training, errors)
    run in Node on dist/'s reduced files, restored from the shipped snapshot."""
    return build.node_script("check", shipped_paths_config(site, tmp_path_factory.mktemp("check")), "the check")


def test_the_worker_code_paths_run_on_the_shipped_files(shipped_run):
    ran = shipped_run["ran"]
    assert "not a readable .npz" in ran["predictions"]["refused"]
    assert ran["predictions"]["novelty"]        # the verdict's statistics given to the classifier
    assert "not a readable statistics file" in ran["predictions"]["refusedStatistics"]
    assert ran["teaching"]["count"] == 2000 and ran["teaching"]["counts"] == 10
    assert "DatasetError" in ran["teaching"]["refused"]
    assert ran["training"]["images"] >= 32 and ran["training"]["reading"]
    assert "learning rate" in ran["training"]["refused"]


def test_the_worker_code_paths_run_without_the_snapshot(site, tmp_path):
    ran = build.node_script("check", shipped_paths_config(site, tmp_path, snapshot=False), "the check")["ran"]
    assert ran["training"]["reading"] and ran["teaching"]["count"] == 2000


def test_a_module_that_was_not_shipped_fails_the_check(site, tmp_path):
    for module in ("csv", "numpy.polynomial"):
        with pytest.raises(build.BuildError, match=f"ModuleNotFoundError: No module named '{module}'"):
            build.node_script("check", shipped_paths_config(site, tmp_path, imports=[module]), "the check")


def test_the_start_archive_alone_predicts_but_cannot_import_numpy_random(site, tmp_path):
    """Without NumPy's extras the start and predictions run (the start needs no more), and
    numpy.random and numpy.fft are not there: they come with ensureExtras."""
    alone = shipped_paths_config(site, tmp_path, extras=None, learning=False)
    ran = build.node_script("check", alone, "the check")["ran"]
    assert "not a readable .npz" in ran["predictions"]["refused"] and "teaching" not in ran
    for module in ("numpy.random", "numpy.fft"):
        with pytest.raises(build.BuildError, match=f"ModuleNotFoundError: No module named '{module}'"):
            build.node_script("check", {**alone, "imports": [module]}, "the check")


def pycore_imports():
    """(file, module) for every absolute import in pycore/, at any depth (a function's too)."""
    for path in sorted(build.PYCORE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                yield from ((path.name, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                yield path.name, node.module
                yield from ((path.name, f"{node.module}.{alias.name}") for alias in node.names)


def test_every_import_in_pycore_resolves_in_the_shipped_files(site, shipped_run):
    """Each module pycore imports is a built-in or frozen module of Pyodide, or a file of the
    shipped python_stdlib.zip or NumPy archive (a `from m import name` may name an attribute)."""
    raw = gzip.decompress((site.dist / "pyodide" / "python_stdlib.zip.gz").read_bytes())
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        files = {name.removesuffix("c") for name in z.namelist()}
    for archive in (build.NUMPY_ARCHIVE, build.NUMPY_EXTRAS):
        with tarfile.open(site.dist / "pyodide" / archive, "r:gz") as t:
            files |= {name.removesuffix("c") for name in t.getnames()}
    builtin = set(shipped_run["builtin"])

    def shipped(module):
        path = module.replace(".", "/")
        return module in builtin or {f"{path}.py", f"{path}/__init__.py"} & files or any(
            name.startswith(f"{path}.cpython-312") for name in files)

    found = list(pycore_imports())
    assert len(found) > 30
    for name, module in found:
        parent = module.rpartition(".")[0]
        if module.split(".")[0] != "pycore":
            assert shipped(module) or (parent and shipped(parent)), f"{name} imports {module}, which is not shipped"


def test_service_worker_is_versioned_by_the_manifest(site):
    sw = (site.dist / "sw.js").read_text()
    version = site.manifest["version"]
    assert f'"{version}"' in sw and "__MANIFEST_VERSION__" not in sw
    others = [e for e in site.manifest["files"] if e["path"] != "sw.js"]
    expected = hashlib.sha256(json.dumps(others, sort_keys=True).encode()).hexdigest()[:16]
    assert version == expected


def test_model_files_are_copied_unchanged(site):
    for name in ("mnist-cnn.npz", "metrics.json"):
        assert (site.dist / "model" / name).read_bytes() == (harness.model_dir() / name).read_bytes()


def test_icons_are_reproducible_pngs(site, tmp_path):
    for path in build.write_icons(tmp_path):
        name = path.relative_to(tmp_path).as_posix()
        assert path.read_bytes() == (site.dist / name).read_bytes()
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pycore_wheel_is_reproducible(site, tmp_path):
    again = build.build_pycore_wheel(tmp_path)
    assert again.read_bytes() == (site.dist / site.manifest["pycore_wheel"]).read_bytes()


@pytest.mark.parametrize("path, mime", [("", "text/html"), ("app.js", "text/javascript"),
                                        ("pyodide/pyodide.asm.wasm.gz", "application/gzip"),
                                        ("manifest.json", "application/json"),
                                        ("model/mnist-cnn.npz", "application/octet-stream")])
def test_served_with_the_right_mime_type(site, path, mime):
    with urllib.request.urlopen(site.url + path) as response:
        assert response.headers["Content-Type"].split(";")[0] == mime
        assert response.headers["Content-Security-Policy"] == build.content_security_policy(site.dist / "index.html")


class MetaPolicy(html.parser.HTMLParser):
    """The content of a page's <meta http-equiv="Content-Security-Policy">, read as a browser does."""
    policy = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "content-security-policy":
            self.policy = attrs.get("content")


def test_served_policy_header_is_the_pages_meta(site):
    """The policy is written once, in index.html; serve sends that very policy as a header."""
    with urllib.request.urlopen(site.url) as response:
        header = response.headers["Content-Security-Policy"]
        reader = MetaPolicy()
        reader.feed(response.read().decode())
    assert reader.policy and "default-src 'none'" in reader.policy
    assert header == reader.policy


def test_dist_is_readable_by_a_server_running_as_another_user(site):
    folders = [site.dist, *(path for path in site.dist.rglob("*") if path.is_dir())]
    files = [path for path in site.dist.rglob("*") if path.is_file()]
    assert {path.stat().st_mode & 0o777 for path in folders} == {0o755}
    assert {path.stat().st_mode & 0o777 for path in files} == {0o644}


def test_hash_mismatch_stops_the_build_naming_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")      # pip download finds nothing, quickly
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    bad = tmp_path / "numpy.whl"
    bad.write_bytes(b"not numpy")
    cache = tmp_path / "cache"
    (cache).mkdir()
    with pytest.raises(build.BuildError) as error:
        # a wrong local file, an unreachable release location, no index for pip
        build.fetch_numpy_wheel(cache, user_path=bad, release_url="http://127.0.0.1:9/")
    message = str(error.value)
    assert build.NUMPY_WHEEL in message and "hash mismatch" in message and str(bad) in message
    assert "127.0.0.1:9" in message and "pip download" in message
    assert not (cache / build.NUMPY_WHEEL).exists()


# ------------------------------------------------------------------ the lazy data files

DATA_FILES = build.DATA_FILE_NAMES


@pytest.fixture(scope="module")
def mnist():
    from train import data
    return data.load()


def test_data_files_and_numpy_extras_are_listed_lazy_with_their_hash(site):
    listed = {entry["path"]: entry for entry in site.manifest["files"]}
    lazy = (*DATA_FILES, site.manifest["numpy_extras"])
    assert {path for path, entry in listed.items() if entry.get("lazy")} == set(lazy)
    for path in lazy:
        data = (site.dist / path).read_bytes()
        assert listed[path] == {"path": path, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                                "lazy": True}


def test_replay_file_is_a_balanced_sample_of_the_training_images_only(site, mnist):
    from pycore import datasets
    from train import data, replay
    replay_set = datasets.from_bytes((site.dist / build.REPLAY_FILE).read_bytes())
    indices = np.array(replay_set.meta["indices"])
    assert len(replay_set) == replay.REPLAY_SIZE == len(indices)
    # from the training images only, and none of 45,000-49,999 (the teaching method's validation)
    assert indices.min() >= 0 and indices.max() < 45_000 and replay_set.meta["range"] == [0, 45_000]
    np.testing.assert_array_equal(indices, replay.replay_indices(mnist["train_labels"], replay.REPLAY_SIZE,
                                                                 build.REPLAY_SEED))
    np.testing.assert_array_equal(replay_set.images, mnist["train_images"][indices])
    np.testing.assert_array_equal(replay_set.labels, mnist["train_labels"][indices])
    assert replay_set.class_counts() == [replay.REPLAY_SIZE // 10] * 10
    assert replay_set.meta["split"] == "train"
    assert replay_set.meta["sha256"] == {name: data.checksums()[name]
                                         for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")}


def test_check_file_is_every_tenth_official_test_image(site, mnist):
    from pycore import datasets
    from train import data
    check = datasets.from_bytes((site.dist / build.CHECK_FILE).read_bytes())
    indices = np.array(check.meta["indices"])
    assert len(check) == 1000 and indices.tolist() == list(range(0, 10_000, 10))
    np.testing.assert_array_equal(check.images, mnist["test_images"][indices])
    np.testing.assert_array_equal(check.labels, mnist["test_labels"][indices])
    assert check.meta["split"] == "test" and check.meta["range"] == [0, 10_000]
    assert check.meta["sha256"] == {name: data.checksums()[name]
                                    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
    assert check.images.dtype == np.uint8 and (site.dist / build.CHECK_FILE).stat().st_size < 400_000


def test_train_file_is_every_training_image_up_to_the_held_out_ones(site, mnist):
    from pycore import datasets
    from train import data
    train = datasets.from_bytes((site.dist / build.TRAIN_FILE).read_bytes())
    assert len(train) == 50_000 and train.meta["indices"] == list(range(50_000))
    np.testing.assert_array_equal(train.images, mnist["train_images"][:50_000])
    np.testing.assert_array_equal(train.labels, mnist["train_labels"][:50_000])
    assert train.meta["split"] == "train" and train.meta["range"] == [0, 50_000]
    assert train.meta["sha256"] == {name: data.checksums()[name]
                                    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")}
    assert train.images.dtype == np.uint8 and (site.dist / build.TRAIN_FILE).stat().st_size < 10_000_000


def test_data_files_are_the_same_bytes_each_time(site, mnist):
    """Made again now from MNIST (not from the cache): byte for byte the built ones."""
    again = build.data_files(mnist)
    assert sorted(again) == sorted(DATA_FILES)
    for path, data in again.items():
        assert data == (site.dist / path).read_bytes(), path


def test_data_files_are_cached_by_their_inputs(tmp_path, monkeypatch, mnist):
    made, real = [], build.data_files

    def make(data):
        made.append(1)
        return real(data)

    monkeypatch.setattr(build, "data_files", make)
    monkeypatch.setattr("train.data.load", lambda folder=None: mnist)
    first = [p.read_bytes() for p in build.write_data_files(tmp_path / "one", tmp_path / "cache")]
    again = [p.read_bytes() for p in build.write_data_files(tmp_path / "two", tmp_path / "cache")]
    assert made == [1] and first == again
    assert [p.name for p in (tmp_path / "cache" / "data").iterdir()] == [build.data_cache_key()]
