"""The reference classifier that scores generated images (recognizability, diversity, FID).

As in the paper (3.2), it is trained on real data only: the world's whole real ``train`` pool,
with the world's default recipe, once per workspace (cached as an artifact). ImageNet users pass
local weights of a pretrained timm model instead.
"""

from __future__ import annotations

from pathlib import Path

from synscale.train.classifier import TrainRecipe, TrainedClassifier, train_classifier
from synscale.train.runs import resolve_recipe
from synscale.workspace import Workspace
from synscale.worlds.base import World


def reference_classifier(world: World, workspace: Workspace, recipe: TrainRecipe = TrainRecipe(),
                         seed: int = 0, weights: Path | None = None,
                         quiet: bool = False) -> TrainedClassifier:
    recipe = resolve_recipe(recipe, world)
    if weights is not None:
        return TrainedClassifier.from_timm_weights(recipe.model or "", Path(weights), world.num_classes)
    identity = {"world": world.name, "pool": "train", "seed": seed,
                "recipe": recipe.model_dump(mode="json")}
    name = f"{world.name}-{recipe.model}"
    found = workspace.find("reference", name, identity)
    if found is None:
        classifier, _ = train_classifier(world.pool("train"), world.num_classes, recipe, seed, quiet)
        with workspace.building("reference", name, identity) as folder:
            classifier.save(folder)
        found = workspace.artifact_path("reference", name, identity)
    return TrainedClassifier.load(found.path)
