"""Training length as a function of dataset size (paper 4.1): iterations grow linearly in log D.

The line passes through two configurable end points ``(small_scale, small_iterations)`` and
``(large_scale, large_iterations)``; beyond them it extends linearly in log D, floored at
``min_iterations`` so the smallest runs still converge.
"""

from __future__ import annotations

import math

from pydantic import model_validator

from synscale.config import FrozenConfig


class Schedule(FrozenConfig):
    small_scale: int = 125
    small_iterations: int = 300
    large_scale: int = 2000
    large_iterations: int = 1000
    min_iterations: int = 50

    @model_validator(mode="after")
    def _check(self) -> Schedule:
        if not 0 < self.small_scale < self.large_scale:
            raise ValueError("need 0 < small_scale < large_scale")
        if min(self.small_iterations, self.large_iterations, self.min_iterations) <= 0:
            raise ValueError("iterations must be positive")
        return self

    def iterations(self, scale: int) -> int:
        t = (math.log(scale) - math.log(self.small_scale)) / (
            math.log(self.large_scale) - math.log(self.small_scale))
        steps = self.small_iterations + t * (self.large_iterations - self.small_iterations)
        return max(self.min_iterations, round(steps))
