"""The reference classifier that scores generated images (recognizability, diversity, FID).

As in the paper (3.2), it is trained on real data only: the world's whole real ``train`` pool,
with the world's default recipe, once per workspace (cached as an artifact). ImageNet users pass
local weights of a pretrained timm model instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from synscale.train.checkpoint import CHECKPOINT_FILE
from synscale.train.classifier import TrainedClassifier, TrainRecipe, train_classifier
from synscale.train.runs import resolve_recipe
from synscale.train.schedule import Schedule
from synscale.workspace import Workspace
from synscale.worlds.base import World


def reference_classifier(world: World, workspace: Workspace, recipe: TrainRecipe | None = None,
                         seed: int = 0, weights: Path | None = None,
                         quiet: bool = False) -> TrainedClassifier:
    recipe = resolve_recipe(recipe or TrainRecipe(), world)
    if weights is not None:
        return TrainedClassifier.from_timm_weights(recipe.model or "", Path(weights), world.num_classes)
    name, identity = reference_identity(world, recipe, seed)
    found = workspace.find("reference", name, identity)
    if found is None:
        # Checkpointed like a run (a long ImageNet reference continues where it stopped).
        artifact = workspace.artifact_path("reference", name, identity)
        checkpoint = workspace.root / "checkpoints" / artifact.path.name / CHECKPOINT_FILE
        classifier, _ = train_classifier(world.pool("train"), world.num_classes, recipe, seed, quiet,
                                         checkpoint=checkpoint)
        with workspace.building("reference", name, identity) as folder:
            classifier.save(folder)
        shutil.rmtree(checkpoint.parent, ignore_errors=True)
        found = artifact
    return TrainedClassifier.load(found.path)


def reference_key(model: str, seed: int = 0, weights: str | Path | None = None,
                  schedule: Schedule | None = None) -> str:
    """How stored measurements name the reference classifier that scored them."""
    if weights is not None:
        return f"weights:{weights}"
    return f"{model}-s{seed}" + ("" if schedule is None else f"-{schedule.digest()[:8]}")


def reference_identity(world: World, recipe: TrainRecipe, seed: int) -> tuple[str, dict[str, object]]:
    """The reference artifact's name and identity (``recipe`` resolved)."""
    identity = {"world": world.name, "pool": "train", "seed": seed,
                "recipe": recipe.model_dump(mode="json")}
    if fingerprint := world.fingerprint():  # a data root and its files' digest (imagenet)
        identity["world_data"] = fingerprint
    return f"{world.name}-{recipe.model}", identity
