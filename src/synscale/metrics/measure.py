"""``synscale measure``: score a synthetic dataset (or a real pool, as a baseline) with every metric.

By default 50 images per class are scored, as in the paper: the lowest image ids of each class,
so the same images are measured every time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from synscale.data.datasets import ImageDataset, LabeledImages
from synscale.data.synthetic import SyntheticDataset
from synscale.errors import ConfigError, DataError
from synscale.metrics.base import METRICS, Measurement
from synscale.train.classifier import TrainedClassifier
from synscale.train.evaluate import predict
from synscale.workspace import Workspace
from synscale.worlds import World, get_world

DEFAULT_PER_CLASS = 50
REAL_PREFIX = "real:"


def measure(dataset: str | Path, workspace: Workspace, per_class: int = DEFAULT_PER_CLASS,
            metrics: list[str] | None = None, reference_weights: Path | None = None,
            world: str | None = None, quiet: bool = False) -> dict[str, object]:
    """Measure a synthetic dataset (folder or name in the workspace) or ``real:<pool>``."""
    if per_class < 1:
        raise ConfigError(f"--per-class must be at least 1 (got {per_class})")
    # 1. The images to judge, in the world's format.
    if str(dataset).startswith(REAL_PREFIX):
        the_world = get_world(world or "mini")
        images = _real_pool(the_world, str(dataset)[len(REAL_PREFIX):], per_class)
    else:
        synthetic = SyntheticDataset.resolve(dataset, workspace)
        the_world = get_world(world or synthetic.card["world"])
        images = synthetic.load(per_class, the_world.channels, the_world.image_size)
    # 2. The reference classifier (trained once per workspace on the real train pool).
    from synscale.train.reference import reference_classifier, reference_key

    reference = reference_classifier(the_world, workspace, weights=reference_weights, quiet=quiet)
    result = measure_images(images, the_world, reference, metrics)
    # 3. A synthetic dataset's measurement is stored, keyed by dataset and reference.
    if not str(dataset).startswith(REAL_PREFIX):
        with workspace.store() as store:
            store.add_dataset(synthetic.name, synthetic.card)
            store.add_measurement(synthetic.name, per_class,
                                  reference_key(reference.spec["model"], 0, reference_weights), result)
    return result


def measure_images(images: LabeledImages, world: World, reference: TrainedClassifier,
                   metrics: list[str] | None = None) -> dict[str, object]:
    """Every metric (or the named ones) of ``images`` under ``reference``."""
    names = metrics or METRICS.names()
    for name in names:
        METRICS.get(name)
    logits, features, labels = predict(reference, images)
    classes = sorted(int(c) for c in torch.unique(labels))
    real = _restrict(world.pool("val"), classes)
    measurement = Measurement(images, reference, logits, features, labels, real)
    values = {name: METRICS.get(name)(measurement) for name in names}
    class_names = {c.id: c.name for c in world.classes}
    counts = torch.bincount(labels, minlength=max(classes) + 1)
    per_class = [{"class_id": c, "class_name": class_names[c], "images": int(counts[c]),
                  **{n: v.per_class[c] for n, v in values.items() if v.per_class is not None}}
                 for c in classes]
    return {"dataset": images.name, "world": world.name, "images": len(images),
            **{name: value.value for name, value in values.items()}, "per_class": per_class}


def _real_pool(world: World, pool: str, per_class: int) -> LabeledImages:
    data = world.pool(pool)
    if not isinstance(data, LabeledImages):
        raise DataError(f"real pool {pool!r} of world {world.name!r} is not held in memory")
    labels = data.label_array
    chosen = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in np.unique(labels)])
    return data.subset(np.sort(chosen), name=f"{world.name}/{pool}")


def _restrict(data: ImageDataset, classes: list[int]) -> ImageDataset:
    keep = np.flatnonzero(np.isin(data.label_array, classes))
    return data if len(keep) == len(data) else data.subset(keep)
