"""Recognizability, diversity and FID: known answers on hand-made inputs, and real vs noise."""

from __future__ import annotations

import math

import pytest
import torch

from synscale.data.datasets import LabeledImages
from synscale.errors import DataError
from synscale.metrics import METRICS, Measurement, measure_images


def hand_made(logits: torch.Tensor, features: torch.Tensor, labels: list[int]) -> Measurement:
    images = LabeledImages(torch.zeros(len(labels), 1, 2, 2, dtype=torch.uint8), torch.tensor(labels))
    return Measurement(images, None, logits, features, torch.tensor(labels), images)


def one_hot(predicted: list[int], classes: int = 3) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.tensor(predicted), classes).float()


def test_recognizability_is_the_mean_per_class_f1():
    labels = [0, 0, 1, 1, 2, 2]
    predicted = [0, 1, 1, 1, 2, 0]
    # class 0: P 1/2, R 1/2 -> F1 1/2; class 1: P 2/3, R 1 -> 4/5; class 2: P 1, R 1/2 -> 2/3.
    value = METRICS.get("recognizability")(hand_made(one_hot(predicted), torch.zeros(6, 2), labels))
    assert value.per_class == pytest.approx({0: 0.5, 1: 0.8, 2: 2 / 3})
    assert value.value == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)


def test_diversity_is_the_mean_over_classes_of_the_mean_per_dimension_std():
    features = torch.tensor([[0.0, 0.0], [2.0, 4.0], [5.0, 5.0], [5.0, 5.0]])
    value = METRICS.get("diversity")(hand_made(torch.zeros(4, 2), features, [0, 0, 1, 1]))
    # class 0: stds (n-1) sqrt(2) and sqrt(8); class 1: identical images, 0.
    assert value.per_class[0] == pytest.approx((math.sqrt(2) + math.sqrt(8)) / 2)
    assert value.per_class[1] == 0.0
    assert value.value == pytest.approx((math.sqrt(2) + math.sqrt(8)) / 4)


def test_diversity_needs_two_images_per_class():
    with pytest.raises(DataError, match="at least 2 images of class 1"):
        METRICS.get("diversity")(hand_made(torch.zeros(3, 2), torch.zeros(3, 2), [0, 0, 1]))


def test_real_images_beat_noise_on_every_metric(quick_reference, mini_world):
    val = mini_world.pool("val")
    generator = torch.Generator().manual_seed(0)
    noise = LabeledImages(torch.randint(0, 256, val.images.shape, dtype=torch.uint8, generator=generator),
                          val.labels.clone(), "noise")
    real = measure_images(mini_world.pool("generator"), mini_world, quick_reference)
    fake = measure_images(noise, mini_world, quick_reference)
    assert real["recognizability"] > 0.3 and fake["recognizability"] < 0.15  # chance is 0.1
    assert real["fid"] < fake["fid"] / 10
    assert set(real) >= {"recognizability", "diversity", "fid", "per_class"}
    assert [row["class_id"] for row in real["per_class"]] == list(range(10))
    assert real["per_class"][3]["class_name"] == "three" and real["per_class"][3]["images"] == 200
    # FID of a set against itself (val vs val) is zero up to rounding.
    assert measure_images(val, mini_world, quick_reference, ["fid"])["fid"] == pytest.approx(0, abs=1e-3)


def test_measure_command_on_a_real_pool(quick_reference, monkeypatch, tmp_path, cli):
    monkeypatch.setattr("synscale.train.reference.reference_classifier",
                        lambda world, workspace, **options: quick_reference)
    result = cli("measure", "real:val", "--per-class", "20", "--workspace", str(tmp_path), "--json")
    assert result.code == 0, result.err
    (report,) = result.json_lines()
    assert report["images"] == 200 and len(report["per_class"]) == 10
    assert {"recognizability", "diversity", "fid"} <= report["per_class"][0].keys() | set(report)
    assert cli("measure", "real:val", "--per-class", "0", "--workspace", str(tmp_path)).code == 2
    missing = cli("measure", "no-such-dataset", "--workspace", str(tmp_path))
    assert missing.code == 2 and "no synthetic dataset" in missing.err
