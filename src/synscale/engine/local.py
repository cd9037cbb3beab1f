"""The default engine: one process renders the batches one after another."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from synscale.engine.base import ENGINES, Engine, default_threads, pin_threads
from synscale.errors import ConfigError
from synscale.generators.stage.plan import Batch, GeneratorSpec
from synscale.generators.stage.render import Rendered, render_batch, settings_json


@ENGINES.register("local")
class LocalEngine(Engine):
    """One process, all of this machine's cores."""

    name = "local"

    def __init__(self, workers: int = 1, address: str | None = None, threads: int | None = None) -> None:
        if workers != 1 or address is not None:
            raise ConfigError("--workers and --address need --engine ray; the local engine is one "
                              "process")
        self.workers = 1
        self.threads = threads or default_threads(1)

    def run(self, spec: GeneratorSpec, cfg: float, batches: list[Batch]) -> Iterator[Rendered]:
        previous = torch.get_num_threads()
        pin_threads(self.threads)
        try:
            generator = spec.build()
            settings = settings_json(generator)
            for batch in batches:
                yield render_batch(generator, batch, cfg, settings)
        finally:
            pin_threads(previous)
