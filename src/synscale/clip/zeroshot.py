"""Zero-shot classification with a CLIP: class embeddings from class names x templates.

The class embeddings are open_clip's ``build_zero_shot_classifier`` (each template's text
embedding normalised, averaged over templates, normalised again); an image's logits are its
normalised embedding against them, times the model's learned temperature. The zero-shot loss is
the cross-entropy of these scaled logits (Figure 8), top-1 their argmax. Sets that cover only
some classes (ImageNet-R, -A) are scored over their classes alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from synscale.clip.train import image_norm, prepare_images
from synscale.data.datasets import ImageDataset, LabeledImages
from synscale.errors import UnknownNameError
from synscale.store import SetMetrics

TEMPLATE_SETS = {"80": "OPENAI_IMAGENET_TEMPLATES", "7": "SIMPLE_IMAGENET_TEMPLATES"}


def templates(name: str) -> Sequence[Callable[[str], str]]:
    """The OpenAI CLIP ImageNet templates open_clip ships: ``80`` (all) or ``7`` (the subset)."""
    if name not in TEMPLATE_SETS:
        raise UnknownNameError("template set", name, list(TEMPLATE_SETS))
    from open_clip import zero_shot_metadata

    return getattr(zero_shot_metadata, TEMPLATE_SETS[name])


@torch.no_grad()
def class_embeddings(model: torch.nn.Module, tokenizer: Any, classnames: Sequence[str],
                     template_set: str) -> torch.Tensor:
    """``[embed_dim, classes]``, as open_clip builds a zero-shot classifier."""
    from open_clip import build_zero_shot_classifier

    return build_zero_shot_classifier(model, tokenizer, list(classnames), templates(template_set),
                                      num_classes_per_batch=10, device="cpu")


@torch.no_grad()
def zero_shot_logits(model: torch.nn.Module, weights: torch.Tensor, dataset: ImageDataset,
                     batch_size: int = 500) -> torch.Tensor:
    """``[N, classes]`` scaled logits of every image of ``dataset``, batch by batch."""
    mean, std = image_norm(model)
    out = []
    for start in range(0, len(dataset), batch_size):
        features = model.encode_image(prepare_images(_images(dataset, start, batch_size), mean, std),
                                      normalize=True)
        out.append(model.logit_scale.exp() * features @ weights)
    return torch.cat(out)


def evaluate_zero_shot(model: torch.nn.Module, weights: torch.Tensor, dataset: ImageDataset,
                       batch_size: int = 500) -> SetMetrics:
    """Zero-shot loss and top-1 on one labelled set, overall and per class."""
    labels = torch.as_tensor(np.asarray(dataset.label_array), dtype=torch.long)
    logits = zero_shot_logits(model, weights, dataset, batch_size)
    if dataset.classes is not None:  # a class subset: logits over its classes only
        keep = torch.as_tensor(sorted(dataset.classes))
        logits = logits[:, keep]
        labels = torch.searchsorted(keep, labels)
    losses = F.cross_entropy(logits, labels, reduction="none")
    correct = (logits.argmax(1) == labels).float()
    per_class = []
    for c in torch.unique(labels).tolist():
        member = labels == c
        class_id = int(keep[c]) if dataset.classes is not None else c
        per_class.append({"class_id": class_id, "loss": float(losses[member].mean()),
                          "top1": float(correct[member].mean()), "n": int(member.sum())})
    return SetMetrics(float(losses.mean()), float(correct.mean()), len(labels), per_class)


def _images(dataset: ImageDataset, start: int, count: int) -> torch.Tensor:
    if isinstance(dataset, LabeledImages):
        return dataset.images[start:start + count]
    return torch.stack([dataset[i][0] for i in range(start, min(start + count, len(dataset)))])
