"""Captioners describe real images in words, for the ``captions`` prompt strategy (paper 3.1).

- ``attributes``: measures a digit image (stroke width, slant, breadth, size, position, loops)
  and says what it measured; the mini world's real captioner, deterministic and instant.
- ``blip2``: BLIP-2 (transformers) from a local directory, for photographs (the paper's choice).
- ``file``: captions a user already has, in CSV or JSONL keyed by image id.

Every captioner takes a dataset and indices and returns one caption per index.
"""

from __future__ import annotations

import csv
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from synscale.errors import ConfigError, DataError
from synscale.registry import Registry

if TYPE_CHECKING:  # torch and images only where images are captioned: listing stays light
    import torch

    from synscale.data.datasets import ImageDataset


class Captioner(ABC):
    """One caption per image; ``config()`` holds every option that changes the captions."""

    name: str

    def __init__(self) -> None:
        """Options, if any, are keyword arguments of a subclass; an unknown one is a TypeError
        that the registry turns into a ConfigError."""

    @abstractmethod
    def config(self) -> dict[str, Any]: ...

    @abstractmethod
    def caption(self, dataset: ImageDataset, indices: Sequence[int]) -> list[str]: ...


CAPTIONERS: Registry[Captioner] = Registry("captioner")


def get_captioner(name: str, **options: Any) -> Captioner:
    return CAPTIONERS.create(name, **options)


def image_ids(dataset: ImageDataset, indices: Sequence[int]) -> list[str]:
    """Stable ids: ``LabeledImages.ids`` (e.g. "mnist/123"), or a file's name without suffix
    (ImageNet's "n01440764_10026"), or "<dataset name>/<index>"."""
    from synscale.data.datasets import FileImages, LabeledImages

    if isinstance(dataset, LabeledImages) and dataset.ids is not None:
        return [dataset.ids[i] for i in indices]
    if isinstance(dataset, FileImages):
        return [dataset.files[i].stem for i in indices]
    return [f"{dataset.name}/{i}" for i in indices]


def load_images(dataset: ImageDataset, indices: Sequence[int]) -> torch.Tensor:
    """uint8 ``[N, C, H, W]`` of the given images."""
    import torch

    from synscale.data.datasets import LabeledImages

    if isinstance(dataset, LabeledImages):
        return dataset.images[torch.as_tensor(list(indices), dtype=torch.long)]
    return torch.stack([dataset[i][0] for i in indices])


# --- attributes: measure a digit and say what was measured ------------------------------------

# Word boundaries: roughly the tertiles of the mini world's real training pool at 16x16, so each
# word is common enough for a text-to-image model to learn it from the generator pool.
STROKE_WORDS = ((2.06, "thin"), (2.25, ""), (np.inf, "thick"))  # 2 * ink / perimeter, in pixels
SLANT_WORDS = ((-6.0, "left-slanted"), (8.0, "upright"), (22.0, "right-slanted"),
               (np.inf, "steeply right-slanted"))  # degrees from vertical, top to the right > 0
BREADTH_WORDS = ((0.62, "narrow"), (0.9, ""), (np.inf, "wide"))  # width / height of the ink
LOOP_WORDS = ("with no loop", "with one loop", "with two loops")  # three or more: "many loops"
INK_THRESHOLD = 0.3  # fraction of full intensity that counts as ink for shapes and loops
OFF_CENTRE = 0.08  # offset of the ink's box centre, as a fraction of the image side


@dataclass(frozen=True)
class DigitMeasures:
    stroke: float  # mean stroke width in pixels at 16x16
    slant: float  # degrees; positive when the top leans right
    height: float  # ink box height / image side
    breadth: float  # ink box width / ink box height
    dx: float  # ink box centre minus image centre, / image side (right > 0)
    dy: float  # (down > 0)
    loops: int  # background regions enclosed by ink


def measure_digit(image: np.ndarray) -> DigitMeasures:
    """Measure one grayscale image (float, [H, W], ink bright on dark, values in [0, 1])."""
    side = image.shape[0]
    scale = side / 16.0
    ink = image.sum()
    if ink <= 0:
        return DigitMeasures(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0)
    gy, gx = np.gradient(image)
    # A ribbon of length L and width w has area L*w and perimeter ~2L; total variation of the
    # intensity is the soft perimeter.
    stroke = 2.0 * ink / max(np.hypot(gx, gy).sum(), 1e-6) / scale
    ys, xs = np.mgrid[0:side, 0:image.shape[1]]
    cx, cy = (image * xs).sum() / ink, (image * ys).sum() / ink
    mu11 = (image * (xs - cx) * (ys - cy)).sum()
    mu02 = (image * (ys - cy) ** 2).sum()
    slant = float(np.degrees(np.arctan2(-mu11, mu02)))  # rows grow downwards, hence the sign
    mask = image >= INK_THRESHOLD * image.max()
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    centre = (side - 1) / 2
    return DigitMeasures(float(stroke), slant, height / side, width / height,
                         ((cols[0] + cols[-1]) / 2 - centre) / side,
                         ((rows[0] + rows[-1]) / 2 - centre) / side, _loops(mask))


def _loops(mask: np.ndarray) -> int:
    from scipy import ndimage

    background, count = ndimage.label(~mask)  # 4-connected background: diagonal gaps stay closed
    border = np.unique(np.concatenate([background[0], background[-1], background[:, 0],
                                       background[:, -1]]))
    return int(count - np.count_nonzero(border))


