"""A scaling curve: train one classifier per scale D on nested subsets, evaluate, store.

Each run is an artifact (its trained weights) named by the hash of everything that decides it,
so a run already in the store is never trained again and a stopped curve resumes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import field_validator

from synscale.config import FrozenConfig
from synscale.data.subsets import nested_subset
from synscale.errors import DataError
from synscale.store import RunRecord
from synscale.train.classifier import TrainRecipe, train_classifier
from synscale.train.augment import AUGMENTS
from synscale.train.evaluate import evaluate
from synscale.train.models import check_model_name
from synscale.train.sources import resolve_training_data
from synscale.workspace import Workspace
from synscale.worlds import get_world
from synscale.worlds.base import World


class CurveConfig(FrozenConfig):
    """One learning curve: a world, a training set, scales, a seed and a recipe."""

    world: str = "mini"
    world_root: str | None = None  # data root, for worlds that read user data (imagenet)
    data: str = "real"
    scales: list[int] = [125, 250, 500, 1000, 2000]
    seed: int = 0
    recipe: TrainRecipe = TrainRecipe()

    @field_validator("scales")
    @classmethod
    def _positive(cls, scales: list[int]) -> list[int]:
        if not scales:
            raise ValueError("give at least one scale")
        if min(scales) <= 0:
            raise ValueError(f"scales must be positive, got {min(scales)}")
        return sorted(set(scales))


def resolve_recipe(recipe: TrainRecipe, world: World) -> TrainRecipe:
    """Fill the world's defaults and check every name, before any work starts."""
    resolved = recipe.model_copy(update={"model": recipe.model or world.default_model,
                                         "augment": recipe.augment or world.augment})
    check_model_name(resolved.model)
    AUGMENTS.get(resolved.augment)
    return resolved


def run_curve(config: CurveConfig, workspace: Workspace, quiet: bool = False) -> Iterator[RunRecord]:
    """Yield one record per scale, training only the runs the store does not have yet."""
    # 1. Resolve the world, the recipe and the training data; check every scale before any work.
    world = get_world(config.world, root=config.world_root)
    recipe = resolve_recipe(config.recipe, world)
    data = resolve_training_data(world, config.data, workspace)
    labels = data.dataset.label_array
    too_big = [s for s in config.scales if s > len(labels)]
    if too_big:
        raise DataError(f"scale {too_big[0]} is larger than the {data.name} pool "
                        f"({len(labels)} images)")
    eval_sets = {"val": world.pool("val"), **{n: world.ood(n) for n in world.ood_names()}}

    with workspace.store() as store:
        for scale in config.scales:
            # 2. A run is identified by everything that decides its result.
            identity = {"world": config.world, "data": data.identity, "scale": scale,
                        "seed": config.seed, "recipe": recipe.model_dump(mode="json")}
            name = f"{world.name}-{data.name}-{recipe.model}-D{scale}-s{config.seed}"
            artifact = workspace.artifact_path("runs", name, identity)
            stored = store.get_run(artifact.digest)
            if stored is not None:
                yield stored
                continue
            # 3. Train on the nested, class-balanced subset of D images.
            subset = data.dataset.subset(nested_subset(labels, scale, config.seed),
                                         f"{data.name}-D{scale}")
            classifier, stats = train_classifier(subset, world.num_classes, recipe, config.seed, quiet)
            # 4. Evaluate on val and every OOD set; save weights, then the store rows.
            sets = {set_name: evaluate(classifier, ds, recipe.eval_batch_size)
                    for set_name, ds in eval_sets.items()}
            with workspace.building("runs", name, identity) as folder:
                classifier.save(Path(folder))
            record = RunRecord(artifact.digest, world.name, data.name, recipe.model or "", scale,
                               config.seed, stats.iterations, stats.images_per_s,
                               stats.data_wait_fraction, stats.seconds, identity, sets)
            store.add_run(record)
            yield record
