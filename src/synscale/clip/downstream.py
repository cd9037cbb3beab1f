"""Downstream sets: labelled image folders the user names, each with its own class names (the
paper's 15 fine-grained sets, e.g. Food-101), scored zero-shot next to the world's sets.

A downstream set is a folder with one sub-folder per class, named by the class name ("apple_pie"
reads "apple pie"); its images are decoded at the world's size. Its identity (resolved path and a
digest of every file's name and bytes) is part of every run's name, so new images under old
names make new runs instead of reusing scores of the old ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from synscale.data.datasets import IMAGE_SUFFIXES, FileImages
from synscale.errors import DataError


@dataclass(frozen=True)
class DownstreamSet:
    name: str  # the folder's name
    classnames: list[str]
    images: FileImages

    @cached_property  # read once: every run of a study names the set in its identity
    def identity(self) -> dict[str, str]:
        root = Path(self.images.files[0]).parents[1]
        digest = hashlib.sha256()
        for file in map(Path, self.images.files):
            digest.update(f"{file.relative_to(root).as_posix()}\n".encode())
            digest.update(hashlib.sha256(file.read_bytes()).digest())
        return {"path": str(root), "files": digest.hexdigest()[:16]}


@lru_cache(maxsize=8)
def load_downstream(path: str, image_size: int) -> DownstreamSet:
    root = Path(path).resolve()
    if not root.is_dir():
        raise DataError(f"downstream set {path}: not a directory")
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    files, labels = [], []
    for label, folder in enumerate(folders):
        images = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        files += images
        labels += [label] * len(images)
    if len(folders) < 2 or not files:
        raise DataError(f"downstream set {path}: needs one sub-folder of images per class "
                        f"(found {len(folders)} folder(s), {len(files)} image(s))")
    return DownstreamSet(root.name, [f.name.replace("_", " ") for f in folders],
                         FileImages(files, labels, root.name, image_size))
