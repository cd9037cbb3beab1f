"""FID (paper appendix) in the reference classifier's feature space.

torchmetrics' ``FrechetInceptionDistance`` with a custom feature extractor: the reference
classifier's pre-logit features, so FID and diversity are measured in the same space and nothing
has to be downloaded (Inception weights are not needed). The real side is the world's ``val`` pool.
Values are comparable only between datasets scored by the same reference classifier.
"""

from __future__ import annotations

import torch
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance

from synscale.data.datasets import ImageDataset, LabeledImages
from synscale.metrics.base import METRICS, Measurement, MetricValue
from synscale.train.classifier import TrainedClassifier

BATCH = 500


class ReferenceFeatures(nn.Module):
    """uint8 images -> the reference classifier's pre-logit features (float64 for FID)."""

    def __init__(self, reference: TrainedClassifier, num_features: int) -> None:
        super().__init__()
        self.reference = reference
        self.num_features = num_features

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.reference.logits_and_features(images)[1].double()


@METRICS.register("fid")
def fid(measurement: Measurement) -> MetricValue:
    """Frechet distance between reference features of real val images and of these images."""
    extractor = ReferenceFeatures(measurement.reference, int(measurement.features.shape[1]))
    metric = FrechetInceptionDistance(feature=extractor, reset_real_features=True)
    _update(metric, measurement.real, real=True)
    _update(metric, measurement.images, real=False)
    return MetricValue(float(metric.compute()))


def _update(metric: FrechetInceptionDistance, data: ImageDataset, real: bool) -> None:
    if isinstance(data, LabeledImages):
        for start in range(0, len(data), BATCH):
            metric.update(data.images[start:start + BATCH], real=real)
    else:
        for images, _ in torch.utils.data.DataLoader(data, batch_size=BATCH):
            metric.update(images, real=real)
