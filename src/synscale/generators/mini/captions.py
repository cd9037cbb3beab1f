"""Training captions of the mini generators: every image of the web pool can be captioned by every
prompt strategy, so that at generation time each strategy's prompts are words the model has
learned, and the strategy changes the images as it does for Stable Diffusion in the paper.

A caption never contradicts its image: a strategy's prompt that names a style ("a sketch of a
seven") captions only images of that style, a plain one ("seven") only handwritten digits
(``worlds.mini_web.compatible``); where a strategy has no prompt for an image's style, the image's
own web caption stands in. So "seven" draws a handwritten digit and "a sketch of a seven" a
sketch, as on the web.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synscale.prompts import get_strategy
from synscale.worlds.base import World
from synscale.worlds.mini_web import compatible

# Strategies whose prompts depend on the class only. ``word2sen`` is left out: it needs a
# text-to-text model that is not shipped, and the mini model must train with nothing to download.
CLASS_STRATEGIES = ("classname", "classname_description", "classname_hypernyms",
                    "clip_templates_7", "clip_templates_80", "classname+places",
                    "classname_description+places", "classname_hypernyms+places")
WEB_CAPTIONS = "web_captions"  # the web pool's own captions, one per image


# Share of training captions that describe the image itself (the rest name its class in the words
# of a class-level strategy): like LAION captions for Stable Diffusion, they are what teaches the
# model that words such as "thick" or "slanted" change the picture.
IMAGE_CAPTION_SHARE = 0.5


@dataclass(frozen=True)
class CaptionBank:
    """Candidate captions of each training image, grouped by the strategy that wrote them.

    ``per_class[s][c]`` are the prompts strategy ``s`` writes for class ``c``; ``per_image[s][i]``
    the caption strategy ``s`` wrote for image ``i`` (strategies that look at the image);
    ``styles[i]`` the style of image ``i`` (None: every image is handwritten).
    """

    labels: np.ndarray
    per_class: dict[str, list[list[str]]]
    per_image: dict[str, list[str]]
    styles: list[str] | None = None
    _fitting: dict[tuple[str, int, str], list[str]] = field(default_factory=dict, repr=False,
                                                             compare=False)

    @property
    def strategies(self) -> list[str]:
        return sorted([*self.per_class, *self.per_image])

    def style(self, i: int) -> str:
        return "handwritten" if self.styles is None else self.styles[i]

    def weights(self) -> np.ndarray:
        """Probability of drawing each strategy (in ``strategies`` order)."""
        image_share = IMAGE_CAPTION_SHARE if self.per_class and self.per_image else (
            1.0 if self.per_image else 0.0)
        return np.array([image_share / len(self.per_image) if name in self.per_image
                         else (1 - image_share) / len(self.per_class) for name in self.strategies])

    def fitting(self, name: str, label: int, style: str) -> list[str]:
        """The prompts of class strategy ``name`` for class ``label`` that may caption an image
        of ``style``."""
        key = (name, label, style)
        if key not in self._fitting:
            self._fitting[key] = [p for p in self.per_class[name][label] if compatible(p, style)]
        return self._fitting[key]

    def texts(self) -> list[str]:
        """Every caption the bank can produce (to build the vocabulary from): prompts that fit no
        image never train, so their words stay unknown rather than untrained."""
        styles = sorted(set(self.styles or ["handwritten"]))
        out = [p for name, classes in self.per_class.items() for label in range(len(classes))
               for style in styles for p in self.fitting(name, label, style)]
        return out + [c for captions in self.per_image.values() for c in captions]

    def sample(self, indices: np.ndarray, rng: np.random.Generator) -> list[str]:
        """One caption per image: a strategy drawn by ``weights``, then one of its prompts that
        fits the image (or, if none does, the image's own caption)."""
        names = self.strategies
        picks = rng.choice(len(names), size=len(indices), p=self.weights())
        out = []
        for i, pick in zip(indices.tolist(), picks.tolist()):
            name = names[pick]
            if name in self.per_image:
                out.append(self.per_image[name][i])
                continue
            prompts = self.fitting(name, int(self.labels[i]), self.style(i))
            if prompts:
                out.append(prompts[rng.integers(len(prompts))])
            elif self.per_image:
                out.append(self.per_image[min(self.per_image)][i])
            else:
                raise ValueError(f"strategy {name!r} has no prompt for a {self.style(i)} image")
        return out


def full_bank(world: World, pool_name: str = "web", seed: int = 0) -> CaptionBank:
    """Captions of every prompt strategy that needs no external model (all but ``word2sen``):
    each strategy's candidates per class, and the pool's own captions per image (the web pool's
    captions and styles; for another pool, the ``captions`` strategy's attribute captions)."""
    pool = world.pool(pool_name)
    per_class = {}
    for name in CLASS_STRATEGIES:
        strategy = get_strategy(name)
        strategy.prepare(world)
        per_class[name] = [strategy.candidates(c, world) for c in world.classes]
    if pool_name == "web":
        return CaptionBank(pool.label_array, per_class, {WEB_CAPTIONS: world.captions("web")},
                           world.styles("web"))
    captions = get_strategy("captions")
    return CaptionBank(pool.label_array, per_class,
                       {"captions": captions.image_prompts(pool, world, seed)})


def class_name_bank(world: World, pool_name: str = "generator") -> CaptionBank:
    """Class names alone: for tests and for the architecture's speed work."""
    pool = world.pool(pool_name)
    return CaptionBank(pool.label_array, {"classname": [[c.name] for c in world.classes]}, {})
