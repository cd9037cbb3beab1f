"""Nested, class-balanced, seeded subsets: the 250-image subset contains the 125-image one."""

from __future__ import annotations

import numpy as np

from synscale.errors import DataError


def nested_order(labels: np.ndarray, seed: int) -> np.ndarray:
    """A permutation of all indices whose every prefix is as class-balanced as possible.

    Each class's indices are shuffled with ``seed``; the order then takes round-robin one image
    per class (classes in a seeded order each round), so the first D indices are a subset of the
    first D' for D < D', and class counts in any prefix differ by at most one while classes last.
    """
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    queues = [list(rng.permutation(np.flatnonzero(labels == c))) for c in classes]
    order: list[int] = []
    while any(queues):
        for k in rng.permutation(len(queues)):
            if queues[k]:
                order.append(int(queues[k].pop()))
    return np.asarray(order, dtype=np.int64)


def nested_subset(labels: np.ndarray, scale: int, seed: int) -> np.ndarray:
    if scale <= 0:
        raise DataError(f"scale must be positive, got {scale}")
    if scale > len(labels):
        raise DataError(f"scale {scale} is larger than the pool ({len(labels)} images)")
    return np.sort(nested_order(labels, seed)[:scale])
