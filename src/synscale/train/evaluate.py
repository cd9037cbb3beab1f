"""Evaluation: cross-entropy and top-1, overall and per class, on any labelled set.

A set that covers only some classes (ImageNet-R and -A cover 200 of 1000) is scored with the
logits restricted to its classes, as in the paper's section 4.5.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from synscale.data.datasets import ImageDataset, LabeledImages
from synscale.store import SetMetrics
from synscale.train.classifier import TrainedClassifier


def predict(classifier: TrainedClassifier, data: ImageDataset, batch_size: int = 500,
            workers: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Logits, pre-logit features and labels of every image, in dataset order."""
    logits, features, labels = [], [], []
    for images, batch_labels in _eval_batches(data, batch_size, workers):
        batch_logits, batch_features = classifier.logits_and_features(images)
        logits.append(batch_logits)
        features.append(batch_features)
        labels.append(torch.as_tensor(batch_labels))
    return torch.cat(logits), torch.cat(features), torch.cat(labels)


def evaluate(classifier: TrainedClassifier, data: ImageDataset, batch_size: int = 500,
             workers: int = 0) -> SetMetrics:
    logits, _, labels = predict(classifier, data, batch_size, workers)
    return score(logits, labels, data.classes)


def score(logits: torch.Tensor, labels: torch.Tensor, classes: list[int] | None = None) -> SetMetrics:
    targets = labels
    if classes is not None:
        columns = sorted(classes)
        position = {c: i for i, c in enumerate(columns)}
        logits = logits[:, torch.as_tensor(columns)]
        targets = torch.as_tensor([position[int(c)] for c in labels])
    losses = F.cross_entropy(logits, targets, reduction="none")
    correct = (logits.argmax(1) == targets).float()
    per_class = []
    for c in np.unique(labels.numpy()):
        mask = labels == int(c)
        per_class.append({"class_id": int(c), "loss": float(losses[mask].mean()),
                          "top1": float(correct[mask].mean()), "n": int(mask.sum())})
    return SetMetrics(float(losses.mean()), float(correct.mean()), len(labels), per_class)


def _eval_batches(data: ImageDataset, batch_size: int, workers: int):
    if isinstance(data, LabeledImages):
        for i in range(0, len(data), batch_size):
            yield data.images[i:i + batch_size], data.labels[i:i + batch_size]
    else:
        yield from torch.utils.data.DataLoader(data, batch_size=batch_size, num_workers=workers,
                                               pin_memory=torch.cuda.is_available())
