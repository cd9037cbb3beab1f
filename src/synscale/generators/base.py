"""The generator contract: prompts and per-image seeds in, uint8 images out.

Image i depends only on (prompt_i, seed_i, cfg_scale, the generator's settings), never on the
batch it was made in or the worker that made it: each image draws its noise from its own
``torch.Generator`` seeded with ``seed_i``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from synscale.errors import ConfigError
from synscale.registry import Registry

if TYPE_CHECKING:  # torch where images are made: naming and checking generators imports none
    import torch


class Generator(ABC):
    name: str
    image_size: int
    channels: int
    # The image formats (size, channels) of the worlds this generator can serve; None: any world
    # (its images are resized and converted to the world's format when a dataset is loaded).
    serves: ClassVar[tuple[tuple[int, int], ...] | None] = None

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


def check_serves(generator: str, world: str) -> None:
    """Refuse, before any work, a generator for a world whose images it cannot make (the mini
    models' 16x16 grayscale digits as ImageNet classes, say); unknown names are left to the
    registries' own errors."""
    import synscale.generators  # noqa: F401  (every generator registered)
    from synscale.worlds import WORLDS

    if generator not in GENERATORS or world not in WORLDS:
        return
    world_class = WORLDS.get(world)
    needed = (world_class.image_size, world_class.channels)

    def serves(name: str) -> bool:
        formats = getattr(GENERATORS.get(name), "serves", None)
        return formats is None or needed in formats

    if not serves(generator):
        made = " or ".join(f"{c}x{s}x{s}" for s, c in GENERATORS.get(generator).serves)
        valid = ", ".join(n for n in GENERATORS.names() if serves(n))
        raise ConfigError(f"generator {generator!r} makes {made} images, world {world!r} needs "
                          f"{needed[1]}x{needed[0]}x{needed[0]}; generators that serve it: {valid}")


def per_image_generators(seeds: list[int]) -> list[torch.Generator]:
    import torch

    return [torch.Generator("cpu").manual_seed(int(s)) for s in seeds]
