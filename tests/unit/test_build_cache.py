"""build.prune_cache: a cache keeps its few newest entries, not only the last one made."""
import os

import build


def test_prune_keeps_the_newest_and_the_one_in_use(tmp_path):
    entries = []
    for age, name in enumerate(["a", "b", "c", "d", "e"]):
        path = tmp_path / name
        path.mkdir()
        (path / "file").write_text(name)
        os.utime(path, (1000 - age, 1000 - age))           # a newest ... e oldest
        entries.append(path)
    (tmp_path / "x.json").write_text("{}")
    build.prune_cache(tmp_path, keep=entries[4], pattern="[a-e]")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "e", "x.json"]
    build.prune_cache(tmp_path, keep=tmp_path / "new", pattern="*.json", newest=1)
    assert not (tmp_path / "x.json").exists() and (tmp_path / "a").is_dir()
