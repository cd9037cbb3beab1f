"""The metric contract: a metric reads one ``Measurement`` and returns a value (and per class).

A measurement holds the labelled images being judged, the reference classifier, its logits and
pre-logit features of those images (computed once, shared by every metric) and the real images
that distribution metrics such as FID compare against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from synscale.data.datasets import ImageDataset, LabeledImages
from synscale.registry import Registry
from synscale.train.classifier import TrainedClassifier


@dataclass(frozen=True)
class Measurement:
    images: LabeledImages
    reference: TrainedClassifier
    logits: torch.Tensor  # [N, num_classes]
    features: torch.Tensor  # [N, D], the reference's pre-logit features
    labels: torch.Tensor  # [N]
    real: ImageDataset  # real images of the same world and classes (the val pool)

    @property
    def class_ids(self) -> list[int]:
        return sorted(int(c) for c in torch.unique(self.labels))


@dataclass(frozen=True)
class MetricValue:
    value: float
    per_class: dict[int, float] | None = None


Metric = Callable[[Measurement], MetricValue]
METRICS: Registry[Metric] = Registry("metric")
