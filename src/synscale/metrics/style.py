"""The style probe: which style (handwritten, rendition, sketch) a generated image is in.

A small classifier (the world's default model and recipe) trained on the web pool's style labels,
its two minority styles repeated to balance the three; checked on sets it never saw, each of one
known style: ``val`` (handwritten), the OOD ``renditions`` (other fonts) and the OOD ``sketch``
(outlines of other digits). It answers the question the web pool was built for: does "a sketch of
a seven" draw a sketch? (``style_shares``). Trained once per workspace and cached there, like the
reference classifier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from synscale.data.datasets import LabeledImages
from synscale.errors import DataError
from synscale.train.classifier import TrainedClassifier, TrainRecipe, train_classifier
from synscale.train.evaluate import predict
from synscale.train.runs import resolve_recipe
from synscale.workspace import Workspace
from synscale.worlds import World

STYLES = ("handwritten", "rendition", "sketch")
KIND = "style-probe"
# Sets the probe never trained on, with the one style each holds: its held-out accuracy.
HELD_OUT = {"val": "handwritten", "renditions": "rendition", "sketch": "sketch"}


@dataclass(frozen=True)
class StyleProbe:
    classifier: TrainedClassifier
    held_out: dict[str, float]  # accuracy on each held-out set (val, renditions, sketch)

    def styles(self, images: torch.Tensor) -> list[str]:
        """The style of each uint8 image ``[N, C, H, W]``."""
        data = LabeledImages(images, torch.zeros(len(images), dtype=torch.long), "probe")
        logits, _, _ = predict(self.classifier, data)
        return [STYLES[i] for i in logits.argmax(dim=1).tolist()]

    def shares(self, images: torch.Tensor) -> dict[str, float]:
        """The share of the images in each style."""
        found = self.styles(images)
        return {s: found.count(s) / max(1, len(found)) for s in STYLES}


def style_probe(world: World, workspace: Workspace, seed: int = 0, recipe: TrainRecipe | None = None,
                quiet: bool = False) -> StyleProbe:
    """The world's style probe, trained on its web pool (once per workspace and recipe)."""
    if "web" not in world.pool_names():
        raise DataError(f"world {world.name!r} has no web pool with style labels")
    recipe = resolve_recipe(recipe or TrainRecipe(), world)
    identity = {"world": world.name, "pool": "web", "seed": seed,
                "recipe": recipe.model_dump(mode="json"), "styles": list(STYLES)}
    found = workspace.find(KIND, world.name, identity)
    if found is None:
        classifier, _ = train_classifier(_balanced_web(world), len(STYLES), recipe, seed, quiet)
        with workspace.building(KIND, world.name, identity) as folder:
            classifier.save(folder)
        found = workspace.artifact_path(KIND, world.name, identity)
    probe = StyleProbe(TrainedClassifier.load(found.path), {})
    held_out = {}
    for name, style in HELD_OUT.items():
        data = world.pool(name) if name in world.pool_names() else world.ood(name)
        held_out[name] = round(probe.shares(data.images)[style], 4)
    return StyleProbe(probe.classifier, held_out)


def _balanced_web(world: World) -> LabeledImages:
    """The web pool labelled by style, each style repeated up to the largest one's count."""
    web = world.pool("web")
    styles = np.asarray([STYLES.index(s) for s in world.styles("web")])
    largest = np.bincount(styles).max()
    index = np.concatenate([np.resize(np.flatnonzero(styles == s), largest)
                            for s in range(len(STYLES))])
    return LabeledImages(web.images[index], torch.from_numpy(styles[index]), "mini/web-styles")
