"""Prompt strategies (paper 3.1): each turns a class into prompts, chosen by name from STRATEGIES.

A strategy has candidate prompts per class (``candidates``); ``prompts`` draws a given number of
them for one class with a seed, each candidate used as evenly as the count allows;
``image_prompts`` gives one prompt per image of a labelled dataset, which is what a text-to-image
model is trained on. ``config()`` holds every option that changes the prompts.
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cache, partial
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from synscale.errors import ConfigError
from synscale.prompts.wordnet import class_metadata
from synscale.registry import Registry

if TYPE_CHECKING:
    from synscale.data.datasets import ImageDataset
    from synscale.workspace import Workspace
    from synscale.worlds.base import ClassInfo, World

T = TypeVar("T")

# Independent random streams per class, so that adding places never moves the base prompts.
_STREAMS = {"prompts": 0, "places": 1}


def class_rng(seed: int, class_id: int, stream: str) -> np.random.Generator:
    return np.random.default_rng([seed, class_id, _STREAMS[stream]])


def balanced_draw(items: Sequence[T], count: int, rng: np.random.Generator) -> list[T]:
    """``count`` items: fresh random permutations of ``items`` end to end, so every item is used
    floor(count/len) or ceil(count/len) times and ``count == len`` gives each item once."""
    if not items:
        raise ConfigError("no candidate prompts to draw from")
    rounds = -(-count // len(items))
    order = np.concatenate([rng.permutation(len(items)) for _ in range(rounds)])[:count]
    return [items[i] for i in order]


class Strategy(ABC):
    name: str

    def __init__(self) -> None:
        """Options, if any, are keyword arguments of a subclass; an unknown one is a TypeError
        that the registry turns into a ConfigError."""

    def config(self) -> dict[str, Any]:
        return {"strategy": self.name}

    def prepare(self, world: World, workspace: Workspace | None = None) -> None:
        """Settle what depends on the world (e.g. its default captioner) and where to cache
        expensive products (word2sen sentences); idempotent."""

    @abstractmethod
    def candidates(self, cls: ClassInfo, world: World) -> list[str]:
        """Every prompt this strategy can give the class, in a fixed order."""

    def prompts(self, cls: ClassInfo, world: World, count: int, seed: int) -> list[str]:
        """``count`` prompts for one class, a deterministic function of the seed."""
        return balanced_draw(self.candidates(cls, world), count, class_rng(seed, cls.id, "prompts"))

    def image_prompts(self, dataset: ImageDataset, world: World, seed: int) -> list[str]:
        """One prompt per image of ``dataset``, drawn per class (captions override this to
        describe each image itself)."""
        labels = dataset.label_array
        out = [""] * len(labels)
        for cls in world.classes:
            members = np.flatnonzero(labels == cls.id)
            if len(members):
                for i, prompt in zip(members, self.prompts(cls, world, len(members), seed)):
                    out[i] = prompt
        return out


STRATEGIES: Registry[Strategy] = Registry("prompt strategy")


def get_strategy(name: str, **options: Any) -> Strategy:
    """Build a strategy by name; options left as ``None`` keep the strategy's defaults."""
    return STRATEGIES.create(name, **options)


@STRATEGIES.register("classname")
class Classname(Strategy):
    """The class name: "tench"."""

    name = "classname"

    def candidates(self, cls: ClassInfo, world: World) -> list[str]:
        return [cls.name]


@STRATEGIES.register("classname_description")
class ClassnameDescription(Strategy):
    """Class name and WordNet gloss: "tench, freshwater dace-like game fish of Europe and ..."."""

    name = "classname_description"

    def candidates(self, cls: ClassInfo, world: World) -> list[str]:
        return [f"{cls.name}, {class_metadata(cls).gloss}"]


