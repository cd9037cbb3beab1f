"""The default engine: this machine's cores, as one process or as several worker processes.

By default one process with every core's threads. With ``workers`` > 1, helper processes render
batches too: the mini generators run many small ops, where a second torch thread in the same
process buys little and costs synchronisation, and side by side single-threaded processes made
2-3x the images/s of one 2-thread process in steady state; end to end, start-up and all, they did
not win on the shared machine where it was measured, so they are not the default
(docs/generation.md, Speed). The driver is one of the workers: it renders batches itself while
helper processes start (each imports torch and builds its own generator, which takes seconds)
and then alongside them, and it takes results back in plan order, so shards, the manifest and
the progress display stay the driver's, as with one process. Every process renders whole plan
batches at the same thread count, and an image depends only on its prompt and seed (fixed-shape
chunks, ``generators/mini/chunked.py``), so any split of the batches gives the same bytes.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from synscale.engine.base import (
    ENGINES,
    Engine,
    default_threads,
    describe_error,
    die_with_parent,
    pin_threads,
    rebuild_error,
)
from synscale.errors import ConfigError, SynscaleError
from synscale.generators.stage.plan import Batch, GeneratorSpec
from synscale.generators.stage.render import Rendered, render_batch, settings_json
from synscale.threads import torch_threads

# A helper process costs a Python and torch start and a generator load (2-5 s on an idle 2-core
# machine, up to 20 s under load), about what 8 batches of 250 mini images take one core: fewer
# are done before a helper could help.
BATCHES_PER_HELPER = 8
# Batches the driver may render ahead of the oldest unfinished one, per worker: bounds the
# results held in memory while a helper is slow to start.
AHEAD_PER_WORKER = 4


@ENGINES.register("local")
class LocalEngine(Engine):
    """This machine: ``workers`` processes (the driver and helpers) of ``threads`` torch threads;
    by default one process, and the cores split evenly between the workers."""

    name = "local"

    def __init__(self, workers: int | None = None, address: str | None = None,
                 threads: int | None = None) -> None:
        if address is not None:
            raise ConfigError("--address needs --engine ray; the local engine runs on this machine")
        self.workers = workers or 1
        self.threads = threads or default_threads(self.workers)
        self.helpers = 0  # helper processes the last run started
        self.helper_batches = 0  # batches they rendered

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "helper_processes": self.helpers,
                "batches_in_helpers": self.helper_batches}

    def run(self, spec: GeneratorSpec, cfg: float, batches: list[Batch]) -> Iterator[Rendered]:
        # A GPU is one device: a second process on it would only compete for its memory (the Ray
        # engine gives every actor a GPU of its own).
        on_cpu = str(spec.options.get("device", "cpu")) == "cpu"
        self.helpers = min(self.workers - 1, len(batches) // BATCHES_PER_HELPER) if on_cpu else 0
        self.helper_batches = 0
        with torch_threads(self.threads):
            if not self.helpers:
                generator = spec.build()
                settings = settings_json(generator)
                for batch in batches:
                    yield render_batch(generator, batch, cfg, settings)
                return
            pool = ProcessPoolExecutor(self.helpers, multiprocessing.get_context("spawn"),
                                       initializer=_start_helper, initargs=(self.threads,))
            try:
                yield from self._render_with(pool, spec, cfg, batches)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

    def _render_with(self, pool: ProcessPoolExecutor, spec: GeneratorSpec, cfg: float,
                     batches: list[Batch]) -> Iterator[Rendered]:
        """Keep every started helper busy with the next unclaimed batch, render one in the driver
        otherwise, and yield the batches in plan order. A helper gets batches only once it has
        built its generator, so the driver never waits for a start-up, only for a batch."""
        starting = [pool.submit(_build_in_helper, spec) for _ in range(self.helpers)]
        generator = spec.build()  # after the pool exists: helpers start while this loads
        settings = settings_json(generator)
        ahead = AHEAD_PER_WORKER * self.workers
        running: dict[int, Future[Rendered | str]] = {}  # position in batches -> helper's result
        done: dict[int, Rendered] = {}
        claimed = 0  # batches[:claimed] are rendered or being rendered
        for turn in range(len(batches)):
            while turn not in done:
                for position in [p for p, future in running.items() if future.done()]:
                    done[position] = _result(running.pop(position))
                    self.helper_batches += 1
                ready = sum(1 for future in starting if future.done() and _result(future) is None)
                while len(running) < ready and claimed < min(len(batches), turn + ahead):
                    running[claimed] = pool.submit(_render_in_helper, spec, cfg, batches[claimed])
                    claimed += 1
                if turn in done:
                    break
                if claimed < min(len(batches), turn + ahead):
                    done[claimed] = render_batch(generator, batches[claimed], cfg, settings)
                    claimed += 1
                else:
                    wait([running[turn]], return_when=FIRST_COMPLETED)
            yield done.pop(turn)


def _result(future: Future[Any]) -> Any:
    """A helper's result; a user error it sent back as text is raised here."""
    result = future.result()
    if isinstance(result, str):
        raise rebuild_error(result)
    return result


# A helper's generator, built by its first batch and kept for the others.
_helper: dict[str, Any] = {}


def _start_helper(threads: int) -> None:
    pin_threads(threads)
    die_with_parent()


def _build_in_helper(spec: GeneratorSpec) -> str | None:
    """Load the helper's generator; a user error comes back as text (see ``describe_error``)."""
    try:
        if _helper.get("spec") != spec:
            generator = spec.build()
            _helper.update(spec=spec, generator=generator, settings=settings_json(generator))
    except SynscaleError as exc:
        return describe_error(exc)
    return None


def _render_in_helper(spec: GeneratorSpec, cfg: float, batch: Batch) -> Rendered | str:
    """One batch in a helper process (whose generator is built)."""
    error = _build_in_helper(spec)
    if error is not None:
        return error
    try:
        return render_batch(_helper["generator"], batch, cfg, _helper["settings"])
    except SynscaleError as exc:
        return describe_error(exc)
