"""The mini world's web: what its text-to-image models (and CLIP) learn from, the analogue of LAION.

The paper's generators learned from the web, whose images are mostly photos but also drawings,
sketches and renderings, while the classifier's real data is curated photos (ImageNet). So
synthetic data can carry styles the real training data lacks. The mini world has the same
structure: its curated data (``train``, ``val``) are plain handwritten MNIST digits, and its web
pool holds, 4 : 1 : 1,

- ``handwritten``: the 2,000 digits of the ``generator`` pool;
- ``rendition``: digits typeset in the *web* half of the fonts (whole font families; the other
  half draws the ``renditions`` OOD set), varied in size, weight, rotation and position exactly
  like the OOD set;
- ``sketch``: outlines (Sobel edge magnitude, as the ``sketch`` OOD set) of generator-pool digits,
  never of ``val`` digits (which the OOD sketches outline).

Every web image has a caption that says what it shows, style included: "seven, a thick, upright
handwritten digit with no loop", "a rendering of a seven in a bold serif font, a thin, ...",
"a sketch of a seven, a right-slanted digit with one loop". Style words never contradict the image:
``prompt_style`` reads the style a prompt asks for, and ``compatible`` says whether a prompt may
caption an image of a style (used for the generators' training captions too).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

STYLES = ("handwritten", "rendition", "sketch")
WEB_PER_CLASS = {"handwritten": 200, "rendition": 50, "sketch": 50}  # 4 : 1 : 1
RENDITIONS_PER_CLASS = 100  # the OOD set
CANVAS = 64  # fonts are drawn at 64x64, then resized to 16x16 like MNIST's 28x28

# Font families by file-name prefix. Whole families go to one side, so that no OOD glyph is a
# web glyph in another weight (DejaVu Sans with a stroke looks much like DejaVu Sans Bold).
WEB_FAMILIES = ("DejaVuSans", "DejaVuSerif", "STIXGeneral")
SERIF_FAMILIES = ("DejaVuSerif", "STIXGeneral", "ComputerModern")

# Words that ask for a style. Styles the mini world has no images of (sculpture, tattoo, ...)
# caption no web image: a model meets them only at generation time, as unknown words.
STYLE_WORDS = {
    "sketch": {"sketch", "drawing", "doodle", "outline"},
    "rendition": {"rendering", "rendition", "font", "typeset"},
    "foreign": {"sculpture", "graffiti", "tattoo", "embroidered", "plastic", "painting", "video",
                "origami", "toy", "cartoon", "plushie", "art"},
}
_WORD = re.compile(r"[a-z]+")

SKETCH_FORMS = ("a sketch of a {name}", "a sketch of the {name}", "a drawing of a {name}",
                "an outline of a {name}", "a doodle of a {name}")
RENDITION_FORMS = ("{name}, set in {font}", "a rendering of a {name} in {font}",
                   "a rendition of the {name} in {font}")


def prompt_style(prompt: str) -> str | None:
    """The style a prompt asks for ("sketch", "rendition", "foreign"), or None for none."""
    words = set(_WORD.findall(prompt.lower()))
    for style, vocabulary in STYLE_WORDS.items():
        if words & vocabulary:
            return style
    return None


def compatible(prompt: str, style: str) -> bool:
    """Whether ``prompt`` may caption an image of ``style``: a plain prompt only a handwritten
    digit (as a plain "tench" mostly shows a photo on the web), a styled prompt only its style."""
    asked = prompt_style(prompt)
    return asked == style or (asked is None and style == "handwritten")


# --- fonts ---------------------------------------------------------------------------------------

def font_family(path: Path) -> str:
    """"DejaVuSans-Bold.ttf" -> "DejaVuSans"; matplotlib's Computer Modern files -> one family."""
    name = path.stem
    if name.startswith("cm"):
        return "ComputerModern"
    if name.startswith("STIX"):
        return "STIXGeneral"
    return name.split("-")[0]