@STRATEGIES.register("classname_hypernyms")
class ClassnameHypernyms(Strategy):
    """Name, lemmas and hypernym from WordNet: "tench, Tinca tinca, cyprinid, cyprinid fish"."""

    name = "classname_hypernyms"

    def __init__(self, levels: int = 1) -> None:
        if levels < 1:
            raise ConfigError("classname_hypernyms: levels must be at least 1")
        self.levels = levels

    def config(self) -> dict[str, Any]:
        return {"strategy": self.name, "levels": self.levels}

    def candidates(self, cls: ClassInfo, world: World) -> list[str]:
        meta = class_metadata(cls)
        # Level 1 is every direct hypernym; deeper levels follow the first one's chain.
        above = [*meta.parents, *meta.hypernyms[1:self.levels]]
        names = [cls.name, *meta.lemmas, *(lemma for h in above for lemma in h.lemmas)]
        return [", ".join(_unique(names))]


def _unique(words: list[str]) -> list[str]:
    seen: set[str] = set()
    return [w for w in words if not (w.lower() in seen or seen.add(w.lower()))]


class ClipTemplates(Strategy):
    """The OpenAI CLIP zero-shot templates applied to the class name (open_clip ships them)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.name = f"clip_templates_{count}"

    def candidates(self, cls: ClassInfo, world: World) -> list[str]:
        return [template(cls.name) for template in clip_templates(self.count)]


def clip_templates(count: int) -> tuple[Any, ...]:
    module = _open_clip_templates()
    return {80: module.OPENAI_IMAGENET_TEMPLATES, 7: module.SIMPLE_IMAGENET_TEMPLATES}[count]


@cache
def _open_clip_templates() -> ModuleType:
    """open_clip's template module, loaded on its own: it imports nothing, while importing the
    open_clip package pulls in torch, timm and every model definition (10+ s)."""
    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("clip_templates_* need open_clip: pip install 'synscale[clip]'")
    path = Path(next(iter(spec.submodule_search_locations))) / "zero_shot_metadata.py"
    loader = importlib.util.spec_from_file_location("_open_clip_zero_shot_metadata", path)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module


@STRATEGIES.register("clip_templates_7")
def clip_templates_7() -> Strategy:
    """The 7 CLIP templates OpenAI chose for ImageNet: "a photo of the large tench."."""
    return ClipTemplates(7)


@STRATEGIES.register("clip_templates_80")
def clip_templates_80() -> Strategy:
    """The 80 OpenAI CLIP ImageNet templates: "a sculpture of a tench."."""
    return ClipTemplates(80)


# --- + places -----------------------------------------------------------------------------------

@cache
def places() -> tuple[str, ...]:
    """The scenes the ``+places`` strategies append ("in a kitchen"), shipped with the package."""
    text = (resources.files("synscale") / "assets" / "prompts" / "places.txt").read_text()
    lines = (line.strip() for line in text.splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


class WithPlaces(Strategy):
    """A base strategy's prompt followed by a scene: "tench, Tinca tinca, ..., on a lake"."""

    def __init__(self, base: Strategy) -> None:
        self.base = base
        self.name = f"{base.name}+places"

    def config(self) -> dict[str, Any]:
        from synscale.config import stable_hash

        return {**self.base.config(), "strategy": self.name, "places": stable_hash(places())}

    def prepare(self, world: World, workspace: Workspace | None = None) -> None:
        self.base.prepare(world, workspace)

    def candidates(self, cls: ClassInfo, world: World) -> list[str]:
        return [f"{p}, {place}" for p in self.base.candidates(cls, world) for place in places()]

    def prompts(self, cls: ClassInfo, world: World, count: int, seed: int) -> list[str]:
        scenes = balanced_draw(places(), count, class_rng(seed, cls.id, "places"))
        base = self.base.prompts(cls, world, count, seed)
        return [f"{p}, {scene}" for p, scene in zip(base, scenes)]


# Templates, word2sen sentences and captions already set a scene or a medium ("a sculpture of",
# "a man holding"): a second scene would contradict it, so only the plain strategies get places.
PLACES_BASES = ("classname", "classname_description", "classname_hypernyms")


def _with_places(base: str, **options: Any) -> Strategy:
    return WithPlaces(get_strategy(base, **options))


for _base in PLACES_BASES:
    STRATEGIES.register(f"{_base}+places", doc=f"{_base} followed by a scene from the shipped "
                        "places list: \"..., in a kitchen\"")(partial(_with_places, _base))
