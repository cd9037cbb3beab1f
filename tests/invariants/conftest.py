"""Shared pieces of the invariant tests: the mini world (loaded once) and a tiny recipe."""

from __future__ import annotations

import pytest

from synscale.train.classifier import TrainRecipe
from synscale.train.schedule import Schedule


@pytest.fixture(scope="session")
def mini_world():
    from synscale.worlds import get_world

    return get_world("mini")


@pytest.fixture(scope="session")
def tiny_recipe(mini_world) -> TrainRecipe:
    """The world's classifier, resolved, trained for 2 steps of 8 images: enough for a seed to
    show (or not) in its weights."""
    from synscale.train.runs import resolve_recipe

    schedule = Schedule(small_iterations=2, large_iterations=2, min_iterations=2)
    return resolve_recipe(TrainRecipe(batch_size=8, schedule=schedule), mini_world)
