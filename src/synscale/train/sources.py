"""Where a training set comes from: a name on the command line -> a labelled dataset.

- ``real`` is the world's real training pool;
- ``syn:<dataset>`` is a synthetic dataset made by ``synscale generate`` (its folder, or its name or
  a unique prefix of it in the workspace), loaded in the world's image format;
- ``real<R>+syn:<dataset>`` is R real images plus S synthetic ones: the R real images are the
  same nested subset for every S, and the S synthetic images are nested across S, so a curve over
  S at fixed R answers "I have R real images: how much does adding synthetic data help?". For
  this form a curve's scales are the numbers S of synthetic images added (0 allowed).

Resolving a spec only names the data (its identity is part of every run's hash); images are
loaded when a run needs them, once per process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from synscale.errors import ConfigError
from synscale.train.setup import TrainSetup
from synscale.workspace import Workspace
from synscale.worlds.base import World

if TYPE_CHECKING:  # images (torch) load when a run trains, not when a curve is planned
    from synscale.data.datasets import ImageDataset, LabeledImages

VALID_FORMS = ["real", "syn:<dataset folder or name in the workspace>",
               "real<R>+syn:<dataset> (R real images plus the scale's synthetic ones)"]
_MIX = re.compile(r"real(\d+)\+syn:(.+)")


@dataclass(frozen=True)
class TrainingData:
    name: str  # as stored in the results (e.g. "real", "syn:<dataset>", "real250+syn:<dataset>")
    identity: dict[str, object]  # what makes this data itself; part of every run's hash
    real_images: int  # R, the fixed real part of a mix; 0 otherwise
    synthetic: str | None  # folder of the synthetic dataset, if any
    synthetic_images: int  # size of the synthetic dataset (0 for real data)

    @property
    def kind(self) -> str:
        return "mix" if self.real_images and self.synthetic else "syn" if self.synthetic else "real"

    def pool_size(self, world: World) -> int:
        """The largest scale this data allows."""
        return world.pool_size("train") if self.kind == "real" else self.synthetic_images

    def sizes(self, scale: int) -> tuple[int, int, int]:
        """(images trained on, real images, synthetic images) of the run at ``scale``."""
        if self.kind == "real":
            return scale, scale, 0
        if self.kind == "syn":
            return scale, 0, scale
        return self.real_images + scale, self.real_images, scale

    def subset(self, world: World, scale: int, seed: int, setup: TrainSetup | None = None
               ) -> ImageDataset:
        """The run's training images: nested, class-balanced subsets seeded by the run seed.

        A synthetic set is held in memory when its decoded images are small (the mini world's)
        and streamed from its shards otherwise (``setup.stream``): the same images either way.
        """
        from synscale.data.datasets import ConcatImages, LabeledImages
        from synscale.data.subsets import nested_subset
        from synscale.data.synthetic import SyntheticDataset

        if self.kind == "real":
            pool = world.pool("train")
            return pool.subset(nested_subset(pool.label_array, scale, seed), f"{self.name}-D{scale}")
        setup = setup or TrainSetup()
        decoded = self.synthetic_images * world.channels * world.image_size ** 2
        if setup.streams(decoded):
            images: ImageDataset = SyntheticDataset(Path(self.synthetic)).stream(
                channels=world.channels, image_size=world.image_size)
        else:
            images = _load_synthetic(self.synthetic, world.channels, world.image_size)
        if self.kind == "syn":
            return images.subset(nested_subset(images.label_array, scale, seed), f"{self.name}-D{scale}")
        real = world.pool("train")
        parts = [real.subset(nested_subset(real.label_array, self.real_images, seed))]
        if scale:
            parts.append(images.subset(nested_subset(images.label_array, scale, seed)))
        if all(isinstance(p, LabeledImages) for p in parts):
            return LabeledImages.concat(parts, f"{self.name}-S{scale}")
        return ConcatImages(parts, f"{self.name}-S{scale}")


def resolve_training_data(world: World, spec: str, workspace: Workspace) -> TrainingData:
    if spec == "real":
        return real_data(world)
    from synscale.data.synthetic import SyntheticDataset

    if spec.startswith("syn:"):
        dataset = SyntheticDataset.resolve(spec.removeprefix("syn:"), workspace)
        return synthetic_data(dataset.name, dataset.folder, int(dataset.card["images"]))
    if match := _MIX.fullmatch(spec):
        if int(match.group(1)) == 0:  # would silently be syn:<dataset>, under another name
            raise ConfigError(f"{spec!r}: a mix needs at least 1 real image (R = 0 is "
                              f"syn:{match.group(2)})")
        dataset = SyntheticDataset.resolve(match.group(2), workspace)
        return synthetic_data(dataset.name, dataset.folder, int(dataset.card["images"]),
                              int(match.group(1)), world)
    raise ConfigError(f"unknown training data {spec!r}; valid: {', '.join(VALID_FORMS)}")


def real_data(world: World) -> TrainingData:
    return TrainingData("real", {"world": world.name, "pool": "train"}, 0, None, 0)


def synthetic_data(name: str, folder: str | Path, images: int, real_images: int = 0,
                   world: World | None = None) -> TrainingData:
    """A synthetic dataset by folder name; with ``real_images`` R > 0, R real images of
    ``world`` plus the synthetic ones."""
    if not real_images:
        return TrainingData(f"syn:{name}", {"dataset": name}, 0, str(folder), images)
    pool = world.pool_size("train") if world is not None else 0
    if not 0 < real_images <= pool:
        raise ConfigError(f"R = {real_images} real images: must be between 1 and the real pool's "
                          f"{pool} images")
    return TrainingData(f"real{real_images}+syn:{name}",
                        {"real": {"world": world.name, "pool": "train"}, "real_images": real_images,
                         "synthetic": {"dataset": name}}, real_images, str(folder), images)


@lru_cache(maxsize=4)
def _load_synthetic(folder: str, channels: int, image_size: int) -> LabeledImages:
    """A synthetic set in a world's format, decoded once per process (the runs of a curve share it)."""
    from synscale.data.synthetic import SyntheticDataset

    return SyntheticDataset(folder).load(channels=channels, image_size=image_size)
