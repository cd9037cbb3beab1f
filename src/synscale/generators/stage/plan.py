"""What a synthetic dataset is made of: its config, and every image's prompt, seed, batch and shard.

Image ``i`` gets the seed ``image_seed(seed, i)`` and belongs to batch ``i // batch_size`` and
shard ``i // shard_size``. These boundaries are fixed by the config alone, never by the number of
workers or the engine, so every engine renders exactly the same batches and the same bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pydantic import Field, model_validator

from synscale.config import FrozenConfig
from synscale.errors import ConfigError
from synscale.workspace import Workspace
from synscale.worlds import World


class ClassPlan(FrozenConfig):
    """One class of a dataset made to a per-class plan (``synscale allocate``, docs/advise.md)."""

    class_id: int = Field(ge=0)
    count: int = Field(gt=0)
    cfg: float | None = Field(None, ge=0)  # None: the dataset's cfg
    prompts: str | None = None  # None: the dataset's prompt strategy


class GenerateConfig(FrozenConfig):
    """One synthetic dataset. Everything here decides its images and is part of its digest."""

    world: str = "mini"
    generator: str = "mini-pixel"
    generator_options: dict[str, Any] = Field(default_factory=dict)  # passed to the generator (e.g. model=..., scheduler=...)
    cfg: float = Field(2.0, ge=0)
    steps: int | None = Field(None, gt=0)  # None: the generator's default
    prompts: str = "classname"
    prompt_options: dict[str, Any] = Field(default_factory=dict)  # passed to the prompt strategy (e.g. captioner=...)
    classes: list[int] | None = None  # None: every class of the world
    per_class: int = Field(1000, gt=0)
    seed: int = Field(0, ge=0)
    batch_size: int = Field(250, gt=0)  # images per generator call (a unit of work for engines)
    shard_size: int = Field(1000, gt=0)  # images per tar shard; a multiple of batch_size
    # Per-class counts and settings; when set, they replace ``classes`` and ``per_class``.
    class_plan: list[ClassPlan] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _generator_serves_world(self) -> GenerateConfig:
        from synscale.generators.base import check_serves

        check_serves(self.generator, self.world)
        return self

    @model_validator(mode="after")
    def _batches_fill_shards(self) -> GenerateConfig:
        if self.shard_size % self.batch_size:
            raise ValueError(f"shard_size ({self.shard_size}) must be a multiple of batch_size "
                             f"({self.batch_size}) so that no batch straddles two shards")
        return self

    @model_validator(mode="after")
    def _one_entry_per_class(self) -> GenerateConfig:
        if self.class_plan is not None:
            ids = [entry.class_id for entry in self.class_plan]
            if len(set(ids)) != len(ids):
                raise ValueError("class_plan names a class twice")
            if self.classes is not None:
                raise ValueError("give either classes or class_plan (which names the classes)")
        return self

    def class_rows(self) -> list[dict[str, Any]] | None:
        """The class plan with every setting spelled out (None without a plan)."""
        if self.class_plan is None:
            return None
        return [{"class_id": e.class_id, "count": e.count,
                 "cfg": self.cfg if e.cfg is None else e.cfg, "prompts": e.prompts or self.prompts}
                for e in sorted(self.class_plan, key=lambda e: e.class_id)]

    def generator_spec(self) -> GeneratorSpec:
        steps = {} if self.steps is None else {"steps": self.steps}
        return GeneratorSpec(self.generator, {**self.generator_options, **steps})

    def dataset_name(self) -> str:
        if self.class_plan is not None:
            total = sum(entry.count for entry in self.class_plan)
            return f"{self.generator}-{self.prompts}-cfg{self.cfg:g}-plan{total}-s{self.seed}"
        return f"{self.generator}-{self.prompts}-cfg{self.cfg:g}-n{self.per_class}-s{self.seed}"


@dataclass(frozen=True)
class GeneratorSpec:
    """A generator by registered name and options: what a worker needs to build its own copy."""

    name: str
    options: dict[str, Any]

    def build(self) -> Any:
        from synscale.generators import GENERATORS

        return GENERATORS.create(self.name, **self.options)

    def identity(self) -> dict[str, Any]:
        """The generator's ``identity``: its resolved options and weights, without loading it."""
        from synscale.generators import GENERATORS

        return {"generator": self.name, **GENERATORS.call(self.name, "identity", **self.options)}


