"""Where a training set comes from: a name on the command line -> a labelled dataset.

``real`` is the world's real training pool. Synthetic and mixed sets come from dataset artifacts
in the workspace (added by the generation stage).
"""

from __future__ import annotations

from dataclasses import dataclass

from synscale.data.datasets import ImageDataset
from synscale.errors import ConfigError
from synscale.workspace import Workspace
from synscale.worlds.base import World

VALID_FORMS = ["real"]


@dataclass(frozen=True)
class TrainingData:
    name: str  # as stored in the results (e.g. "real")
    identity: dict[str, str]  # what makes this data itself; part of every run's hash
    dataset: ImageDataset


def resolve_training_data(world: World, spec: str, workspace: Workspace) -> TrainingData:
    if spec == "real":
        return TrainingData("real", {"world": world.name, "pool": "train"}, world.pool("train"))
    raise ConfigError(f"unknown training data {spec!r}; valid: {', '.join(VALID_FORMS)}")
