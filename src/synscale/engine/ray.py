"""Ray Data batch inference: the same batches rendered by a pool of generator actors.

Each row of the Ray dataset is one batch of the plan (``map_batches(batch_size=1)``), so Ray never
re-cuts batches, and every actor pins the same torch thread count: results are byte-identical to
the local engine. Output order is preserved, so the driver writes shards as their batches arrive
and never holds more than about one shard. Without ``address`` a local Ray instance is started
(and stopped afterwards); with one, the job joins that cluster. On a cluster with GPUs each actor
gets one GPU and, unless ``workers`` says otherwise, there is one actor per GPU.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np

from synscale.engine.base import (
    ENGINES,
    Engine,
    default_threads,
    describe_error,
    pin_threads,
    rebuild_error,
)
from synscale.errors import SynscaleError
from synscale.generators.stage.plan import Batch, GeneratorSpec
from synscale.generators.stage.render import Rendered, render_batch, settings_json


class GeneratorActor:
    """One worker: builds its own generator once, then renders one plan batch per call.

    A user error (bad option, missing weights) is not raised in the worker, where Ray would retry
    the actor and print its traceback, but returned as an ``error`` row that the driver raises.
    """

    def __init__(self, spec: GeneratorSpec, cfg: float, threads: int) -> None:
        pin_threads(threads)
        self.cfg = cfg
        self.error = ""
        try:
            self.generator = spec.build()
            self.settings = settings_json(self.generator)
        except SynscaleError as exc:
            self.error = describe_error(exc)

    def __call__(self, rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out: dict[str, list[Any]] = {key: [] for key in COLUMNS}
        for index, ids, prompts, seeds, cfgs in zip(rows["batch"], rows["ids"], rows["prompts"],
                                                    rows["seeds"], rows["cfgs"]):
            batch = Batch(int(index), [int(i) for i in ids], [str(p) for p in prompts],
                          [int(s) for s in seeds], [float(c) for c in cfgs] or None)
            try:
                if self.error:
                    raise rebuild_error(self.error)
                rendered = render_batch(self.generator, batch, self.cfg, self.settings)
            except SynscaleError as exc:
                _append(out, batch.index, [-1], [b""], [""], "", describe_error(exc))
                continue
            _append(out, rendered.batch, rendered.ids, rendered.pngs, rendered.hashes,
                    rendered.settings, "")
        return {key: np.asarray(values, dtype=None if key in ("batch", "id") else object)
                for key, values in out.items()}


COLUMNS = ("batch", "id", "png", "sha256", "settings", "error")


def _append(out: dict[str, list[Any]], batch: int, ids: list[int], pngs: list[bytes],
            hashes: list[str], settings: str, error: str) -> None:
    out["batch"] += [batch] * len(ids)
    out["id"] += ids
    out["png"] += pngs
    out["sha256"] += hashes
    out["settings"] += [settings] * len(ids)
    out["error"] += [error] * len(ids)


@ENGINES.register("ray")
class RayEngine(Engine):
    """Ray Data over an actor pool: local Ray on this machine, or a cluster by ``address``."""

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None,
                 threads: int | None = None) -> None:
        self.requested = workers  # None: one actor per GPU of the cluster, or one without GPUs
        self.workers = workers or 1
        self.address = address
        self.threads = threads or default_threads(self.workers)
        self.gpus_per_worker = 0

    def run(self, spec: GeneratorSpec, cfg: float, batches: list[Batch]) -> Iterator[Rendered]:
        import ray

        started = not ray.is_initialized()
        if started:
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
        gpus = int(ray.cluster_resources().get("GPU", 0))
        self.gpus_per_worker = 1 if gpus else 0
        self.workers = self.requested or max(1, gpus)
        items = [{"batch": b.index, "ids": b.ids, "prompts": b.prompts, "seeds": b.seeds,
                  "cfgs": b.cfgs or []} for b in batches]
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            GeneratorActor, batch_size=1, compute=ray.data.ActorPoolStrategy(size=self.workers),
            num_cpus=self.threads, num_gpus=self.gpus_per_worker,
            fn_constructor_kwargs={"spec": spec, "cfg": cfg, "threads": self.threads})
        current: Rendered | None = None
        for row in dataset.iter_rows():
            if row["error"]:
                raise rebuild_error(str(row["error"]))
            if current is None or current.batch != row["batch"]:
                if current is not None:
                    yield current
                current = Rendered(int(row["batch"]), [], [], [], str(row["settings"]))
            current.ids.append(int(row["id"]))
            current.pngs.append(bytes(row["png"]))
            current.hashes.append(str(row["sha256"]))
        if current is not None:
            yield current

