"""Labelled image datasets that every stage consumes: real pools, OOD sets, synthetic sets.

Two kinds share one small contract (``len``, ``labels``, ``classes``, indexing to (image, label)):
``LabeledImages`` holds uint8 tensors in memory (the mini world and loaded synthetic sets) and is
batched by index without a DataLoader; ``FileImages`` reads image files lazily (ImageNet-scale).
"""

from __future__ import annotations

import copy
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from synscale.errors import DataError

IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png", ".bmp", ".webp")


@dataclass
class LabeledImages(torch.utils.data.Dataset):
    """uint8 images ``[N, C, H, W]`` with int64 labels ``[N]``, held in memory.

    ``classes`` lists the class ids this set covers (OOD sets such as ImageNet-R cover a subset;
    evaluation restricts logits to them); ``None`` means every class of the world.
    """

    images: torch.Tensor
    labels: torch.Tensor
    name: str = "images"
    classes: list[int] | None = None
    ids: list[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.ndim != 4:
            raise ValueError("images must be a uint8 tensor [N, C, H, W]")
        if len(self.images) != len(self.labels):
            raise ValueError("images and labels differ in length")
        self.labels = self.labels.long()

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.images[i], int(self.labels[i])

    def subset(self, indices: np.ndarray | list[int], name: str | None = None) -> LabeledImages:
        idx = torch.as_tensor(np.asarray(indices, dtype=np.int64))
        ids = [self.ids[i] for i in idx.tolist()] if self.ids else None
        return LabeledImages(self.images[idx], self.labels[idx], name or self.name, self.classes, ids)

    @property
    def label_array(self) -> np.ndarray:
        return self.labels.numpy()

    @staticmethod
    def concat(parts: list[LabeledImages], name: str) -> LabeledImages:
        ids = [i for p in parts for i in (p.ids or [f"{p.name}/{i}" for i in range(len(p))])]
        return LabeledImages(torch.cat([p.images for p in parts]), torch.cat([p.labels for p in parts]),
                             name, None, ids)


class FileImages(torch.utils.data.Dataset):
    """Image files with labels, decoded lazily to uint8 ``[C, H, W]`` at a fixed size."""

    def __init__(self, files: list[Path], labels: list[int], name: str, image_size: int,
                 classes: list[int] | None = None) -> None:
        if not files:
            raise DataError(f"{name}: no images found")
        self.files, self.name, self.image_size, self.classes = files, name, image_size, classes
        self.labels = torch.as_tensor(labels, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        with Image.open(self.files[i]) as im:
            im = im.convert("RGB").resize((self.image_size, self.image_size), Image.BICUBIC)
            array = np.asarray(im, dtype=np.uint8)
        return torch.from_numpy(array.copy()).permute(2, 0, 1), int(self.labels[i])

    def subset(self, indices: np.ndarray | list[int], name: str | None = None) -> FileImages:
        return FileImages([self.files[i] for i in indices], [int(self.labels[i]) for i in indices],
                          name or self.name, self.image_size, self.classes)

    @property
    def label_array(self) -> np.ndarray:
        return self.labels.numpy()


class ShardImages(FileImages):
    """Images inside WebDataset tar shards, read by member offset (map-style, so it can be
    subset and shuffled like any other set). Each sample needs an image (``jpg``/``jpeg``/``png``)
    and a label: ``cls`` (class index) or a ``json`` with ``class_id``."""

    def __init__(self, shards: list[Path], name: str, image_size: int,
                 classes: list[int] | None = None) -> None:
        entries = [entry for shard in shards for entry in _index_shard(shard)]
        if not entries:
            raise DataError(f"{name}: no labelled images in {len(shards)} shard(s)")
        self._entries = [(path, offset, size) for path, offset, size, _ in entries]
        super().__init__([Path(f"{p}@{o}") for p, o, _ in self._entries], [e[3] for e in entries],
                         name, image_size, classes)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        path, offset, size = self._entries[i]
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read(size)
        with Image.open(io.BytesIO(data)) as im:
            im = im.convert("RGB").resize((self.image_size, self.image_size), Image.BICUBIC)
            array = np.asarray(im, dtype=np.uint8)
        return torch.from_numpy(array.copy()).permute(2, 0, 1), int(self.labels[i])

    def subset(self, indices: np.ndarray | list[int], name: str | None = None) -> ShardImages:
        clone = copy.copy(self)
        clone._entries = [self._entries[i] for i in indices]
        clone.files = [self.files[i] for i in indices]
        clone.labels = self.labels[torch.as_tensor(np.asarray(indices, dtype=np.int64))]
        clone.name = name or self.name
        return clone


def _index_shard(path: Path) -> list[tuple[Path, int, int, int]]:
    """(shard, byte offset, size, label) of every labelled image in a tar shard."""
    samples: dict[str, dict[str, tarfile.TarInfo]] = {}
    try:
        with tarfile.open(path) as tar:
            members = tar.getmembers()
            for member in members:
                if member.isfile():
                    key, _, ext = member.name.partition(".")
                    samples.setdefault(key, {})[ext.lower()] = member
            labels = {key: _read_label(tar, parts) for key, parts in samples.items()}
    except (tarfile.TarError, OSError) as exc:
        raise DataError(f"cannot read shard {path}: {exc}") from None
    out = []
    for key, parts in samples.items():
        image = next((parts[e] for e in ("jpg", "jpeg", "png") if e in parts), None)
        if image is not None and labels[key] is not None:
            out.append((path, image.offset_data, image.size, labels[key]))
    return out


def _read_label(tar: tarfile.TarFile, parts: dict[str, tarfile.TarInfo]) -> int | None:
    if "cls" in parts:
        return int(tar.extractfile(parts["cls"]).read().decode().strip())
    if "json" in parts:
        value = json.loads(tar.extractfile(parts["json"]).read()).get("class_id")
        return None if value is None else int(value)
    return None


class ConcatImages(torch.utils.data.Dataset):
    """Sets read from disk, one after another (a real + synthetic mix that is streamed); the
    streamed twin of ``LabeledImages.concat``, with the same order."""

    def __init__(self, parts: list[LabeledImages | FileImages], name: str) -> None:
        self.parts, self.name, self.classes = parts, name, None
        self.starts = np.cumsum([0] + [len(p) for p in parts])
        self.labels = torch.cat([p.labels for p in parts])

    def __len__(self) -> int:
        return int(self.starts[-1])

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        part = int(np.searchsorted(self.starts, i, side="right")) - 1
        return self.parts[part][i - int(self.starts[part])]

    @property
    def label_array(self) -> np.ndarray:
        return self.labels.numpy()


ImageDataset = LabeledImages | FileImages | ConcatImages