def split_fonts(fonts: Sequence[Path]) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """(web fonts, OOD fonts): whole families on each side."""
    web = tuple(f for f in fonts if font_family(f) in WEB_FAMILIES)
    return web, tuple(f for f in fonts if f not in web)


def font_words(path: Path) -> str:
    """How a caption names a font: "a bold italic serif font"."""
    name = path.stem.lower()
    face = [w for w, keys in (("bold", ("bold", "bol", "cmb")), ("italic", ("italic", "oblique",
                                                                             "ita", "cmti", "cmmi")))
            if any(k in name for k in keys)]
    kind = "serif" if font_family(path) in SERIF_FAMILIES else "sans-serif"
    if "mono" in name or name == "cmtt10":
        kind = "monospace"
    words = " ".join([*face, kind])
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words} font"


@dataclasses.dataclass(frozen=True)
class Rendered:
    images: np.ndarray  # float32 [N, CANVAS, CANVAS] in [0, 1]
    labels: np.ndarray  # int64 [N]
    fonts: np.ndarray  # str [N]: the font file's name


def render_digits(fonts: Sequence[Path], per_class: int, seed: int) -> Rendered:
    """``per_class`` renditions of each digit, each in a font drawn from ``fonts``, at a random
    size (30-49 px of 64), stroke (0-2 px), offset (+-4 px) and rotation (+-20 degrees)."""
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    out, labels, names = [], [], []
    for c in range(10):
        for _ in range(per_class):
            path = fonts[rng.integers(len(fonts))]
            font = ImageFont.truetype(str(path), size=int(rng.integers(30, 50)))
            image = Image.new("L", (CANVAS, CANVAS), 0)
            draw = ImageDraw.Draw(image)
            left, top, right, bottom = draw.textbbox((0, 0), str(c), font=font)
            dx, dy = rng.integers(-4, 5, size=2)
            xy = ((CANVAS - (right - left)) / 2 - left + dx, (CANVAS - (bottom - top)) / 2 - top + dy)
            draw.text(xy, str(c), fill=255, font=font, stroke_width=int(rng.integers(0, 3)),
                      stroke_fill=255)
            image = image.rotate(float(rng.uniform(-20, 20)), resample=Image.BILINEAR)
            out.append(np.asarray(image, dtype=np.float32) / 255.0)
            labels.append(c)
            names.append(path.name)
    return Rendered(np.stack(out), np.asarray(labels, dtype=np.int64), np.asarray(names))


def outlines(images: np.ndarray) -> np.ndarray:
    """Sobel edge magnitude of float images ``[N, H, W]``, each scaled to a maximum of 1."""
    from scipy import ndimage

    edges = np.hypot(ndimage.sobel(images, axis=1), ndimage.sobel(images, axis=2))
    return edges / (edges.max(axis=(1, 2), keepdims=True) + 1e-8)


# --- captions ------------------------------------------------------------------------------------

def describe(image: np.ndarray, stroke: bool = True) -> str:
    """The attribute captioner's words for one 16x16 float image: "a thick, upright digit with
    one loop, small". ``stroke=False`` leaves out the stroke width (an outline's is not the
    digit's)."""
    from synscale.prompts.captioners import STROKE_WORDS, describe_digit, measure_digit

    measures = measure_digit(image)
    if not stroke:  # the lower bound of the band that has no word
        measures = dataclasses.replace(measures, stroke=STROKE_WORDS[0][0])
    return describe_digit(measures)


def caption(style: str, name: str, words: str, rng: np.random.Generator, font: str = "") -> str:
    """A web caption: the class name, the style, the measured attributes."""
    if style == "handwritten":
        return f"{name}, {words.replace(' digit', ' handwritten digit', 1)}"
    if style == "sketch":
        return f"{SKETCH_FORMS[rng.integers(len(SKETCH_FORMS))].format(name=name)}, {words}"
    form = RENDITION_FORMS[rng.integers(len(RENDITION_FORMS))]
    return f"{form.format(name=name, font=font)}, {words}"
