"""Pair sets: images with captions (and ids), the data CLIP learns from.

A pair set is named by a source spec, one registered source per kind of data:

- ``web``: the mini world's web pool with its captions (the analogue of LAION). Until the world
  has a ``web`` pool, its ``generator`` pool captioned by the ``attributes`` captioner stands in.
- ``wds:<root>``: LAION-style WebDataset shards as img2dataset writes them (``<root>/*.tar``,
  each sample a ``jpg``/``jpeg``/``png`` and a ``txt`` caption; the key is the pair's id);
- ``table:<file>``: a Parquet or CSV file with the columns ``path, caption`` (paths relative to
  the file's folder; an optional ``id`` column, else the path is the id).

Images come in the world's format (channels, size). File sources decode lazily, by index.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import torch
from PIL import Image

from synscale.config import stable_hash
from synscale.data.datasets import LabeledImages
from synscale.errors import DataError
from synscale.registry import Registry
from synscale.worlds.base import World

UNLABELLED = -1  # the class of a pair whose image has no class (LAION)
IMAGE_EXTS = ("jpg", "jpeg", "png", "webp")


class PairImages(Protocol):
    def __len__(self) -> int: ...

    def load(self, indices: Sequence[int]) -> torch.Tensor:
        """uint8 ``[n, C, H, W]`` of the given pairs, in the world's format."""


@dataclass(frozen=True)
class TensorImages:
    images: torch.Tensor  # uint8 [N, C, H, W]

    def __len__(self) -> int:
        return len(self.images)

    def load(self, indices: Sequence[int]) -> torch.Tensor:
        return self.images[torch.as_tensor(list(indices), dtype=torch.long)]


@dataclass(frozen=True)
class FileImages:
    """Images decoded from files or from byte ranges of tar shards, ``(path, offset, size)``."""

    entries: list[tuple[str, int, int]]  # offset -1: the whole file
    channels: int
    size: int

    def __len__(self) -> int:
        return len(self.entries)

    def load(self, indices: Sequence[int]) -> torch.Tensor:
        return torch.stack([self._decode(*self.entries[i]) for i in indices])

    def _decode(self, path: str, offset: int, size: int) -> torch.Tensor:
        try:
            if offset < 0:
                image = Image.open(path)
            else:
                with open(path, "rb") as f:
                    f.seek(offset)
                    image = Image.open(io.BytesIO(f.read(size)))
            with image:
                image = image.convert("L" if self.channels == 1 else "RGB")
                array = np.asarray(image.resize((self.size, self.size), Image.BICUBIC), np.uint8)
        except OSError as exc:
            raise DataError(f"cannot read image {path}{f'@{offset}' if offset >= 0 else ''}: {exc}") from None
        tensor = torch.from_numpy(array.copy())
        return tensor.unsqueeze(0) if tensor.ndim == 2 else tensor.permute(2, 0, 1)


@dataclass(frozen=True)
class PairSet:
    """Captions, ids and images of one pair set; ``labels`` are classes where the source knows
    them (the mini world's digits), ``UNLABELLED`` otherwise."""

    name: str  # the source spec, e.g. "web"
    captions: list[str]
    ids: list[str]
    labels: np.ndarray
    images: PairImages
    source: dict[str, Any]  # where it came from (world, pool, root)

    def __post_init__(self) -> None:
        if not self.captions:
            raise DataError(f"pair set {self.name!r}: no captions found")
        if not len(self.captions) == len(self.ids) == len(self.labels) == len(self.images):
            raise ValueError("captions, ids, labels and images differ in length")

    def __len__(self) -> int:
        return len(self.captions)

    @property
    def identity(self) -> dict[str, Any]:
        """What makes the pairs themselves: their source and a digest of ids and captions."""
        return {**self.source, "pairs": len(self), "captions": stable_hash([self.ids, self.captions])}


PairSource = Callable[[World, str], PairSet]
PAIR_SOURCES: Registry[PairSource] = Registry("pair source")
VALID_SPECS = ["web", "wds:<folder of .tar shards>", "table:<file.parquet|file.csv>"]


def load_pairs(world: World, spec: str) -> PairSet:
    """The pair set a spec names (``web``, ``wds:<root>``, ``table:<file>``)."""
    kind, _, argument = spec.partition(":")
    return PAIR_SOURCES.get(kind)(world, argument)


