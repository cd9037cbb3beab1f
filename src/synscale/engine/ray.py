"""Ray Data batch inference: the same batches rendered by a pool of generator actors.

Each row of the Ray dataset is one batch of the plan (``map_batches(batch_size=1)``), so Ray never
re-cuts batches, and every actor pins the same torch thread count: results are byte-identical to
the local engine. Output order is preserved, so the driver writes shards as their batches arrive
and never holds more than about one shard. Without ``address`` a local Ray instance is started
(and stopped afterwards); with one, the job joins that cluster.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from synscale.engine.base import ENGINES, Engine, default_threads, pin_threads
from synscale.generators.plan import Batch, GeneratorSpec
from synscale.generators.render import Rendered, render_batch, settings_json


class GeneratorActor:
    """One worker: builds its own generator once, then renders one plan batch per call."""

    def __init__(self, spec: GeneratorSpec, cfg: float, threads: int) -> None:
        pin_threads(threads)
        self.generator = spec.build()
        self.settings = settings_json(self.generator)
        self.cfg = cfg

    def __call__(self, rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out: dict[str, list[Any]] = {"batch": [], "id": [], "png": [], "sha256": [], "settings": []}
        for index, ids, prompts, seeds in zip(rows["batch"], rows["ids"], rows["prompts"], rows["seeds"]):
            batch = Batch(int(index), [int(i) for i in ids], [str(p) for p in prompts],
                          [int(s) for s in seeds])
            rendered = render_batch(self.generator, batch, self.cfg, self.settings)
            out["batch"] += [rendered.batch] * len(rendered.ids)
            out["id"] += rendered.ids
            out["png"] += rendered.pngs
            out["sha256"] += rendered.hashes
            out["settings"] += [rendered.settings] * len(rendered.ids)
        return {key: np.asarray(values, dtype=object if key in ("png", "settings", "sha256") else None)
                for key, values in out.items()}


@ENGINES.register("ray")
class RayEngine(Engine):
    """Ray Data over an actor pool: local Ray on this machine, or a cluster by ``address``."""

    name = "ray"

    def __init__(self, workers: int = 1, address: str | None = None, threads: int | None = None) -> None:
        self.workers = workers
        self.address = address
        self.threads = threads or default_threads(workers)

    def run(self, spec: GeneratorSpec, cfg: float, batches: list[Batch]) -> Iterator[Rendered]:
        import ray

        started = not ray.is_initialized()
        if started:
            os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "error")  # C++ core notices on stderr
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                     logging_level="ERROR", configure_logging=True)
        try:
            yield from self._run(spec, cfg, batches)
        finally:
            if started:
                ray.shutdown()

    def _run(self, spec: GeneratorSpec, cfg: float, batches: list[Batch]) -> Iterator[Rendered]:
        import ray.data

        logging.getLogger("ray.data").setLevel(logging.ERROR)
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        items = [{"batch": b.index, "ids": b.ids, "prompts": b.prompts, "seeds": b.seeds} for b in batches]
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            GeneratorActor, batch_size=1, compute=ray.data.ActorPoolStrategy(size=self.workers),
            num_cpus=self.threads,
            fn_constructor_kwargs={"spec": spec, "cfg": cfg, "threads": self.threads})
        current: Rendered | None = None
        for row in dataset.iter_rows():
            if current is None or current.batch != row["batch"]:
                if current is not None:
                    yield current
                current = Rendered(int(row["batch"]), [], [], [], str(row["settings"]))
            current.ids.append(int(row["id"]))
            current.pngs.append(bytes(row["png"]))
            current.hashes.append(str(row["sha256"]))
        if current is not None:
            yield current
