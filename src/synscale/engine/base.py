"""The engine contract: render the given batches with a generator and yield them in order."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import TYPE_CHECKING

from synscale import errors
from synscale.errors import ConfigError, SynscaleError
from synscale.registry import Registry

if TYPE_CHECKING:
    from synscale.generators.stage.plan import Batch, GeneratorSpec
    from synscale.generators.stage.render import Rendered


class Engine(ABC):
    name: str
    workers: int
    threads: int  # torch threads of each worker

    @abstractmethod
    def run(self, spec: GeneratorSpec, cfg: float, batches: list[Batch]) -> Iterator[Rendered]:
        """Render every batch; yield the results in the order of ``batches``."""

    def describe(self) -> dict[str, object]:
        """The engine's resources (resolved once it has run)."""
        return {"engine": self.name, "workers": self.workers, "threads_per_worker": self.threads}


ENGINES: Registry[Engine] = Registry("engine")
MAX_THREADS = 1024  # torch takes a C int; more threads than this is a typo, not a machine


def make_engine(name: str, workers: int | None = None, address: str | None = None,
                threads: int | None = None) -> Engine:
    """An engine from CLI options; ``workers`` and ``address`` need ``ray``."""
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be at least 1 (got {workers})")
    if threads is not None and not 1 <= threads <= MAX_THREADS:
        raise ConfigError(f"--threads must be between 1 and {MAX_THREADS} (got {threads})")
    return ENGINES.create(name, workers=workers, address=address, threads=threads)


def default_threads(workers: int) -> int:
    """Split this machine's cores evenly between the workers."""
    return max(1, (os.cpu_count() or 1) // workers)


def pin_threads(threads: int) -> None:
    import torch  # in the workers that render: choosing an engine needs no torch

    torch.set_num_threads(threads)


def die_with_parent() -> None:
    """Linux: the kernel sends SIGKILL to this worker process when the driver dies, however it
    dies (Ctrl-C twice, SIGKILL, out of memory), so no worker is left behind."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    # A driver killed while this worker was starting (before the line above) sends no signal:
    # the worker has been handed to another parent already, and would wait forever.
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(1)


def describe_error(exc: SynscaleError) -> str:
    """A worker's user error as text: exception classes with their own arguments do not pickle."""
    return f"{type(exc).__name__}:{exc}"


def rebuild_error(described: str) -> SynscaleError:
    """The driver-side twin of a worker's user error (same class where it takes a message)."""
    name, _, message = described.partition(":")
    cls = getattr(errors, name, SynscaleError)
    if not (isinstance(cls, type) and issubclass(cls, SynscaleError)) or cls is errors.UnknownNameError:
        cls = errors.ConfigError
    return cls(message)
