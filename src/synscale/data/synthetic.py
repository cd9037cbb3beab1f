"""A finished synthetic dataset on disk (card, manifest, shards), loaded as ``LabeledImages`` or
streamed image by image from its shards (``SyntheticImages``).

Images can be converted to a world's format (channels, resolution) so that any trainer or
reference classifier that takes the world's real images takes them too; both ways give the same
images in the same order.
"""

from __future__ import annotations

import tarfile
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from synscale.data.datasets import FileImages, LabeledImages
from synscale.data.manifest import CARD_FILE, MANIFEST_FILE, read_card, read_manifest
from synscale.data.shards import decode_png, load_shard_images, sample_key
from synscale.errors import DataError
from synscale.workspace import CONFIG_FILE, Workspace

DATASETS_KIND = "datasets"


class SyntheticDataset:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        if not (self.folder / CONFIG_FILE).is_file() or not (self.folder / MANIFEST_FILE).is_file():
            raise DataError(f"{self.folder} is not a finished synthetic dataset (no {CONFIG_FILE} "
                            f"and {MANIFEST_FILE}; run synscale generate, which resumes)")

    @classmethod
    def resolve(cls, dataset: str | Path, workspace: Workspace | None = None) -> SyntheticDataset:
        """A dataset by folder path, or by its folder name (or a unique prefix) in the workspace."""
        if not str(dataset).strip():  # not the current directory, nor a prefix of every name
            raise DataError("no synthetic dataset named (give its folder, or its name in the "
                            "workspace's datasets/)")
        path = Path(dataset)
        if path.is_dir():
            return cls(path)
        if workspace is not None:
            root = workspace.root / DATASETS_KIND
            # A plain prefix match, not a glob: a name holding glob characters ("**", "[") is
            # just a name that matches nothing.
            found = sorted(p for p in root.iterdir() if p.name.startswith(str(dataset))
                           and (p / CONFIG_FILE).is_file()) if root.is_dir() else []
            if len(found) == 1:
                return cls(found[0])
            if len(found) > 1:
                raise DataError(f"{dataset!r} matches {len(found)} datasets in {root}: "
                                + ", ".join(p.name for p in found))
        raise DataError(f"no synthetic dataset {str(dataset)!r} (give its folder, or its name in "
                        "the workspace's datasets/)")

    @cached_property
    def card(self) -> dict[str, Any]:
        return read_card(self.folder / CARD_FILE)

    @cached_property
    def manifest(self) -> pd.DataFrame:
        return read_manifest(self.folder / MANIFEST_FILE)

    @property
    def name(self) -> str:
        return self.folder.name

    def select(self, per_class: int | None = None) -> pd.DataFrame:
        """Manifest rows: all, or the first ``per_class`` images (lowest ids) of every class."""
        rows = self.manifest.sort_values("id")
        if per_class is None:
            return rows
        if per_class < 1:
            raise DataError(f"per_class must be at least 1 (got {per_class})")
        counts = rows.groupby("class_id").size()
        if (short := counts[counts < per_class]).size:
            raise DataError(f"{self.name}: class {int(short.index[0])} has {int(short.iloc[0])} "
                            f"images, fewer than the {per_class} per class asked for")
        return rows.groupby("class_id", sort=True).head(per_class)

    def load(self, per_class: int | None = None, channels: int | None = None,
             image_size: int | None = None) -> LabeledImages:
        """The selected images with their class labels, optionally in a world's format."""
        rows = self.select(per_class)
        channels = channels or int(self.card["image"]["channels"])
        by_shard = {shard: group["id"].tolist() for shard, group in rows.groupby("shard")}
        decoded = load_shard_images(self.folder, by_shard, channels)
        images = torch.stack([decoded[i] for i in rows["id"].tolist()])
        if image_size is not None and images.shape[-1] != image_size:
            images = resize_uint8(images, image_size)
        classes = self.card["config"].get("classes")
        return LabeledImages(images, torch.as_tensor(rows["class_id"].to_numpy(copy=True)), self.name,
                             classes, [f"{self.name}/{i}" for i in rows["id"].tolist()])


    def stream(self, per_class: int | None = None, channels: int | None = None,
               image_size: int | None = None) -> SyntheticImages:
        """The same images as ``load`` (same order, same pixels), read from the shards one at a
        time when indexed: memory does not grow with the dataset."""
        rows = self.select(per_class)
        channels = channels or int(self.card["image"]["channels"])
        where: dict[int, tuple[str, int, int]] = {}
        for shard, group in rows.groupby("shard"):
            where |= _png_members(self.folder / shard, set(group["id"].tolist()))
        ids = rows["id"].tolist()
        if missing := [i for i in ids if i not in where]:
            raise DataError(f"{self.name}: {len(missing)} images listed in the manifest are missing "
                            f"from its shards (first: id {missing[0]})")
        return SyntheticImages([where[i] for i in ids], rows["class_id"].tolist(), self.name,
                               image_size, channels, self.card["config"].get("classes"),
                               [f"{self.name}/{i}" for i in ids])


class SyntheticImages(FileImages):
    """A synthetic set read from its shards by member offset, decoded as ``SyntheticDataset.load``
    decodes it; map-style, so it can be subset, shuffled and read by DataLoader workers."""

    def __init__(self, members: list[tuple[str, int, int]], labels: list[int], name: str,
                 image_size: int | None, channels: int, classes: list[int] | None,
                 ids: list[str]) -> None:
        super().__init__([Path(f"{p}@{o}") for p, o, _ in members], labels, name, image_size or 0,
                         classes)
        self.members, self.channels, self.ids = members, channels, ids

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        path, offset, size = self.members[i]
        with open(path, "rb") as handle:
            handle.seek(offset)
            image = decode_png(handle.read(size), self.channels)
        if self.image_size and image.shape[-1] != self.image_size:
            image = resize_uint8(image[None], self.image_size)[0]
        return image, int(self.labels[i])

    def subset(self, indices: np.ndarray | list[int], name: str | None = None) -> SyntheticImages:
        picked = [int(i) for i in indices]
        return SyntheticImages([self.members[i] for i in picked], [int(self.labels[i]) for i in picked],
                               name or self.name, self.image_size, self.channels, self.classes,
                               [self.ids[i] for i in picked])


def _png_members(shard: Path, wanted: set[int]) -> dict[int, tuple[str, int, int]]:
    """{image id: (shard, byte offset, size)} of the wanted PNGs in a shard (headers only)."""
    keys = {sample_key(i): i for i in wanted}
    found = {}
    try:
        with tarfile.open(shard, "r:") as tar:
            for member in tar:
                key, _, extension = member.name.partition(".")
                if extension == "png" and key in keys:
                    found[keys[key]] = (str(shard), member.offset_data, member.size)
    except (tarfile.TarError, OSError) as exc:
        raise DataError(f"{shard.name}: unreadable shard ({exc})") from None
    return found


def resize_uint8(images: torch.Tensor, size: int) -> torch.Tensor:
    resized = F.interpolate(images.float(), size=(size, size), mode="bilinear", antialias=True,
                            align_corners=False)
    return resized.round_().clamp_(0, 255).to(torch.uint8)
