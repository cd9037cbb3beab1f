"""Fixtures of the metric tests: a reference classifier trained briefly on the mini world."""

from __future__ import annotations

import pytest

from synscale.train.classifier import TrainRecipe, train_classifier
from synscale.train.schedule import Schedule
from synscale.worlds import get_world


@pytest.fixture(scope="session")
def mini_world():
    return get_world("mini")


@pytest.fixture(scope="session")
def quick_reference(mini_world):
    """mini_resnet after 60 steps on the real train pool: far from converged, far above chance."""
    recipe = TrainRecipe(model="mini_resnet", augment="digits",
                         schedule=Schedule(small_iterations=60, large_iterations=60, min_iterations=60))
    classifier, _ = train_classifier(mini_world.pool("train"), mini_world.num_classes, recipe, seed=0,
                                     quiet=True)
    return classifier
