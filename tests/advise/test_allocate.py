from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from synscale.advise.allocate import (
    ClassLaw,
    allocate,
    best_config_per_class,
    laws_from_fits,
    predicted_loss,
    uniform,
)
from synscale.errors import ConfigError


def _brute_force(laws, budget, minimum=1):
    best = None
    for head in itertools.product(range(minimum, budget + 1), repeat=len(laws) - 1):
        last = budget - sum(head)
        if last < minimum:
            continue
        value = predicted_loss(laws, (*head, last))
        if best is None or value < best[0] - 1e-15:
            best = (value, (*head, last))
    return best


def test_known_optimum_of_the_lagrangian():
    # with k = 1 for every class the optimum is n_c proportional to sqrt(a_c): 1 : 2 : 3
    laws = [ClassLaw(c, a, 1.0) for c, a in enumerate((1.0, 4.0, 9.0))]
    assert allocate(laws, 60).counts == (10, 20, 30)
    assert allocate(laws, 600).counts == (100, 200, 300)


@pytest.mark.parametrize("seed", range(6))
def test_greedy_equals_brute_force_on_random_curves(seed):
    rng = np.random.default_rng(seed)
    laws = [ClassLaw(c, float(rng.uniform(0.2, 3)), float(rng.uniform(-0.2, 1.2)),
                     float(rng.uniform(0, 0.1)), float(rng.uniform(0.5, 2)))
            for c in range(3)]
    budget, minimum = int(rng.integers(8, 40)), int(rng.integers(1, 3))
    result = allocate(laws, budget, minimum)
    assert sum(result.counts) == budget and min(result.counts) >= minimum
    value, _ = _brute_force(laws, budget, minimum)
    assert result.predicted_loss == pytest.approx(value, rel=1e-12)


def test_flat_and_rising_classes_stay_at_the_minimum():
    laws = [ClassLaw(0, 1.0, 0.5), ClassLaw(1, 1.0, 0.0), ClassLaw(2, 1.0, -0.3)]
    assert allocate(laws, 50, minimum=5).counts == (40, 5, 5)


def test_adaptive_never_predicts_worse_than_uniform():
    rng = np.random.default_rng(3)
    laws = [ClassLaw(c, float(rng.uniform(0.1, 2)), float(rng.uniform(0, 0.8))) for c in range(10)]
    for budget in (10, 100, 1000, 5000):
        assert allocate(laws, budget).predicted_loss <= uniform(laws, budget).predicted_loss + 1e-12


def test_laws_from_a_balanced_pilot_reproduce_its_per_class_loss_at_d_i():
    fits = pd.DataFrame({"class_id": [1, 0], "k": [0.3, 0.1], "perf_ref": [2.0, 1.0]})
    laws = laws_from_fits(fits, ref_scale=2000)
    assert [law.class_id for law in laws] == [0, 1]
    # at D_I = 2000 images over 2 classes, each class has 1000: L_c = exp(-perf_ref_c)
    assert laws[0].loss(1000) == pytest.approx(np.exp(-1.0))
    assert laws[1].loss(1000) == pytest.approx(np.exp(-2.0))
    assert laws[1].loss(2000) == pytest.approx(np.exp(-2.0) * 2 ** -0.3)


def test_best_config_per_class():
    a = [ClassLaw(0, 1.0, 0.5, config="a"), ClassLaw(1, 1.0, 0.1, config="a")]
    b = [ClassLaw(0, 2.0, 0.5, config="b"), ClassLaw(1, 0.5, 0.1, config="b")]
    assert [law.config for law in best_config_per_class({"a": a, "b": b}, 100)] == ["a", "b"]


def test_budget_below_the_number_of_classes_is_refused():
    laws = [ClassLaw(c, 1.0, 0.5) for c in range(10)]
    with pytest.raises(ConfigError, match="below 10 classes"):
        allocate(laws, 9)
    with pytest.raises(ConfigError, match="below the number of classes"):
        uniform(laws, 9)
