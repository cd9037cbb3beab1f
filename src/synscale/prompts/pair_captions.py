"""The ``pair_captions`` strategy: replay a pair set's captions, one prompt per pair, so that a
text-to-image model draws, for every caption, one synthetic image (paper 5: synthetic CLIP data).

The generation plan is class-major with the same count per class, so the pairs are laid out to
fit it (``pair_layout``): a pair set labelled with every class of the world in equal numbers (the
mini world's web pool) fills each class in pair order; any other set (LAION: no classes) goes
under the world's first class as one block, whose class columns in the manifest then mean
nothing. Image ``i`` of the dataset is pair ``layout.order[i]`` either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from synscale.errors import ConfigError
from synscale.prompts.strategies import STRATEGIES, Strategy

if TYPE_CHECKING:
    from synscale.clip.pairs import PairSet
    from synscale.workspace import Workspace
    from synscale.worlds.base import ClassInfo, World


@dataclass(frozen=True)
class PairLayout:
    classes: list[int] | None  # the plan's classes (None: every class of the world)
    per_class: int
    order: np.ndarray  # image i of the plan is pair order[i]


def pair_layout(pairs: PairSet, num_classes: int) -> PairLayout:
    labels = pairs.labels
    counts = np.bincount(labels[labels >= 0], minlength=num_classes) if (labels >= 0).all() else None
    if counts is not None and len(counts) == num_classes and (counts == counts[0]).all():
        order = np.concatenate([np.flatnonzero(labels == c) for c in range(num_classes)])
        return PairLayout(None, int(counts[0]), order)
    return PairLayout([0], len(pairs), np.arange(len(pairs)))


@STRATEGIES.register("pair_captions")
class PairCaptions(Strategy):
    """The captions of a pair set, one image per caption (``pairs=web``, ``wds:<root>``, ...)."""

    name = "pair_captions"

    def __init__(self, pairs: str = "web") -> None:
        self.pairs = pairs
        self._set: PairSet | None = None
        self._layout: PairLayout | None = None

    def prepare(self, world: World, workspace: Workspace | None = None) -> None:
        if self._set is None:
            from synscale.clip.pairs import load_pairs

            self._set = load_pairs(world, self.pairs)
            self._layout = pair_layout(self._set, world.num_classes)

    def config(self) -> dict[str, Any]:
        if self._set is None:
            return {"strategy": self.name, "pairs": self.pairs}
        return {"strategy": self.name, "pairs": self._set.identity}

    def candidates(self, cls: ClassInfo, world: World) -> list[str]:
        self.prepare(world)
        return self._class_captions(cls)

    def prompts(self, cls: ClassInfo, world: World, count: int, seed: int) -> list[str]:
        """The class's first ``count`` captions in pair order (the seed plays no part); synthetic
        pairs for CLIP ask for all of them (``pair_layout``), and CLIP refuses a set that does
        not cover the pair set's captions."""
        self.prepare(world)
        captions = self._class_captions(cls)
        if count > len(captions):
            raise ConfigError(f"pair_captions replays the {len(self._set)} captions of "
                              f"{self.pairs!r}: at most {self._layout.per_class} per class "
                              f"(classes {self._layout.classes or 'all'}), not {count}")
        return captions[:count]

    def _class_captions(self, cls: ClassInfo) -> list[str]:
        layout = self._layout
        if layout.classes is not None and cls.id not in layout.classes:
            return []
        block = layout.order.reshape(-1, layout.per_class)
        row = cls.id if layout.classes is None else layout.classes.index(cls.id)
        return [self._set.captions[i] for i in block[row]]
