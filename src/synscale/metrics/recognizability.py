"""Recognizability (paper 3.2): how often the reference classifier sees the class that was asked for.

Definition: the mean over classes of the per-class F1 score (scikit-learn ``f1_score`` with
``average=None``) of the reference classifier's top-1 predictions against the classes the images
were generated for. A prediction of a class outside the set counts as a miss.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score

from synscale.metrics.base import METRICS, Measurement, MetricValue


@METRICS.register("recognizability")
def recognizability(measurement: Measurement) -> MetricValue:
    """Mean over classes of the reference classifier's per-class F1."""
    classes = measurement.class_ids
    predicted = measurement.logits.argmax(1).numpy()
    scores = f1_score(measurement.labels.numpy(), predicted, labels=classes, average=None,
                      zero_division=0)
    return MetricValue(float(np.mean(scores)), {c: float(s) for c, s in zip(classes, scores)})
