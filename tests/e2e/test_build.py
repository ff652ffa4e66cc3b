"""What build.py puts in dist/ and how `serve` serves it (no browser needed)."""
import hashlib
import html.parser
import importlib.util
import json
import tarfile
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
    for required in ("index.html", "app.js", "app.css", "worker.js", "sw.js", "model/mnist-cnn.npz",
                     "model/metrics.json", "pyodide/pyodide.js", "pyodide/pyodide.asm.js",
                     "pyodide/pyodide.asm.wasm", "pyodide/python_stdlib.zip",
                     "pyodide/pyodide-lock.json", "pyodide/snapshot.bin.gz", site.manifest["pycore_wheel"],
                     "app.webmanifest", "favicon.svg", "icons/icon-192.png", "icons/icon-512.png",
                     "icons/icon-maskable-512.png"):
        assert required in listed


def test_runtime_files_are_the_pinned_ones(site):
    for name, digest in build.PYODIDE_CORE.items():
        if name != "pyodide-lock.json":
            assert build.sha256_file(site.dist / "pyodide" / name) == digest


def test_numpy_archive_is_the_pinned_wheel_py_compiled(site):
    """dist's numpy .tar.gz holds every file of the pinned wheel unchanged, except that each
    .py is replaced by its .pyc (and RECORD lists the new files); plain files only, with
    relative names, as the worker's untar accepts."""
    pinned = build.fetch_numpy_wheel(build.cache_dir())
    assert build.sha256_file(pinned) == build.NUMPY_SHA256
    with zipfile.ZipFile(pinned) as source:
        before = {i.filename: source.read(i) for i in source.infolist() if not i.is_dir()}
    with tarfile.open(site.dist / "pyodide" / build.NUMPY_ARCHIVE, "r:gz") as shipped:
        members = shipped.getmembers()
        assert all(m.isfile() and not m.name.startswith("/") and ".." not in m.name.split("/")
                   for m in members)
        after = {m.name: shipped.extractfile(m).read() for m in members}
    record = next(name for name in before if name.endswith(".dist-info/RECORD"))
    sources = [name for name in before if name.endswith(".py")]
    assert len(sources) > 50
    for name, data in before.items():
        if name.endswith(".py"):
            assert name not in after and after[name + "c"][:4] == importlib.util.MAGIC_NUMBER
        elif name != record:
            assert after[name] == data, name
    assert set(after) == {n + "c" if n.endswith(".py") else n for n in before}
    lock = json.loads((site.dist / "pyodide" / "pyodide-lock.json").read_text())
    assert lock["packages"]["numpy"]["file_name"] == build.NUMPY_ARCHIVE
    assert lock["packages"]["numpy"]["sha256"] == build.sha256_file(site.dist / "pyodide" / build.NUMPY_ARCHIVE)


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
                                        ("pyodide/pyodide.asm.wasm", "application/wasm"),
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


def test_data_files_are_listed_lazy_with_their_hash(site):
    listed = {entry["path"]: entry for entry in site.manifest["files"]}
    assert {path for path, entry in listed.items() if entry.get("lazy")} == set(DATA_FILES)
    for path in DATA_FILES:
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
