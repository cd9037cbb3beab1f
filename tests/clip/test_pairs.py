"""Pair sources: the mini web pool, LAION-style WebDataset shards, a path/caption table."""

from __future__ import annotations

import io
import tarfile

import numpy as np
import pytest
from PIL import Image

from synscale.clip.pairs import UNLABELLED, load_pairs
from synscale.errors import DataError, UnknownNameError
from synscale.prompts.pair_captions import pair_layout
from synscale.worlds import get_world


@pytest.fixture(scope="module")
def mini():
    return get_world("mini")


def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def png(value: int, size: int = 32) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (value, value, value)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_webdataset_shards_as_img2dataset_writes_them(mini, tmp_path):
    with tarfile.open(tmp_path / "00000.tar", "w") as tar:
        for i, value in enumerate((0, 100, 200)):
            add(tar, f"00000{i:04d}.jpg" if i == 1 else f"00000{i:04d}.png", png(value))
            add(tar, f"00000{i:04d}.txt", f"a photo of number {i}".encode())
        add(tar, "000000099.png", png(50))  # no caption: not a pair
    pairs = load_pairs(mini, f"wds:{tmp_path}")
    assert pairs.captions == ["a photo of number 0", "a photo of number 1", "a photo of number 2"]
    assert pairs.ids == ["000000000", "000000001", "000000002"]
    assert (pairs.labels == UNLABELLED).all()
    images = pairs.images.load([2, 0])
    assert images.shape == (2, 1, 16, 16)  # the world's format
    assert int(images[0].float().mean()) == 200 and int(images[1].max()) == 0


def test_a_path_caption_table(mini, tmp_path):
    Image.new("L", (20, 20), 255).save(tmp_path / "white.png")
    (tmp_path / "pairs.csv").write_text("path,caption\nwhite.png,a white square\n")
    pairs = load_pairs(mini, f"table:{tmp_path / 'pairs.csv'}")
    assert pairs.captions == ["a white square"] and pairs.ids == ["white.png"]
    assert int(pairs.images.load([0]).min()) == 255
    (tmp_path / "bad.csv").write_text("file,text\nwhite.png,a white square\n")
    with pytest.raises(DataError, match="lacks the column"):
        load_pairs(mini, f"table:{tmp_path / 'bad.csv'}")


def test_unknown_source_and_missing_root(mini, tmp_path):
    with pytest.raises(UnknownNameError, match="pair source 'laion'.*table, wds, web"):
        load_pairs(mini, "laion:/data")
    with pytest.raises(DataError, match="does not exist"):
        load_pairs(mini, f"wds:{tmp_path / 'missing'}")


def test_web_pairs_are_the_mini_web_pool_with_its_captions(mini):
    pairs = load_pairs(mini, "web")
    pool = mini.pool("web") if "web" in mini.pool_names() else mini.pool("generator")
    assert len(pairs) == len(pool) and pairs.ids == pool.ids
    assert all(mini.classes[label].name in caption
               for label, caption in zip(pairs.labels[::97], pairs.captions[::97]))
    # Balanced classes: the generation plan replays them class by class, in pair order.
    layout = pair_layout(pairs, mini.num_classes)
    assert layout.classes is None and layout.per_class * 10 == len(pairs)
    assert sorted(layout.order.tolist()) == list(range(len(pairs)))
    assert (np.diff(pairs.labels[layout.order]) >= 0).all()
