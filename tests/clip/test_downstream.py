"""A downstream set's identity follows its images' bytes, not only their names."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from synscale.clip.downstream import load_downstream


def _folder(root: Path, shade: int) -> Path:
    for k, name in enumerate(("apple_pie", "sushi")):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(2):
            Image.new("L", (16, 16), shade + 10 * i + 50 * k).save(root / name / f"{i}.png")
    return root


def _identity(folder: Path) -> dict[str, str]:
    load_downstream.cache_clear()  # the cache is per process; the files changed under it
    return load_downstream(str(folder), 16).identity


def test_new_images_under_old_names_change_the_identity(tmp_path):
    folder = _folder(tmp_path / "food", 0)
    before = _identity(folder)
    assert _identity(folder) == before  # the same bytes: the same identity
    _folder(folder, 5)  # same file names, other pixels
    after = _identity(folder)
    assert after["path"] == before["path"] and after["files"] != before["files"]


def test_a_renamed_class_changes_the_identity(tmp_path):
    folder = _folder(tmp_path / "food", 0)
    before = _identity(folder)
    (folder / "sushi").rename(folder / "ramen")
    assert _identity(folder)["files"] != before["files"]
