"""Diversity (paper 3.2): how spread out a class's images are in the reference classifier's eyes.

Definition: for each class c, take the reference classifier's pre-logit feature vectors of the
class's images (n_c images, D dimensions); compute each dimension's sample standard deviation over
the n_c images (denominator n_c - 1); average over the D dimensions. Diversity is the mean of
that number over classes. It is in feature units, so it compares datasets scored by the same
reference classifier only.
"""

from __future__ import annotations

import numpy as np

from synscale.errors import DataError
from synscale.metrics.base import METRICS, Measurement, MetricValue


@METRICS.register("diversity")
def diversity(measurement: Measurement) -> MetricValue:
    """Mean over classes of the mean per-dimension std of the reference's features."""
    per_class = {}
    for c in measurement.class_ids:
        features = measurement.features[measurement.labels == c].double()
        if len(features) < 2:
            raise DataError(f"diversity needs at least 2 images of class {c}; got {len(features)}")
        per_class[c] = float(features.std(dim=0, unbiased=True).mean())
    return MetricValue(float(np.mean(list(per_class.values()))), per_class)
