"""The ``advise`` section of a study file (examples/mini-adaptive.yaml, docs/advise.md)."""

from __future__ import annotations

from pydantic import Field, field_validator

from synscale.config import FrozenConfig


class Adaptive(FrozenConfig):
    """Adaptive against uniform allocation at equal budgets, on the pilot curve's configuration."""

    pilot: str  # a curve of the study (short name) with per-class fits on val
    budgets: list[int] = Field(min_length=1)  # total images of each arm's dataset (= its training scale)
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2], min_length=1)  # training seeds
    minimum: int | None = Field(None, gt=0)  # per class; None: the pilot's smallest per-class count

    @field_validator("budgets", "seeds")
    @classmethod
    def _sorted_unique(cls, values: list[int]) -> list[int]:
        if min(values) < 0:
            raise ValueError(f"must not be negative, got {min(values)}")
        return sorted(set(values))


class Advise(FrozenConfig):
    predict: bool = True  # score the prediction of k and -log L_{D_I}, leave one configuration out
    adaptive: Adaptive | None = None
