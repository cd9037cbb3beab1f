"""The metric definitions match an independent computation on random inputs.

Recognizability, diversity and FID are recomputed here from their written definitions (docs and
module docstrings) with numpy and scipy only, never with the code under test, on random logits,
features and labels drawn by hypothesis.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg

from synscale.data.datasets import LabeledImages
from synscale.metrics.base import Measurement
from synscale.metrics.diversity import diversity
from synscale.metrics.fid import fid
from synscale.metrics.recognizability import recognizability

FAST = settings(max_examples=40, deadline=None, database=None)


@st.composite
def scored_images(draw, min_per_class: int = 1):
    """Labels of 2-5 classes (ids with gaps), logits over 8 classes, features of 1-6 dims."""
    n_classes = draw(st.integers(2, 5))
    class_ids = draw(st.lists(st.integers(0, 7), min_size=n_classes, max_size=n_classes, unique=True))
    per_class = draw(st.lists(st.integers(min_per_class, 6), min_size=n_classes, max_size=n_classes))
    labels = np.repeat(class_ids, per_class)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(len(labels), 8))
    # Often predict right, so F1 scores are spread over [0, 1] rather than near 0.
    right = rng.random(len(labels)) < draw(st.floats(0, 1))
    logits[right, labels[right]] += 10
    features = rng.normal(size=(len(labels), draw(st.integers(1, 6)))) * rng.uniform(0.1, 3)
    return labels, logits, features


def measurement(labels, logits, features) -> Measurement:
    return Measurement(images=None, reference=None, logits=torch.as_tensor(logits),
                       features=torch.as_tensor(features, dtype=torch.float32),
                       labels=torch.as_tensor(labels), real=None)


def f1_by_hand(labels: np.ndarray, predicted: np.ndarray, c: int) -> float:
    tp = np.sum((predicted == c) & (labels == c))
    fp = np.sum((predicted == c) & (labels != c))
    fn = np.sum((predicted != c) & (labels == c))
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


@FAST
@given(scored_images())
def test_recognizability_is_the_mean_per_class_f1(case):
    labels, logits, features = case
    value = recognizability(measurement(labels, logits, features))
    predicted = logits.argmax(1)  # may name a class outside the set: a miss for its true class
    expected = {int(c): f1_by_hand(labels, predicted, c) for c in np.unique(labels)}
    assert value.per_class.keys() == expected.keys()
    for c, f1 in expected.items():
        assert abs(value.per_class[c] - f1) < 1e-9
    assert abs(value.value - np.mean(list(expected.values()))) < 1e-9


@FAST
@given(scored_images(min_per_class=2))
def test_diversity_is_the_mean_per_dimension_sample_std(case):
    labels, logits, features = case
    value = diversity(measurement(labels, logits, features))
    features = features.astype(np.float32).astype(np.float64)  # as the features are stored
    expected = {int(c): float(np.mean(np.std(features[labels == c], axis=0, ddof=1)))
                for c in np.unique(labels)}
    assert value.per_class.keys() == expected.keys()
    for c, std in expected.items():
        assert abs(value.per_class[c] - std) < 1e-6 * max(1.0, std)
    assert abs(value.value - np.mean(list(expected.values()))) < 1e-6 * max(1.0, value.value)


def test_diversity_grows_with_spread_and_ignores_the_mean():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 20)
    features = rng.normal(size=(40, 4))
    base = diversity(measurement(labels, np.zeros((40, 8)), features)).value
    assert abs(diversity(measurement(labels, np.zeros((40, 8)), features + 5)).value - base) < 1e-5
    assert abs(diversity(measurement(labels, np.zeros((40, 8)), features * 3)).value - 3 * base) < 1e-5


class PixelFeatures:
    """A stand-in reference classifier whose features are the images' pixels."""

    def logits_and_features(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return images.float().flatten(1)[:, :1], images.float().flatten(1)


def frechet_by_hand(a: np.ndarray, b: np.ndarray) -> float:
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(cov_a @ cov_b).real
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * root))


@settings(max_examples=10, deadline=None, database=None)
@given(st.integers(0, 2**32 - 1), st.floats(0, 60))
def test_fid_is_the_frechet_distance_of_reference_features(seed, shift):
    rng = np.random.default_rng(seed)
    real = rng.integers(60, 140, size=(40, 1, 1, 3)).astype(np.uint8)
    fake = np.clip(rng.integers(60, 140, size=(30, 1, 1, 3)) * rng.uniform(0.5, 1.5) + shift,
                   0, 255).astype(np.uint8)
    images = LabeledImages(torch.as_tensor(fake), torch.zeros(30, dtype=torch.long))
    real_set = LabeledImages(torch.as_tensor(real), torch.zeros(40, dtype=torch.long))
    features = torch.as_tensor(fake.reshape(30, -1), dtype=torch.float32)
    value = fid(Measurement(images, PixelFeatures(), features[:, :1], features,
                            images.labels, real_set)).value
    expected = frechet_by_hand(real.reshape(40, -1).astype(float), fake.reshape(30, -1).astype(float))
    assert abs(value - expected) < 1e-4 * max(1.0, expected)


def test_fid_reads_real_images_from_files_as_it_reads_them_in_memory(tmp_path):
    """An ImageNet-scale world's val pool is image files (read through a DataLoader): FID against
    it is the Frechet distance of the same features as for the images held in memory."""
    from PIL import Image

    from synscale.data.datasets import FileImages

    rng = np.random.default_rng(0)
    real = rng.integers(60, 140, size=(40, 1, 1, 3)).astype(np.uint8)  # 40 one-pixel RGB images
    files = []
    for i, pixel in enumerate(real):
        files.append(tmp_path / f"{i}.png")
        Image.fromarray(pixel).save(files[-1])
    on_disk = FileImages(files, [0] * 40, "val", image_size=1)
    fake = np.clip(rng.integers(60, 140, size=(30, 3, 1, 1)) + 20, 0, 255).astype(np.uint8)
    images = LabeledImages(torch.as_tensor(fake), torch.zeros(30, dtype=torch.long))
    features = torch.as_tensor(fake.reshape(30, -1), dtype=torch.float32)
    value = fid(Measurement(images, PixelFeatures(), features[:, :1], features, images.labels,
                            on_disk)).value
    expected = frechet_by_hand(real.reshape(40, -1).astype(float), fake.reshape(30, -1).astype(float))
    assert abs(value - expected) < 1e-4 * max(1.0, expected)
