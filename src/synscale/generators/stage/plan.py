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

    def generator_spec(self) -> GeneratorSpec:
        steps = {} if self.steps is None else {"steps": self.steps}
        return GeneratorSpec(self.generator, {**self.generator_options, **steps})

    def dataset_name(self) -> str:
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


@dataclass(frozen=True)
class ImageRow:
    id: int
    class_id: int
    class_name: str
    prompt: str
    seed: int


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
    return Batch(index, [r.id for r in rows], [r.prompt for r in rows], [r.seed for r in rows])
