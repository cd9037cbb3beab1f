import numpy as np
import pytest

from synscale.data.subsets import nested_order, nested_subset
from synscale.errors import DataError

LABELS = np.repeat(np.arange(10), 200)


def test_subsets_are_nested_across_scales():
    previous: set[int] = set()
    for scale in (125, 250, 500, 1000, 2000):
        current = set(nested_subset(LABELS, scale, seed=0).tolist())
        assert len(current) == scale and previous <= current
        previous = current


def test_subsets_are_class_balanced():
    for scale in (125, 250, 1000):
        counts = np.bincount(LABELS[nested_subset(LABELS, scale, seed=3)], minlength=10)
        assert counts.max() - counts.min() <= 1


def test_seed_changes_the_subset_and_is_reproducible():
    a, b = nested_subset(LABELS, 100, 0), nested_subset(LABELS, 100, 1)
    assert not np.array_equal(a, b)
    assert np.array_equal(a, nested_subset(LABELS, 100, 0))


def test_order_is_a_permutation_even_for_unbalanced_pools():
    labels = np.array([0] * 5 + [1] * 2)
    order = nested_order(labels, 0)
    assert sorted(order.tolist()) == list(range(7))
    assert sorted(labels[order[:4]].tolist()) == [0, 0, 1, 1]


@pytest.mark.parametrize("scale", [0, -5, 2001])
def test_bad_scales(scale):
    with pytest.raises(DataError):
        nested_subset(LABELS, scale, 0)