@PAIR_SOURCES.register("web")
def web_pairs(world: World, argument: str) -> PairSet:
    """The mini world's web pool and its captions (stand-in: the generator pool, captioned)."""
    if argument:
        raise DataError(f"the web source takes no argument (got 'web:{argument}')")
    if "web" in world.pool_names() and hasattr(world, "captions"):
        pool = world.pool("web")
        captions = list(world.captions("web"))
        source = {"source": "web", "world": world.name, "pool": "web"}
    elif "generator" in world.pool_names():
        from synscale.prompts import get_strategy

        pool = world.pool("generator")
        captions = get_strategy("captions", pool="generator").image_prompts(pool, world, seed=0)
        source = {"source": "web", "world": world.name, "pool": "generator"}
    else:
        raise DataError(f"world {world.name!r} has no web pool; give pairs as "
                        "wds:<folder of shards> or table:<file>")
    if not isinstance(pool, LabeledImages):
        raise DataError(f"world {world.name!r}: the web pool must be held in memory")
    ids = pool.ids or [f"{pool.name}/{i}" for i in range(len(pool))]
    return PairSet("web", captions, list(ids), pool.label_array.copy(), TensorImages(pool.images),
                   source)


@PAIR_SOURCES.register("wds")
def webdataset_pairs(world: World, argument: str) -> PairSet:
    """LAION-style WebDataset shards (img2dataset): image + ``txt`` caption per sample."""
    root = _existing(argument, "wds")
    shards = sorted(root.glob("*.tar")) if root.is_dir() else [root]
    entries, captions, ids = [], [], []
    for shard in shards:
        for key, (offset, size), caption in _index_shard(shard):
            entries.append((str(shard), offset, size))
            captions.append(caption)
            ids.append(key)
    if not captions:
        raise DataError(f"no captioned images in {root} ({len(shards)} shard(s); each sample needs "
                        f"an image ({'/'.join(IMAGE_EXTS)}) and a txt caption)")
    return PairSet(f"wds:{argument}", captions, ids, np.full(len(ids), UNLABELLED),
                   FileImages(entries, world.channels, world.image_size),
                   {"source": "wds", "root": str(root.resolve())})


@PAIR_SOURCES.register("table")
def table_pairs(world: World, argument: str) -> PairSet:
    """A Parquet or CSV file of ``path, caption`` (and optionally ``id``) rows."""
    path = _existing(argument, "table")
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read pair table {path}: {exc}") from None
    missing = [c for c in ("path", "caption") if c not in frame.columns]
    if missing:
        raise DataError(f"pair table {path} lacks the column(s) {', '.join(missing)} "
                        "(needs path, caption)")
    frame = frame.dropna(subset=["path", "caption"])
    frame = frame[frame["caption"].astype(str).str.strip() != ""]
    if frame.empty:
        raise DataError(f"pair table {path}: no captions found")
    files = [str((path.parent / p).resolve()) for p in frame["path"].astype(str)]
    ids = frame["id"].astype(str).tolist() if "id" in frame.columns else frame["path"].astype(str).tolist()
    return PairSet(f"table:{argument}", frame["caption"].astype(str).tolist(), ids,
                   np.full(len(ids), UNLABELLED),
                   FileImages([(f, -1, -1) for f in files], world.channels, world.image_size),
                   {"source": "table", "file": str(path.resolve())})


def _existing(argument: str, kind: str) -> Path:
    if not argument:
        raise DataError(f"give the pairs' location: {kind}:<path>")
    path = Path(argument)
    if not path.exists():
        raise DataError(f"pair source {kind}: {path} does not exist")
    return path


def _index_shard(path: Path) -> list[tuple[str, tuple[int, int], str]]:
    """(key, (offset, size) of the image, caption) of every captioned image in one tar shard."""
    samples: dict[str, dict[str, tarfile.TarInfo]] = {}
    try:
        with tarfile.open(path) as tar:
            for member in tar.getmembers():
                if member.isfile():
                    key, _, ext = member.name.rpartition("/")[2].partition(".")
                    samples.setdefault(key, {})[ext.lower()] = member
            out = []
            for key in sorted(samples):
                parts = samples[key]
                image = next((parts[e] for e in IMAGE_EXTS if e in parts), None)
                if image is None or "txt" not in parts:
                    continue
                caption = tar.extractfile(parts["txt"]).read().decode("utf-8").strip()
                if caption:
                    out.append((key, (image.offset_data, image.size), caption))
    except (tarfile.TarError, OSError) as exc:
        raise DataError(f"cannot read shard {path}: {exc}") from None
    return out
