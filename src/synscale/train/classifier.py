"""Supervised training of a classifier from scratch on any labelled image dataset.

The dataset may be real, synthetic or a mix: the trainer sees only (image, label) pairs. In-memory
datasets are batched by index (no loader, no copies); file datasets go through a DataLoader.
AdamW with linear warm-up and cosine decay; the run's seed fixes initialisation, data order and
augmentation.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from timm.data import resolve_data_config
from torch import nn

from synscale.config import FrozenConfig
from synscale.data.datasets import ImageDataset, LabeledImages
from synscale.errors import DataError
from synscale.progress import track
from synscale.train.augment import AUGMENTS
from synscale.train.models import create_classifier
from synscale.train.schedule import Schedule


class TrainRecipe(FrozenConfig):
    """How one classifier is trained. ``model`` and ``augment`` default to the world's choice."""

    model: str | None = None
    augment: str | None = None
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 0.05
    warmup_fraction: float = 0.05
    label_smoothing: float = 0.0
    schedule: Schedule = Schedule()
    eval_batch_size: int = 500
    loader_workers: int = 4  # only for file datasets


@dataclass
class TrainStats:
    iterations: int
    images_per_s: float
    data_wait_fraction: float
    seconds: float
    final_loss: float


class TrainedClassifier:
    """A classifier with the input normalisation it was trained with."""

    def __init__(self, model: nn.Module, spec: dict[str, Any]) -> None:
        # One memory layout for training, evaluation and reloading: conv kernels differ by
        # layout, and a reloaded model must give the very same numbers.
        self.model = model.to(memory_format=torch.channels_last).eval()
        self.spec = spec  # model name, num_classes, in_chans, mean, std

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 [N, C, H, W] -> the float input the network was trained on."""
        mean = torch.as_tensor(self.spec["mean"], dtype=torch.float32).reshape(1, -1, 1, 1)
        std = torch.as_tensor(self.spec["std"], dtype=torch.float32).reshape(1, -1, 1, 1)
        x = (images.float() / 255.0 - mean) / std
        return x.contiguous(memory_format=torch.channels_last)

    @torch.inference_mode()
    def logits_and_features(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.model.forward_head(self.model.forward_features(self.prepare(images)),
                                           pre_logits=True)
        return self.model.get_classifier()(features), features

    def save(self, folder: Path) -> None:
        save_file({k: v.contiguous() for k, v in self.model.state_dict().items()},
                  str(folder / "model.safetensors"))
        (folder / "model.json").write_text(json.dumps(self.spec, indent=2, sort_keys=True))

    @classmethod
    def from_timm_weights(cls, name: str, weights: Path, num_classes: int) -> TrainedClassifier:
        """A timm model with weights from a local file (safetensors, or a tensors-only
        PyTorch checkpoint: never unpickled code), normalised as its pretrained config says."""
        if not weights.is_file():
            raise DataError(f"classifier weights not found: {weights}")
        model = create_classifier(name, num_classes, 3)
        state = (load_file(str(weights)) if weights.suffix == ".safetensors"
                 else torch.load(weights, map_location="cpu", weights_only=True))
        model.load_state_dict(state)
        cfg = resolve_data_config({}, model=model)
        spec = {"model": name, "num_classes": num_classes, "in_chans": 3,
                "mean": list(cfg["mean"]), "std": list(cfg["std"])}
        return cls(model, spec)

    @classmethod
    def load(cls, folder: Path) -> TrainedClassifier:
        spec = json.loads((folder / "model.json").read_text())
        model = create_classifier(spec["model"], spec["num_classes"], spec["in_chans"])
        model.load_state_dict(load_file(str(folder / "model.safetensors")))
        return cls(model, spec)


def train_classifier(data: ImageDataset, num_classes: int, recipe: TrainRecipe, seed: int,
                     quiet: bool = False) -> tuple[TrainedClassifier, TrainStats]:
    """Train ``recipe.model`` from scratch for ``recipe.schedule.iterations(len(data))`` steps."""
    if len(data) == 0:
        raise DataError(f"{data.name}: no training images")
    if recipe.model is None or recipe.augment is None:
        raise ValueError("recipe.model and recipe.augment must be resolved before training")
    in_chans = int(data[0][0].shape[0])
    torch.manual_seed(seed)
    model = create_classifier(recipe.model, num_classes, in_chans)
    spec = {"model": recipe.model, "num_classes": num_classes, "in_chans": in_chans,
            "mean": 0.5, "std": 0.5}
    classifier = TrainedClassifier(model, spec)
    model.train()
    iterations = recipe.schedule.iterations(len(data))
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    warmup = max(1, round(recipe.warmup_fraction * iterations))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: _lr_factor(i, warmup, iterations))
    augment = AUGMENTS.create(recipe.augment)
    generator = torch.Generator().manual_seed(seed)
    batches = _batches(data, recipe, generator)

    wait = 0.0
    loss = torch.tensor(float("nan"))
    start = time.perf_counter()
    with track(f"train {recipe.model} on {len(data)} images", iterations, quiet, "step") as bar:
        for _ in range(iterations):
            t0 = time.perf_counter()
            images, labels = next(batches)
            wait += time.perf_counter() - t0
            x = augment(classifier.prepare(images), generator).contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(model(x), labels, label_smoothing=recipe.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            bar.advance()
    seconds = time.perf_counter() - start
    model.eval()
    stats = TrainStats(iterations, iterations * recipe.batch_size / seconds, wait / seconds, seconds,
                       float(loss.detach()))
    return classifier, stats


def _lr_factor(step: int, warmup: int, total: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def _batches(data: ImageDataset, recipe: TrainRecipe, generator: torch.Generator):
    """Endless batches in seeded epoch order (each epoch a fresh permutation)."""
    if isinstance(data, LabeledImages):
        size = min(recipe.batch_size, len(data))  # a set smaller than a batch is one batch
        while True:
            order = torch.randperm(len(data), generator=generator)
            for i in range(0, len(order) - size + 1, size):
                idx = order[i:i + size]
                yield data.images[idx], data.labels[idx]
    else:
        sampler = torch.utils.data.RandomSampler(data, replacement=False, generator=generator)
        loader = torch.utils.data.DataLoader(data, batch_size=recipe.batch_size, sampler=sampler,
                                             num_workers=recipe.loader_workers, drop_last=True,
                                             persistent_workers=recipe.loader_workers > 0)
        while True:
            yield from loader
