"""Where a training set comes from: a name on the command line -> a labelled dataset.

``real`` is the world's real training pool; ``syn:<dataset>`` is a synthetic dataset made by
``synscale generate`` (its folder, or its name or a unique prefix of it in the workspace), loaded in
the world's image format.
"""

from __future__ import annotations

from dataclasses import dataclass

from synscale.data.datasets import ImageDataset
from synscale.data.synthetic import SyntheticDataset
from synscale.errors import ConfigError
from synscale.workspace import Workspace
from synscale.worlds.base import World

VALID_FORMS = ["real", "syn:<dataset folder or name in the workspace>"]


@dataclass(frozen=True)
class TrainingData:
    name: str  # as stored in the results (e.g. "real")
    identity: dict[str, str]  # what makes this data itself; part of every run's hash
    dataset: ImageDataset


def resolve_training_data(world: World, spec: str, workspace: Workspace) -> TrainingData:
    if spec == "real":
        return TrainingData("real", {"world": world.name, "pool": "train"}, world.pool("train"))
    if spec.startswith("syn:"):
        dataset = SyntheticDataset.resolve(spec.removeprefix("syn:"), workspace)
        images = dataset.load(channels=world.channels, image_size=world.image_size)
        return TrainingData(f"syn:{dataset.name}", {"dataset": dataset.name}, images)
    raise ConfigError(f"unknown training data {spec!r}; valid: {', '.join(VALID_FORMS)}")
