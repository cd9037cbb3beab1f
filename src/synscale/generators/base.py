"""The generator contract: prompts and per-image seeds in, uint8 images out.

Image i depends only on (prompt_i, seed_i, cfg_scale, the generator's settings), never on the
batch it was made in or the worker that made it: each image draws its noise from its own
``torch.Generator`` seeded with ``seed_i``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import torch

from synscale.registry import Registry


class Generator(ABC):
    name: str
    image_size: int
    channels: int

    @abstractmethod
    def generate(self, prompts: list[str], seeds: list[int], cfg_scale: float) -> torch.Tensor:
        """uint8 images ``[N, C, H, W]`` for N prompts and N seeds."""

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """Everything besides prompt, seed and CFG that decides an image (scheduler, steps, weights
        hash, resolution, dtype, library versions): recorded in the dataset card, and checked
        against every batch so that one dataset never mixes two generators."""

    @classmethod
    def identity(cls, **options: Any) -> dict[str, Any]:
        """What decides this generator's images, from its options alone and without loading it:
        the options with defaults filled in and a fingerprint of the weights. It is part of a
        dataset's digest, so new weights or new defaults make a new dataset instead of reusing
        one made by another generator under the same name. Default: the options as given."""
        return dict(sorted(options.items()))


GENERATORS: Registry[Generator] = Registry("generator")


def per_image_generators(seeds: list[int]) -> list[torch.Generator]:
    return [torch.Generator("cpu").manual_seed(int(s)) for s in seeds]
