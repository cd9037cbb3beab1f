"""The mini world's web pool (the analogue of LAION): its make-up, its captions, and no overlap
with the OOD sets, by content, by source digit and by font."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from synscale.errors import DataError
from synscale.worlds import get_world
from synscale.worlds.mini import font_files
from synscale.worlds.mini_web import compatible, font_family, prompt_style, split_fonts


@pytest.fixture(scope="module")
def world():
    return get_world("mini")


def image_hashes(images) -> set[str]:
    return {hashlib.sha256(image.numpy().tobytes()).hexdigest() for image in images}


def test_web_is_handwritten_renditions_and_sketches_4_1_1(world):
    web, styles = world.pool("web"), world.styles("web")
    assert Counter(styles) == {"handwritten": 2000, "rendition": 500, "sketch": 500}
    for style in ("handwritten", "rendition", "sketch"):
        labels = web.label_array[np.asarray(styles) == style]
        assert np.bincount(labels, minlength=10).tolist() == [len(labels) // 10] * 10
    # Its handwritten part is the generator pool itself, image for image.
    generator = world.pool("generator")
    handwritten = np.flatnonzero(np.asarray(styles) == "handwritten")
    assert (web.images[handwritten] == generator.images).all()
    assert [web.ids[i] for i in handwritten] == generator.ids
    assert len(set(web.ids)) == len(web)


def test_web_and_ood_images_are_disjoint_by_content_and_by_source(world):
    web = world.pool("web")
    for name in world.ood_names():
        assert not image_hashes(web.images) & image_hashes(world.ood(name).images), name
    for name in ("train", "val"):  # nor is any web image a curated one
        assert not image_hashes(web.images) & image_hashes(world.pool(name).images), name
    # Sketches outline generator-pool digits, never val digits (which the OOD sketches outline).
    sources = {i.removeprefix("sketch/") for i in web.ids if i.startswith("sketch/")}
    assert len(sources) == 500
    assert sources <= set(world.pool("generator").ids)
    assert not sources & set(world.pool("val").ids)


def test_no_ood_font_is_a_web_font(world):
    web_fonts = {f for f in world.rendition_fonts("web") if f}
    ood_fonts = set(world.rendition_fonts("renditions"))
    assert web_fonts and ood_fonts and not web_fonts & ood_fonts
    # Whole families on each side, and together they are the checked fonts, half and half.
    web_half, ood_half = split_fonts(font_files())
    assert {font_family(f) for f in web_half}.isdisjoint({font_family(f) for f in ood_half})
    assert {f.name for f in web_half} == web_fonts and {f.name for f in ood_half} == ood_fonts
    assert abs(len(web_half) - len(ood_half)) <= len(font_files()) // 4


def test_captions_say_the_style_and_never_contradict_the_image(world):
    captions, styles, web = world.captions("web"), world.styles("web"), world.pool("web")
    names = [c.name for c in world.classes]
    assert len(captions) == len(web)
    for caption, style, label in zip(captions, styles, web.label_array):
        assert names[label] in caption
        asked = "handwritten" if "handwritten" in caption else prompt_style(caption)
        assert asked == style, (caption, style)
        assert compatible(caption.replace("handwritten ", ""), style)


def test_prompt_styles_decide_which_images_a_prompt_may_caption():
    assert prompt_style("a sketch of a seven.") == "sketch"
    assert prompt_style("a rendering of the seven.") == "rendition"
    assert prompt_style("a tattoo of a seven.") == "foreign"
    assert prompt_style("a photo of a seven.") is None
    assert compatible("seven", "handwritten") and not compatible("seven", "sketch")
    assert compatible("a doodle of a seven.", "sketch")
    assert not compatible("a sketch of a seven.", "handwritten")
    assert not any(compatible("a tattoo of a seven.", s) for s in ("handwritten", "sketch"))


def test_only_the_web_has_captions(world):
    with pytest.raises(DataError, match="valid: web"):
        world.captions("train")
    assert set(world.styles("val")) == {"handwritten"}
    assert Path(font_files()[0]).suffix == ".ttf"
