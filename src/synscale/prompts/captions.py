"""The ``captions`` strategy: class name + a caption of a real training image of that class.

"tench, a man holding a fish" in the paper (BLIP-2 captions of ImageNet); in the mini world
"seven, a thick, right-slanted digit with no loop" (the ``attributes`` captioner).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from synscale.errors import DataError
from synscale.prompts.captioners import Captioner, get_captioner
from synscale.prompts.strategies import STRATEGIES, Strategy, balanced_draw, class_rng

if TYPE_CHECKING:
    from pathlib import Path

    from synscale.data.datasets import ImageDataset
    from synscale.workspace import Workspace
    from synscale.worlds.base import ClassInfo, World

# The captioner a world uses unless told otherwise: measured attributes for the digits of the
# mini world, BLIP-2 (as in the paper) for photographs.
DEFAULT_CAPTIONERS = {"mini": "attributes"}
FALLBACK_CAPTIONER = "blip2"


@STRATEGIES.register("captions")
class Captions(Strategy):
    """Class name + caption of a real training image of it: "tench, a man holding a fish"."""

    name = "captions"

    def __init__(self, captioner: str | None = None, model: str | Path | None = None,
                 file: str | Path | None = None, pool: str = "train",
                 batch_size: int | None = None) -> None:
        self._options = {"model": model, "file": file, "batch_size": batch_size}
        # Without a name, the world decides (see ``prepare``); with one, bad options fail now.
        self._captioner = get_captioner(captioner, **self._options) if captioner else None
        self.pool = pool
        self._captions: dict[tuple[str, int], str] = {}

    def prepare(self, world: World, workspace: Workspace | None = None) -> None:
        if self._captioner is None:
            name = DEFAULT_CAPTIONERS.get(world.name, FALLBACK_CAPTIONER)
            self._captioner = get_captioner(name, **self._options)

    @property
    def captioner(self) -> Captioner:
        if self._captioner is None:
            raise RuntimeError("Captions.prepare(world) must run before the captioner is used")
        return self._captioner

    def config(self) -> dict[str, Any]:
        return {"strategy": self.name, "pool": self.pool, **self.captioner.config()}

    def candidates(self, cls: ClassInfo, world: World) -> list[str]:
        self.prepare(world)
        pool = world.pool(self.pool)
        members = np.flatnonzero(pool.label_array == cls.id).tolist()
        return [f"{cls.name}, {c}" for c in self._caption(pool, members)]

    def prompts(self, cls: ClassInfo, world: World, count: int, seed: int) -> list[str]:
        # Caption only the images drawn: BLIP-2 over a whole ImageNet class would cost minutes.
        self.prepare(world)
        pool = world.pool(self.pool)
        members = np.flatnonzero(pool.label_array == cls.id).tolist()
        if not members:
            raise DataError(f"captions: pool {self.pool!r} of world {world.name!r} has no image "
                            f"of class {cls.id} ({cls.name})")
        chosen = balanced_draw(members, count, class_rng(seed, cls.id, "prompts"))
        return [f"{cls.name}, {c}" for c in self._caption(pool, chosen)]

    def image_prompts(self, dataset: ImageDataset, world: World, seed: int) -> list[str]:
        """Each image gets its own caption, after its class name."""
        self.prepare(world)
        names = {c.id: c.name for c in world.classes}
        captions = self.captioner.caption(dataset, range(len(dataset)))
        return [f"{names[int(label)]}, {c}" for label, c in zip(dataset.label_array, captions)]

    def _caption(self, pool: ImageDataset, indices: list[int]) -> list[str]:
        """Captions of pool images, each image captioned once per process."""
        todo = sorted({i for i in indices if (pool.name, i) not in self._captions})
        for i, caption in zip(todo, self.captioner.caption(pool, todo) if todo else []):
            self._captions[pool.name, i] = caption
        return [self._captions[pool.name, i] for i in indices]