def describe_digit(m: DigitMeasures) -> str:
    """Words for the measures: "a thick, right-slanted, wide digit with one loop, small, high"."""
    adjectives = [_word(STROKE_WORDS, m.stroke), _word(SLANT_WORDS, m.slant),
                  _word(BREADTH_WORDS, m.breadth)]
    loops = LOOP_WORDS[m.loops] if m.loops < len(LOOP_WORDS) else "with many loops"
    words = ", ".join(a for a in adjectives if a)
    text = f"{'an' if words[0] in 'aeiou' else 'a'} {words} digit {loops}"
    where = []
    if m.height < 0.6:
        where.append("small")
    if abs(m.dx) > OFF_CENTRE:
        where.append("right of centre" if m.dx > 0 else "left of centre")
    if abs(m.dy) > OFF_CENTRE:
        where.append("low" if m.dy > 0 else "high")
    return ", ".join([text, *where])


def _word(table: tuple[tuple[float, str], ...], value: float) -> str:
    return next(word for bound, word in table if value < bound)


@CAPTIONERS.register("attributes")
class AttributesCaptioner(Captioner):
    """Measures each digit (stroke, slant, breadth, size, position, loops) and describes it."""

    name = "attributes"

    def config(self) -> dict[str, Any]:
        return {"captioner": self.name, "version": 1}

    def caption(self, dataset: ImageDataset, indices: Sequence[int]) -> list[str]:
        images = load_images(dataset, indices).float().mean(dim=1).div_(255.0).numpy()
        return [describe_digit(measure_digit(image)) for image in images]


# --- file: captions a user already has --------------------------------------------------------

@CAPTIONERS.register("file")
class FileCaptioner(Captioner):
    """Captions read from a CSV (columns id, caption) or JSONL file ({"id", "caption"} per line)."""

    name = "file"

    def __init__(self, file: str | Path | None = None) -> None:
        if file is None:
            raise ConfigError("captioner 'file' needs a captions file: CSV (id,caption) or JSONL")
        self.path = Path(file)
        if not self.path.is_file():
            raise ConfigError(f"captions file not found: {self.path}")
        self._captions = _read_captions(self.path)

    def config(self) -> dict[str, Any]:
        from synscale.config import stable_hash

        return {"captioner": self.name, "file": str(self.path),
                "content": stable_hash(sorted(self._captions.items()))}

    def caption(self, dataset: ImageDataset, indices: Sequence[int]) -> list[str]:
        ids = image_ids(dataset, indices)
        missing = [i for i in ids if i not in self._captions]
        if missing:
            raise DataError(f"{self.path}: no caption for {len(missing)} image(s), "
                            f"e.g. {missing[0]!r}")
        return [self._captions[i] for i in ids]


def _read_captions(path: Path) -> dict[str, str]:
    try:
        if path.suffix.lower() in (".jsonl", ".json"):
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        else:
            with path.open(newline="") as f:
                rows = list(csv.DictReader(f))
        return {str(row["id"]): str(row["caption"]).strip() for row in rows}
    except (KeyError, TypeError) as exc:
        raise DataError(f"{path}: every row needs 'id' and 'caption' (missing {exc})") from None
    except (json.JSONDecodeError, csv.Error, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read captions ({exc})") from None


# --- blip2: BLIP-2 from a local directory -----------------------------------------------------

@CAPTIONERS.register("blip2")
class Blip2Captioner(Captioner):
    """BLIP-2 (transformers) from a local directory holding the model and its processor."""

    name = "blip2"

    def __init__(self, model: str | Path | None = None, batch_size: int = 16,
                 max_new_tokens: int = 30, device: str | None = None) -> None:
        if model is None:
            raise ConfigError("captioner 'blip2' needs its option 'model': a local directory with a "
                              "BLIP-2 model and processor (e.g. a saved Salesforce/blip2-opt-2.7b)")
        self.path = Path(model)
        if not (self.path / "config.json").is_file():
            raise ConfigError(f"blip2 model directory not found (no config.json): {self.path}")
        if batch_size < 1 or max_new_tokens < 1:
            raise ConfigError("blip2: batch_size and max_new_tokens must be at least 1")
        self.batch_size, self.max_new_tokens = batch_size, max_new_tokens
        import torch

        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self._loaded: tuple[Any, Any] | None = None

    def config(self) -> dict[str, Any]:
        from synscale.prompts.models import model_fingerprint

        return {"captioner": self.name, "model": model_fingerprint(self.path),
                "max_new_tokens": self.max_new_tokens}

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            from transformers import Blip2ForConditionalGeneration, Blip2Processor

            from synscale.prompts.models import quiet_loading

            try:
                with quiet_loading():
                    processor = Blip2Processor.from_pretrained(self.path)
                    model = Blip2ForConditionalGeneration.from_pretrained(self.path)
            except (OSError, ValueError) as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ConfigError(f"blip2: cannot load {self.path}: {first}") from None
            self._loaded = processor, model.to(self.device).eval()
        return self._loaded

    def caption(self, dataset: ImageDataset, indices: Sequence[int]) -> list[str]:
        import torch

        with torch.inference_mode():
            return self._caption(dataset, indices)

    def _caption(self, dataset: ImageDataset, indices: Sequence[int]) -> list[str]:
        from PIL import Image

        processor, model = self._load()
        captions: list[str] = []
        for start in range(0, len(indices), self.batch_size):
            batch = load_images(dataset, indices[start:start + self.batch_size])
            if batch.shape[1] == 1:
                batch = batch.expand(-1, 3, -1, -1)
            pictures = [Image.fromarray(image.permute(1, 2, 0).numpy()) for image in batch]
            inputs = processor(images=pictures, return_tensors="pt").to(self.device)
            # Greedy decoding: a caption is a function of the image alone.
            out = model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False,
                                 num_beams=1)
            captions += [t.strip() for t in processor.batch_decode(out, skip_special_tokens=True)]
        return captions