@dataclass(frozen=True)
class Batch:
    index: int
    ids: list[int]
    prompts: list[str]
    seeds: list[int]
    cfgs: list[float] | None = None  # per image, when a class plan gives classes their own CFG


@dataclass(frozen=True)
class ImageRow:
    id: int
    class_id: int
    class_name: str
    prompt: str
    seed: int
    cfg: float | None = None  # set for every row when a class plan gives classes their own CFG


def image_seed(dataset_seed: int, image_id: int) -> int:
    """The noise seed of one image: a hash of (dataset seed, image index), 63 bits."""
    digest = hashlib.sha256(f"synscale/image/{dataset_seed}/{image_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


class Plan:
    """Every image of a dataset (prompt, class, seed), grouped in fixed batches and shards."""

    def __init__(self, config: GenerateConfig, rows: list[ImageRow]) -> None:
        self.config = config
        self.rows = rows

    @classmethod
    def build(cls, config: GenerateConfig, world: World, workspace: Workspace | None,
              quiet: bool = True) -> Plan:
        from synscale.prompts import assign_prompts

        if config.class_plan is not None:
            return cls(config, _planned_rows(config, world, workspace, quiet))
        table = assign_prompts(world, config.prompts, config.per_class, config.seed,
                               classes=config.classes, workspace=workspace, quiet=quiet,
                               **config.prompt_options).to_pydict()
        rows = [ImageRow(int(i), int(c), n, p, image_seed(config.seed, int(i)))
                for i, c, n, p in zip(table["image_index"], table["class_id"], table["class_name"],
                                      table["prompt"])]
        if not rows:
            raise ConfigError("the prompt table is empty: nothing to generate")
        return cls(config, rows)

    @property
    def num_shards(self) -> int:
        return -(-len(self.rows) // self.config.shard_size)

    def shard_rows(self, shard: int) -> list[ImageRow]:
        size = self.config.shard_size
        return self.rows[shard * size:(shard + 1) * size]

    def shard_of(self, image_id: int) -> int:
        return image_id // self.config.shard_size

    def batches(self, shard: int) -> list[Batch]:
        rows, size = self.shard_rows(shard), self.config.batch_size
        first = shard * self.config.shard_size // size
        return [_batch(first + k, rows[k * size:(k + 1) * size]) for k in range(-(-len(rows) // size))]

    def batch_of(self, image_id: int) -> Batch:
        size = self.config.batch_size
        start = image_id // size * size
        return _batch(image_id // size, self.rows[start:start + size])


def _batch(index: int, rows: list[ImageRow]) -> Batch:
    cfgs = [float(r.cfg) for r in rows] if rows and rows[0].cfg is not None else None
    return Batch(index, [r.id for r in rows], [r.prompt for r in rows], [r.seed for r in rows], cfgs)


def _planned_rows(config: GenerateConfig, world: World, workspace: Workspace | None,
                  quiet: bool) -> list[ImageRow]:
    """A class plan's images, class by class: each class's first ``count`` prompts of its
    strategy (one prompt table per strategy), numbered 0.. in that order, with their seeds."""
    from synscale.prompts import assign_prompts

    plan = config.class_rows() or []
    strategies: dict[str, list[dict[str, Any]]] = {}
    for entry in plan:
        strategies.setdefault(entry["prompts"], []).append(entry)
    prompts: dict[int, tuple[str, list[str]]] = {}
    for strategy, entries in strategies.items():
        table = assign_prompts(world, strategy, max(e["count"] for e in entries), config.seed,
                               classes=[e["class_id"] for e in entries], workspace=workspace,
                               quiet=quiet, **config.prompt_options).to_pandas().sort_values("image_index")
        for c, name, prompt in zip(table["class_id"], table["class_name"], table["prompt"]):
            prompts.setdefault(int(c), (str(name), []))[1].append(str(prompt))
    own_cfg = any(e.cfg is not None for e in config.class_plan or [])
    rows: list[ImageRow] = []
    for entry in plan:
        name, texts = prompts[entry["class_id"]]
        for text in texts[:entry["count"]]:
            rows.append(ImageRow(len(rows), entry["class_id"], name, text,
                                 image_seed(config.seed, len(rows)), entry["cfg"] if own_cfg else None))
    return rows
