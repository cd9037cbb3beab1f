"""Nested subsets stay nested and class-balanced for any pool, scale and seed; a mix keeps its
real part fixed while its synthetic part grows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synscale.data.subsets import nested_order, nested_subset
from synscale.errors import DataError

FAST = settings(max_examples=60, deadline=None, database=None)

# A pool: 1-6 classes (ids need not be 0..k-1), each with 1-25 images, in any order.
pools = st.lists(st.integers(1, 25), min_size=1, max_size=6).flatmap(
    lambda sizes: st.permutations(np.repeat(np.arange(len(sizes)) * 3 + 1, sizes).tolist())
).map(np.asarray)
seeds = st.integers(0, 2**32 - 1)


@FAST
@given(pools, seeds)
def test_the_order_is_a_permutation_whose_prefixes_are_balanced(labels, seed):
    order = nested_order(labels, seed)
    assert order.dtype == np.int64 and sorted(order.tolist()) == list(range(len(labels)))
    classes, sizes = np.unique(labels, return_counts=True)
    counts = dict.fromkeys(classes.tolist(), 0)
    for index in order:
        counts[int(labels[index])] += 1
        # Water filling: a class that still has images left is at most one behind any other.
        top = max(counts.values())
        for c, size in zip(classes.tolist(), sizes.tolist()):
            assert counts[c] == size or counts[c] >= top - 1


@FAST
@given(pools, seeds, st.data())
def test_subsets_are_nested_sorted_and_sized(labels, seed, data):
    small = data.draw(st.integers(1, len(labels)))
    large = data.draw(st.integers(small, len(labels)))
    a, b = nested_subset(labels, small, seed), nested_subset(labels, large, seed)
    assert len(a) == small and len(b) == large
    assert np.all(np.diff(a) > 0) and np.all(np.diff(b) > 0)  # sorted, no repeats
    assert set(a.tolist()) <= set(b.tolist())
    assert np.array_equal(a, np.sort(nested_order(labels, seed)[:small]))


@FAST
@given(pools, seeds, st.data())
def test_subsets_are_class_balanced(labels, seed, data):
    scale = data.draw(st.integers(1, len(labels)))
    chosen = labels[nested_subset(labels, scale, seed)]
    classes, sizes = np.unique(labels, return_counts=True)
    counts = np.array([np.sum(chosen == c) for c in classes])
    unfilled = counts < sizes
    if unfilled.any():
        assert counts.max() - counts[unfilled].min() <= 1


@FAST
@given(pools, seeds)
def test_scales_outside_the_pool_are_refused(labels, seed):
    for scale in (0, -1):
        with pytest.raises(DataError, match=f"scale must be positive, got {scale}"):
            nested_subset(labels, scale, seed)
    with pytest.raises(DataError, match=f"larger than the pool \\({len(labels)} images\\)"):
        nested_subset(labels, len(labels) + 1, seed)
    assert nested_order(labels[:0], seed).dtype == np.int64  # an empty pool: still indices


def test_a_mix_keeps_its_real_images_and_nests_its_synthetic_ones(mini_world, tmp_path):
    """real<R>+syn: the R real images are the same for every S; synthetic images are nested."""
    import torch

    from synscale.data.datasets import LabeledImages
    from synscale.train import sources

    labels = torch.arange(10).repeat(25)
    # Synthetic image i is filled with the value i, so a batch's pixels name its images.
    values = torch.arange(250, dtype=torch.uint8)
    synthetic = LabeledImages(values.reshape(250, 1, 1, 1).repeat(1, 1, 16, 16), labels, "syn")
    cached = sources._load_synthetic
    sources._load_synthetic = lambda folder, channels, size: synthetic
    try:
        mix = sources.synthetic_data("pixel", tmp_path, 250, 50, mini_world)
        parts = {s: mix.subset(mini_world, s, seed=3) for s in (0, 40, 120)}
        other_seed = mix.subset(mini_world, 40, seed=4)
    finally:
        sources._load_synthetic = cached

    def synthetic_ids(part) -> set[int]:
        return set(part.images[50:, 0, 0, 0].tolist())

    assert all(len(p) == 50 + s for s, p in parts.items())
    assert torch.equal(parts[0].images, parts[40].images[:50])  # the same R real images
    assert torch.equal(parts[0].images, parts[120].images[:50])
    assert len(synthetic_ids(parts[40])) == 40 and synthetic_ids(parts[40]) <= synthetic_ids(parts[120])
    assert synthetic_ids(other_seed) != synthetic_ids(parts[40])
    assert mix.sizes(40) == (90, 50, 40)
