"""The study file: one YAML document that names everything a supervised study does.

A study has a world, a reference classifier, a set of **generation configurations** (a grid of
generator x CFG x prompt strategy, plus explicit entries, each with a short name), the training
recipe, the **curves** to train and which analyses to run. Every configuration is measured
(recognizability, diversity, FID) and trained on at the reference scale D_I (paper Figure 2);
curves span scales (Figures 3 and 4), and a curve with ``real: R`` adds synthetic images to R
real ones. See ``examples/mini.yaml`` and docs/study.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from synscale.advise.config import Advise
from synscale.clip.study import ClipSection
from synscale.config import FrozenConfig, load_config
from synscale.errors import ConfigError
from synscale.train.classifier import TrainRecipe
from synscale.train.schedule import Schedule

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")


class Grid(FrozenConfig):
    """Every combination of the three axes is one configuration, named
    ``<generator without 'mini-'>-<prompts>-cfg<cfg>`` (e.g. ``pixel-classname-cfg2``)."""

    generator: list[str] = Field(min_length=1)
    cfg: list[float] = Field(min_length=1)
    prompts: list[str] = Field(min_length=1)
    generator_options: dict[str, Any] = Field(default_factory=dict)
    prompt_options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("cfg")
    @classmethod
    def _finite_cfg(cls, values: list[float]) -> list[float]:
        for value in values:
            if not 0 <= value < float("inf"):
                raise ValueError(f"CFG must be a finite number >= 0, got {value}")
        return values


class Configuration(FrozenConfig):
    """One named generation configuration."""

    name: str
    generator: str
    cfg: float = Field(ge=0, allow_inf_nan=False)
    prompts: str
    generator_options: dict[str, Any] = Field(default_factory=dict)
    prompt_options: dict[str, Any] = Field(default_factory=dict)


class Generation(FrozenConfig):
    seed: int = Field(0, ge=0)  # dataset seed (prompts and per-image noise)
    steps: int | None = Field(None, gt=0)  # None: each generator's default
    batch_size: int = Field(250, gt=0)
    shard_size: int = Field(1000, gt=0)
    grid: list[Grid] = Field(default_factory=list)
    extra: list[Configuration] = Field(default_factory=list)


class Reference(FrozenConfig):
    """The reference classifier of the metrics: trained on the real pool, or local weights."""

    model: str | None = None  # None: the world's default classifier
    seed: int = 0
    weights: str | None = None  # local weights of a pretrained timm model (imagenet world)
    schedule: Schedule | None = None  # None: the world's default training length


class Measure(FrozenConfig):
    per_class: int = Field(50, gt=0)  # images per class scored, as in the paper


class Curve(FrozenConfig):
    """A learning curve. ``data`` is ``real`` or a configuration's name; with ``real: R`` the
    runs train on R real images plus S synthetic ones from ``data``, and ``scales`` are the S."""

    name: str
    data: str
    scales: list[int] = Field(min_length=1)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    real: int | None = Field(None, gt=0)
    model: str | None = None  # None: the recipe's model (the world's default)
    recipe: TrainRecipe | None = None  # None: the study's recipe

    @field_validator("scales", "seeds")
    @classmethod
    def _sorted_unique(cls, values: list[int]) -> list[int]:
        if min(values) < 0:
            raise ValueError(f"must not be negative, got {min(values)}")
        return sorted(set(values))


class Analysis(FrozenConfig):
    per_class: bool = True  # per-class k, groups and the comparison with real k (Figures 6, 7)
    exchange: bool = True  # synthetic-to-real exchange rate of every synthetic curve
    laws: list[str] = Field(default_factory=lambda: ["power"], min_length=1)
    level: float = Field(0.95, gt=0, lt=1)


class Execution(FrozenConfig):
    threads_per_run: int = Field(1, gt=0)  # torch threads of one training run, on every engine
    cpus_per_task: int | None = Field(None, gt=0)  # Ray: CPUs reserved per run (default: threads)


class StudyConfig(FrozenConfig):
    name: str = "study"
    world: str = "mini"
    world_root: str | None = None
    reference: Reference = Reference()
    generation: Generation = Generation()
    measure: Measure = Measure()
    reference_scale: int | None = Field(None, gt=0)  # D_I; None: the real training pool's size
    grid_seeds: list[int] = Field(default_factory=lambda: [0])  # runs at D_I of every configuration
    recipe: TrainRecipe = TrainRecipe()
    curves: list[Curve] = Field(default_factory=list)
    ood: list[str] | None = None  # OOD sets to fit and analyse; None: every set of the world
    analysis: Analysis = Analysis()
    execution: Execution = Execution()
    advise: Advise | None = None  # beyond the paper: prediction and per-class budgets (docs/advise.md)
    clip: ClipSection | None = None  # CLIP on real, synthetic and mixed pairs (docs/clip.md)

    @model_validator(mode="after")
    def _names(self) -> StudyConfig:
        configs = [c.name for c in self.configurations()]
        for kind, names in (("configuration", configs), ("curve", [c.name for c in self.curves])):
            for name in names:
                if not _NAME.fullmatch(name):
                    raise ValueError(f"{kind} name {name!r} may hold only letters, digits and _.+-")
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(f"{kind} name {duplicates[0]!r} is used twice")
        known = {"real", *configs}
        for curve in self.curves:
            if curve.data not in known:
                raise ValueError(f"curve {curve.name!r}: data {curve.data!r} is neither 'real' nor a "
                                 f"configuration; valid: {', '.join(sorted(known))}")
            if curve.real is not None and curve.data == "real":
                raise ValueError(f"curve {curve.name!r}: 'real: R' mixes real images into a "
                                 "synthetic configuration's data; data must name one")
        adaptive = self.advise.adaptive if self.advise else None
        if adaptive is not None and adaptive.pilot not in {c.name for c in self.curves if c.data != "real"}:
            raise ValueError(f"advise.adaptive.pilot {adaptive.pilot!r} is not a synthetic curve of "
                             f"this study; valid: {', '.join(c.name for c in self.curves if c.data != 'real')}")
        return self

    def configurations(self) -> list[Configuration]:
        """The grid's configurations (in axis order), then the explicit ones."""
        out = [Configuration(name=f"{_short(g)}-{p}-cfg{c:g}", generator=g, cfg=c, prompts=p,
                             generator_options=grid.generator_options,
                             prompt_options=grid.prompt_options)
               for grid in self.generation.grid for g in grid.generator for p in grid.prompts
               for c in grid.cfg]
        return out + list(self.generation.extra)


def _short(generator: str) -> str:
    return generator.removeprefix("mini-")


def load_study(path: str | Path, overrides: list[str] | None = None) -> StudyConfig:
    """A study file; its name defaults to the file's stem."""
    from synscale.config import load_yaml

    data = load_yaml(path)
    base = {} if "name" in data else {"name": Path(path).stem}
    study = load_config(StudyConfig, path, overrides, defaults=base)
    if not _NAME.fullmatch(study.name):
        raise ConfigError(f"{path}: study name {study.name!r} may hold only letters, digits and _.+-")
    return study
