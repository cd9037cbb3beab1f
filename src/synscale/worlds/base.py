"""What a world is: classes with WordNet identity, real pools, OOD sets, and training defaults."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

from synscale.errors import DataError, UnknownNameError
from synscale.registry import Registry

if TYPE_CHECKING:  # images (torch) only where they are loaded
    from synscale.data.datasets import ImageDataset


@dataclass(frozen=True)
class ClassInfo:
    id: int
    name: str
    synset: str  # WordNet 3.0 synset name, e.g. "tench.n.01"
    wnid: str  # WordNet 3.0 noun offset id, e.g. "n01440764"


class World(ABC):
    """Real data and class metadata of one study setting; every stage reads only this interface."""

    name: str
    image_size: int
    channels: int
    default_model: str  # classifier name for supervised runs
    augment: str  # augmentation policy name (see synscale.train.augment)

    @property
    @abstractmethod
    def classes(self) -> list[ClassInfo]: ...

    @abstractmethod
    def pool_names(self) -> list[str]:
        """Names of the real pools, e.g. ``train`` and ``val``."""

    @abstractmethod
    def load_pool(self, name: str) -> ImageDataset: ...

    @abstractmethod
    def ood_names(self) -> list[str]: ...

    @abstractmethod
    def load_ood(self, name: str) -> ImageDataset: ...

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def pool(self, name: str) -> ImageDataset:
        if name not in self.pool_names():
            raise UnknownNameError(f"pool of world {self.name!r}", name, self.pool_names())
        return self.load_pool(name)

    def ood(self, name: str) -> ImageDataset:
        if name not in self.ood_names():
            raise UnknownNameError(f"OOD set of world {self.name!r}", name, self.ood_names())
        return self.load_ood(name)

    def pool_size(self, name: str) -> int:
        """Images in a pool; a world that knows it without loading the images says so faster."""
        return len(self.pool(name))

    def ood_size(self, name: str) -> int:
        return len(self.ood(name))

    def fingerprint(self) -> dict[str, object]:
        """What identifies this world's data beyond its name (e.g. a data root and a digest of
        its files), part of every run's identity; empty for data shipped with the package."""
        return {}

    def captions(self, pool: str) -> list[str]:
        """One caption per image of a captioned pool (the mini world's ``web``: the image-text
        pairs its generators and CLIP learn from)."""
        raise DataError(f"world {self.name!r} has no captioned pool (asked for {pool!r})")

    def styles(self, pool: str) -> list[str]:
        """The style of each image of a pool (e.g. handwritten, rendition, sketch)."""
        raise DataError(f"world {self.name!r} has no style labels (asked for pool {pool!r})")

    def describe(self) -> dict[str, object]:
        return {"world": self.name, "image_size": self.image_size, "channels": self.channels,
                "classes": [c.name for c in self.classes], "pools": self.pool_names(),
                "ood": self.ood_names(), "default_model": self.default_model}


WORLDS: Registry[World] = Registry("world")
