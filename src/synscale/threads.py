"""Torch's intra-op thread count, set for a piece of work and given back afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` torch threads (``None``: as they are), then restore the
    caller's count, so a run or a measurement never changes the thread count of its caller."""
    import torch  # here, not at the top: planning code imports this module without training

    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
