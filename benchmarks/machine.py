"""What the benchmarks share: the machine's fp32 matmul peak, measured in the same process."""

from __future__ import annotations

import time

import torch

PEAK_SIZE = 2048


class MatmulPeak:
    """Best fp32 ``torch.mm`` speed seen. Sampled between the timed runs too, so that on a
    shared machine the peak and the measured speeds are best cases of the same conditions (a
    peak read only once, during a busy moment, made the fraction exceed 1)."""

    def __init__(self) -> None:
        self.a, self.b = torch.randn(PEAK_SIZE, PEAK_SIZE), torch.randn(PEAK_SIZE, PEAK_SIZE)
        torch.mm(self.a, self.b)
        self.best_seconds = float("inf")

    def sample(self, runs: int = 3) -> None:
        for _ in range(runs):
            self.best_seconds = min(self.best_seconds, timed(lambda: torch.mm(self.a, self.b)))

    @property
    def gflops(self) -> float:
        return 2 * PEAK_SIZE**3 / self.best_seconds / 1e9


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
