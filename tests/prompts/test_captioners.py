"""Captioners: measured attributes of digits, captions from a file, a tiny random BLIP-2."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from synscale.data.datasets import LabeledImages
from synscale.errors import ConfigError, DataError, UnknownNameError
from synscale.prompts import assign_prompts, get_captioner, get_strategy
from synscale.prompts.captioners import describe_digit, measure_digit
from synscale.worlds import get_world


@pytest.fixture(scope="module")
def mini():
    return get_world("mini")


def _stroke(angle_deg: float, width: int, shift: int = 0) -> np.ndarray:
    """A straight stroke through the centre of a 16x16 image, tilted top-right by angle_deg."""
    image = np.zeros((16, 16), dtype=np.float32)
    slope = np.tan(np.radians(angle_deg))
    for row in range(3, 13):
        col = round(7.5 + shift - (row - 7.5) * slope)
        image[row, max(col - width // 2, 0):col - width // 2 + width] = 1.0
    return image


def test_measures_follow_the_drawing():
    upright, slanted = measure_digit(_stroke(0, 2)), measure_digit(_stroke(30, 2))
    assert abs(upright.slant) < 3 and 20 < slanted.slant < 40
    assert measure_digit(_stroke(0, 4)).stroke > upright.stroke + 1
    assert measure_digit(_stroke(0, 2, shift=-4)).dx < -0.2
    ring = np.zeros((16, 16), dtype=np.float32)
    ring[3:13, 4:12] = 1.0
    ring[5:11, 6:10] = 0.0
    assert measure_digit(ring).loops == 1 and upright.loops == 0


def test_words_change_with_the_images():
    thin_upright = describe_digit(measure_digit(_stroke(0, 1)))
    thick_slanted = describe_digit(measure_digit(_stroke(30, 4, shift=-3)))
    assert "thin" in thin_upright and "upright" in thin_upright
    assert "thick" in thick_slanted and "right-slanted" in thick_slanted
    assert "left of centre" in thick_slanted and "left" not in thin_upright


def test_attribute_captions_of_real_digits_differ_and_reproduce(mini):
    pool = mini.pool("train")
    ones = np.flatnonzero(pool.label_array == 1)
    slants = np.array([measure_digit(pool.images[i, 0].numpy() / 255.0).slant for i in ones])
    leftmost, rightmost = ones[slants.argmin()], ones[slants.argmax()]
    captioner = get_captioner("attributes")
    a, b = captioner.caption(pool, [leftmost, rightmost])
    assert a != b and "left-slanted" in a and "right-slanted" in b
    some = range(0, len(pool), 4)
    captions = captioner.caption(pool, some)
    assert captions == get_captioner("attributes").caption(pool, some)
    assert len(set(captions)) > 60


def test_captions_strategy_on_mini(mini):
    table = assign_prompts(mini, "captions", per_class=5, seed=0, classes=[3])
    prompts = table.column("prompt").to_pylist()
    assert all(p.startswith("three, a") and " digit with " in p for p in prompts)
    assert len(set(prompts)) > 1
    assert assign_prompts(mini, "captions", per_class=5, seed=0, classes=[3]).equals(table)
    assert assign_prompts(mini, "captions", per_class=5, seed=1, classes=[3]) != table


def test_image_prompts_caption_each_image_itself(mini):
    pool = mini.pool("train").subset(list(range(0, 2000, 100)))
    prompts = get_strategy("captions").image_prompts(pool, mini, seed=0)
    own = get_captioner("attributes").caption(pool, range(len(pool)))
    names = [mini.classes[int(c)].name for c in pool.label_array]
    assert prompts == [f"{n}, {c}" for n, c in zip(names, own)]


def _small_set() -> LabeledImages:
    images = torch.zeros(3, 1, 16, 16, dtype=torch.uint8)
    return LabeledImages(images, torch.tensor([0, 1, 1]), "set", None, ["a/0", "a/1", "a/2"])


def test_file_captioner_reads_csv_and_jsonl(tmp_path):
    csv_file = tmp_path / "captions.csv"
    csv_file.write_text('id,caption\na/0,a man holding a fish\na/1,"two, on a lake"\na/2,x\n')
    jsonl_file = tmp_path / "captions.jsonl"
    rows = (json.dumps({"id": f"a/{i}", "caption": f"c{i}"}) for i in range(3))
    jsonl_file.write_text("\n".join(rows))
    assert get_captioner("file", file=csv_file).caption(_small_set(), [1, 0]) == [
        "two, on a lake", "a man holding a fish"]
    assert get_captioner("file", file=jsonl_file).caption(_small_set(), [2]) == ["c2"]


def test_file_captioner_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        get_captioner("file", file=tmp_path / "none.csv")
    with pytest.raises(ConfigError, match="needs a captions file"):
        get_captioner("file")
    partial = tmp_path / "partial.csv"
    partial.write_text("id,caption\na/0,only one\n")
    with pytest.raises(DataError, match="'a/1'"):
        get_captioner("file", file=partial).caption(_small_set(), [0, 1])
    bad = tmp_path / "bad.csv"
    bad.write_text("name,text\na/0,x\n")
    with pytest.raises(DataError, match="'id' and 'caption'"):
        get_captioner("file", file=bad)


def test_unknown_captioner_lists_the_valid_ones():
    with pytest.raises(UnknownNameError, match="attributes, blip2, file"):
        get_strategy("captions", captioner="clip")


def test_blip2_captions_with_a_tiny_random_model(tiny_blip2, mini):
    pool = mini.pool("train")
    captioner = get_captioner("blip2", model=tiny_blip2, max_new_tokens=6, batch_size=3)
    captions = captioner.caption(pool, [0, 1, 2, 3])
    assert len(captions) == 4 and all(c and len(c.split()) <= 6 for c in captions)
    assert captions == captioner.caption(pool, [0, 1, 2, 3])
    table = assign_prompts(mini, "captions", 2, classes=[0], captioner="blip2",
                           model=str(tiny_blip2))
    assert all(p.startswith("zero, ") for p in table.column("prompt").to_pylist())


def test_blip2_needs_an_existing_model(tmp_path):
    with pytest.raises(ConfigError, match="needs its option 'model'"):
        get_captioner("blip2")
    with pytest.raises(ConfigError, match="not found"):
        get_captioner("blip2", model=tmp_path / "missing")


def test_cli_captions_from_a_file(cli, mini, tmp_path):
    pool = mini.pool("train")
    ids = [pool.ids[i] for i in np.flatnonzero(pool.label_array == 2)]
    captions = tmp_path / "captions.jsonl"
    captions.write_text("\n".join(json.dumps({"id": i, "caption": f"scan {i}"}) for i in ids))
    result = cli("prompts", "--world", "mini", "--strategy", "captions", "--captioner", "file",
                 "--captions-file", captions, "--classes", "2", "--per-class", "4", "--json")
    prompts = [r["prompt"] for r in result.json_lines()]
    assert len(set(prompts)) == 4 and all(p.startswith("two, scan mnist/") for p in prompts)
