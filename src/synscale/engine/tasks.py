"""Independent tasks (a study's training runs) on this machine or on a Ray cluster.

``run_tasks(function, tasks, pool)`` calls ``function(task)`` for every task and yields
``(index, Outcome)`` as each one finishes. A task that raises is an ``Outcome`` with its error,
never an exception in the caller: one failed run must not stop the others. The caller (the
driver) is the only process that writes the results store.

- ``local`` with one worker runs the tasks in this process, one after another;
- ``local`` with N workers runs N spawned processes (on Linux they die with the driver, so a
  killed study leaves no orphan training on); inside ``kept_workers(pool)`` every call uses the
  same processes, so a study's stages pay each worker's start-up (torch, timm) once;
- ``ray`` makes every task a Ray task with ``threads`` CPUs (one GPU each where the cluster has
  GPUs), on a local Ray instance or the cluster at ``address``.

Every task runs with the same torch thread count whatever the engine, so a run gives the same
numbers under every engine and worker count.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

import torch

from synscale.engine import ENGINES
from synscale.engine.base import die_with_parent
from synscale.errors import ConfigError, SynscaleError, require_extra
from synscale.threads import torch_threads

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Outcome(Generic[R]):
    value: R | None = None
    error: str | None = None  # "ExceptionType: message" when the task failed
    user_error: bool = False  # the error is a SynscaleError: one the user can cause and fix

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class TaskPool:
    """Where tasks run: ``engine`` (local or ray), ``workers`` at once, ``threads`` each (Ray
    reserves ``cpus_per_task`` CPUs per task, by default ``threads``)."""

    engine: str = "local"
    workers: int = 1
    threads: int = 1
    address: str | None = None
    cpus_per_task: int | None = None

    def __post_init__(self) -> None:
        ENGINES.get(self.engine)  # the same engine names as generation: local, ray
        if self.workers < 1 or self.threads < 1:
            raise ConfigError(f"--workers and threads must be at least 1 (got {self.workers}, "
                              f"{self.threads})")
        if self.address is not None and self.engine != "ray":
            raise ConfigError("--address needs --engine ray")
        if self.engine == "ray":
            require_extra("ray")  # one line naming the extra, before any work

    @classmethod
    def default(cls, engine: str = "local", workers: int | None = None, address: str | None = None,
                threads: int = 1, cpus_per_task: int | None = None) -> TaskPool:
        """One single-threaded worker per core unless told otherwise (small runs scale better
        across processes than across threads)."""
        cpus = cpus_per_task or threads
        return cls(engine, workers or max(1, (os.cpu_count() or 1) // cpus), threads, address,
                   cpus_per_task)


def run_tasks(function: Callable[[T], R], tasks: Sequence[T],
              pool: TaskPool) -> Iterator[tuple[int, Outcome[R]]]:
    if not tasks:
        return
    if pool.engine == "ray":
        yield from _run_ray(function, tasks, pool)
    elif pool.workers == 1 or len(tasks) == 1:
        with torch_threads(pool.threads):
            for index, task in enumerate(tasks):
                yield index, _guarded(function, task)
    else:
        yield from _run_processes(function, tasks, pool)


def _guarded(function: Callable[[T], R], task: T) -> Outcome[R]:
    try:
        return Outcome(value=function(task))
    except Exception as exc:  # noqa: BLE001 - any failure of one task is reported, not raised
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" (at {last[0].filename}:{last[0].lineno})" if last else ""
        return Outcome(error=f"{type(exc).__name__}: {exc}{where}",
                       user_error=isinstance(exc, SynscaleError))


_kept: dict[TaskPool, ProcessPoolExecutor | None] = {}  # pool -> its live executor (None: not yet)


@contextmanager
def kept_workers(pool: TaskPool) -> Iterator[None]:
    """Keep the local pool's worker processes from one ``run_tasks`` call to the next inside the
    block; they are started on first use and stopped when the block ends."""
    if pool.engine != "local" or pool.workers == 1 or pool in _kept:
        yield
        return
    _kept[pool] = None
    try:
        yield
    finally:
        executor = _kept.pop(pool)
        if executor is not None:
            executor.shutdown(cancel_futures=True)


def _run_processes(function: Callable[[T], R], tasks: Sequence[T],
                   pool: TaskPool) -> Iterator[tuple[int, Outcome[R]]]:
    kept = pool in _kept
    executor = _kept.get(pool) or _executor(pool.workers if kept else min(pool.workers, len(tasks)),
                                            pool.threads)
    if kept:
        _kept[pool] = executor
    try:
        futures = {executor.submit(_guarded, function, task): i for i, task in enumerate(tasks)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    outcome = Outcome(error="a worker process died (out of memory or killed)")
                    if kept:  # a broken executor takes no more tasks: the next call starts anew
                        _kept[pool] = None
                yield futures[future], outcome
    finally:
        if _kept.get(pool) is not executor:
            executor.shutdown(cancel_futures=True)


def _executor(workers: int, threads: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("spawn")  # no fork of a threaded torch
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                               initargs=(threads,))


def _init_worker(threads: int) -> None:
    torch.set_num_threads(threads)
    die_with_parent()


def _run_ray(function: Callable[[T], R], tasks: Sequence[T],
             pool: TaskPool) -> Iterator[tuple[int, Outcome[R]]]:
    import ray

    cpus = pool.cpus_per_task or pool.threads
    started = not ray.is_initialized()
    if started:
        ray.init(address=pool.address, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR", configure_logging=True,
                 num_cpus=None if pool.address else pool.workers * cpus)
    try:
        gpus = 1 if ray.cluster_resources().get("GPU", 0) else 0
        remote = ray.remote(num_cpus=cpus, num_gpus=gpus, max_retries=0)(_ray_task)
        refs = {remote.remote(function, task, pool.threads): i for i, task in enumerate(tasks)}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                try:
                    outcome = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - a worker crash (e.g. out of memory)
                    outcome = Outcome(error=f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
                yield refs[ref], outcome
    finally:
        if started:
            ray.shutdown()


def _ray_task(function: Callable[[T], R], task: T, threads: int) -> Outcome[R]:
    torch.set_num_threads(threads)
    return _guarded(function, task)

