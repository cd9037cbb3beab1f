"""A mix run draws, for every sample at every step, the real or the synthetic image at random."""

from __future__ import annotations

import math

import torch

from synscale.clip.models import MINI_CLIP, create_clip, get_tokenizer
from synscale.clip.train import ClipBatchSource, ClipRecipe, train_clip


def source(n: int, p: float = 0.5) -> ClipBatchSource:
    real = torch.zeros(n, 1, 16, 16, dtype=torch.uint8)
    synthetic = torch.full((n, 1, 16, 16), 255, dtype=torch.uint8)
    real[:, 0, 0, 0] = synthetic[:, 0, 0, 0] = torch.arange(n, dtype=torch.uint8)  # pair index
    tokens = get_tokenizer(MINI_CLIP)([f"caption {i}" for i in range(n)])
    return ClipBatchSource(tokens, real, synthetic, p)


def within_binomial(count: int, n: int, p: float, sigmas: float = 4.0) -> bool:
    return abs(count - n * p) <= sigmas * math.sqrt(n * p * (1 - p))


def test_each_draw_is_the_real_or_the_synthetic_image_of_its_caption():
    data = source(40, p=0.3)
    g = torch.Generator().manual_seed(1)
    seen: dict[int, set[str]] = {i: set() for i in range(40)}
    total = synthetic = 0
    for _ in range(50):
        idx = torch.randperm(40, generator=g)[:16]
        images, drawn = data.images(idx, g)
        assert torch.equal(images[:, 0, 0, 0], idx.to(torch.uint8))  # the caption's own image
        kinds = ["syn" if int(img[0, 0, 1]) == 255 else "real" for img in images]
        assert kinds.count("syn") == drawn
        for i, kind in zip(idx.tolist(), kinds):
            seen[i].add(kind)
        total, synthetic = total + len(idx), synthetic + drawn
    assert within_binomial(synthetic, total, 0.3)
    assert all(kinds == {"real", "syn"} for kinds in seen.values())  # both images of every caption


def test_a_mix_run_counts_its_real_and_synthetic_draws():
    torch.manual_seed(0)
    recipe = ClipRecipe(epochs=4, batch_size=16)
    stats = train_clip(create_clip(MINI_CLIP), source(40), recipe, seed=0, quiet=True)
    draws = 4 * 40
    assert stats.iterations == 4 * 3  # 40 captions: 3 batches of 13-14 per epoch
    assert stats.real_draws + stats.synthetic_draws == draws
    assert stats.real_draws > 0 and stats.synthetic_draws > 0
    assert within_binomial(stats.synthetic_draws, draws, 0.5)


def test_real_and_synthetic_runs_draw_one_kind_only():
    data = source(16)
    g = torch.Generator().manual_seed(0)
    only_real = ClipBatchSource(data.tokens, data.real, None)
    only_syn = ClipBatchSource(data.tokens, None, data.synthetic)
    idx = torch.arange(16)
    assert only_real.images(idx, g)[1] == 0 and torch.equal(only_real.images(idx, g)[0], data.real)
    assert only_syn.images(idx, g)[1] == 16 and torch.equal(only_syn.images(idx, g)[0], data.synthetic)
