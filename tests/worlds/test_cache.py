"""The world cache: a hit returns the stored arrays without building; a new key, new code or a
damaged file builds again; writes leave no partial file under the final name."""

from __future__ import annotations

import numpy as np
import pytest

from synscale.worlds import cache


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNSCALE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


class Builder:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[str, np.ndarray]:
        self.calls += 1
        return {"x": np.arange(6, dtype=np.uint8).reshape(2, 3), "names": np.asarray(["a", "b"])}


def test_a_hit_returns_the_stored_arrays_without_building(cache_in_tmp):
    build = Builder()
    first = cache.cached_arrays("t", {"source": "abc"}, build)
    second = cache.cached_arrays("t", {"source": "abc"}, build)
    assert build.calls == 1
    assert np.array_equal(first["x"], second["x"]) and second["names"].tolist() == ["a", "b"]
    assert [p.suffix for p in cache_in_tmp.iterdir()] == [".npz"]  # no temporary file left


def test_a_changed_source_or_code_version_builds_again(cache_in_tmp, monkeypatch):
    build = Builder()
    cache.cached_arrays("t", {"source": "abc"}, build)
    cache.cached_arrays("t", {"source": "abd"}, build)  # the source file changed
    assert build.calls == 2
    real = cache.inspect.getsource
    monkeypatch.setattr(cache.inspect, "getsource", lambda m: real(m) + "\n# new code")
    cache.cached_arrays("t", {"source": "abc"}, build)  # the code that builds changed
    assert build.calls == 3


def test_a_damaged_entry_is_rebuilt(cache_in_tmp):
    build = Builder()
    cache.cached_arrays("t", {"source": "abc"}, build)
    (entry,) = cache_in_tmp.iterdir()
    entry.write_bytes(entry.read_bytes()[:40])  # cut short by something outside synscale
    assert np.array_equal(cache.cached_arrays("t", {"source": "abc"}, build)["x"],
                          Builder()()["x"])
    assert build.calls == 2


def test_an_unwritable_cache_only_costs_the_rebuild(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("SYNSCALE_CACHE_DIR", str(blocker / "cache"))
    build = Builder()
    assert cache.cached_arrays("t", {}, build)["x"].shape == (2, 3)
    assert cache.cached_arrays("t", {}, build)["x"].shape == (2, 3)
    assert build.calls == 2


def test_the_cache_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("SYNSCALE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "synscale"


def test_the_mini_world_reads_its_arrays_from_the_cache(cache_in_tmp, monkeypatch):
    """A second process (here: the cleared in-process memo) reads the entry; it never parses
    MNIST's text file again."""
    from synscale.worlds import mini

    mini._arrays.cache_clear()
    mini._split.cache_clear()
    try:
        train = mini.MiniWorld().pool("train").images.clone()
        assert len(list(cache_in_tmp.glob("mini-world-*.npz"))) == 1
        mini._arrays.cache_clear()
        mini._split.cache_clear()
        monkeypatch.setattr(mini.np, "loadtxt", lambda *a, **k: pytest.fail("MNIST parsed again"))
        assert (mini.MiniWorld().pool("train").images == train).all()
    finally:
        mini._arrays.cache_clear()
        mini._split.cache_clear()
