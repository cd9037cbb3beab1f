"""Supervised training of a classifier from scratch on any labelled image dataset.

The dataset may be real, synthetic or a mix: the trainer sees only (image, label) pairs. AdamW
with linear warm-up and cosine decay; the run's seed fixes initialisation, data order and
augmentation (``synscale.train.batches``), on any device, whether the images are held in memory
or streamed from disk, and over any number of data-parallel workers. A run given a checkpoint
path saves its state there every ``setup.checkpoint_every`` steps and, when started again,
continues from it to the very weights an uninterrupted run ends with.
"""

from __future__ import annotations

import json
import math
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from timm.data import resolve_data_config
from torch import nn

from synscale.data.datasets import ImageDataset, LabeledImages
from synscale.errors import ConfigError, DataError
from synscale.progress import track
from synscale.train import distributed
from synscale.train.augment import AUGMENTS
from synscale.train.batches import BatchOrder, StepSampler, batches
from synscale.train.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from synscale.train.models import create_classifier
from synscale.train.optim import FlatAdamW
from synscale.train.recipe import TrainRecipe
from synscale.train.setup import TrainSetup


@dataclass
class TrainStats:
    iterations: int
    images_per_s: float  # over the steps this process trained (after a resume: since it)
    data_wait_fraction: float
    seconds: float
    final_loss: float
    losses: list[float] = field(default_factory=list)  # training loss of every step (global batch)
    resumed_from: int = 0  # the checkpoint's step, 0 for a run trained from scratch
    device: str = "cpu"
    precision: str = "fp32"
    streamed: bool = False
    workers: int = 1

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class TrainedClassifier:
    """A classifier with the input normalisation it was trained with."""

    def __init__(self, model: nn.Module, spec: dict[str, Any]) -> None:
        # One memory layout for training, evaluation and reloading: conv kernels differ by
        # layout, and a reloaded model must give the very same numbers.
        self.model = model.to(memory_format=torch.channels_last).eval()
        self.spec = spec  # model name, num_classes, in_chans, mean, std

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def to(self, device: torch.device | str) -> TrainedClassifier:
        self.model.to(device)
        return self

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 [N, C, H, W] (any device) -> the float input the network was trained on, on
        the model's device."""
        images = images.to(self.device, non_blocking=True)
        mean = torch.as_tensor(self.spec["mean"], dtype=torch.float32, device=images.device)
        std = torch.as_tensor(self.spec["std"], dtype=torch.float32, device=images.device)
        x = (images.float() / 255.0 - mean.reshape(1, -1, 1, 1)) / std.reshape(1, -1, 1, 1)
        return x.contiguous(memory_format=torch.channels_last)

    @torch.inference_mode()
    def logits_and_features(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits and pre-logit features, as float32 on the CPU."""
        features = self.model.forward_head(self.model.forward_features(self.prepare(images)),
                                           pre_logits=True)
        return self.model.get_classifier()(features).float().cpu(), features.float().cpu()

    def save(self, folder: Path) -> None:
        save_file({k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()},
                  str(folder / "model.safetensors"))
        (folder / "model.json").write_text(json.dumps(self.spec, indent=2, sort_keys=True))

    @classmethod
    def from_timm_weights(cls, name: str, weights: Path, num_classes: int) -> TrainedClassifier:
        """A timm model with weights from a local file (safetensors, or a tensors-only
        PyTorch checkpoint: never unpickled code), normalised as its pretrained config says."""
        if not weights.is_file():
            raise DataError(f"classifier weights not found: {weights}")
        model = create_classifier(name, num_classes, 3)
        try:  # bytes from the user: whatever the loaders raise on a file that is not weights
            state = (load_file(str(weights)) if weights.suffix == ".safetensors"
                     else torch.load(weights, map_location="cpu", weights_only=True))
        except Exception as exc:  # noqa: BLE001
            raise DataError(f"{weights} is not a weights file ({type(exc).__name__}: "
                            f"{str(exc).strip()[:120]})") from None
        try:
            model.load_state_dict(state)
        except (RuntimeError, TypeError, AttributeError) as exc:
            raise DataError(f"{weights} does not hold weights of {name}: "
                            f"{str(exc).strip().splitlines()[0][:160]}") from None
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
                     quiet: bool = False, setup: TrainSetup | None = None,
                     checkpoint: Path | None = None) -> tuple[TrainedClassifier, TrainStats]:
    """Train ``recipe.model`` from scratch for ``recipe.schedule.iterations(len(data))`` steps.

    In a process group of N workers (``synscale.train.distributed``) each worker calls this with
    the same arguments and trains on its 1/N of every global batch.
    """
    setup = setup or TrainSetup()
    if len(data) == 0:
        raise DataError(f"{data.name}: no training images")
    if recipe.model is None or recipe.augment is None:
        raise ValueError("recipe.model and recipe.augment must be resolved before training")
    device = setup.torch_device()
    rank, workers = distributed.rank_and_size()
    iterations = recipe.schedule.iterations(len(data))
    if min(recipe.batch_size, len(data)) % workers:
        raise ConfigError(f"a batch of {min(recipe.batch_size, len(data))} images cannot be split "
                          f"evenly over {workers} workers; choose a batch size divisible by it")

    # 1. The model from the run seed (the same initial weights in every worker), optimiser,
    #    schedule, augmentation and the seeded batch stream.
    in_chans = int(data[0][0].shape[0])
    torch.manual_seed(seed)
    model = create_classifier(recipe.model, num_classes, in_chans)
    spec = {"model": recipe.model, "num_classes": num_classes, "in_chans": in_chans,
            "mean": 0.5, "std": 0.5}
    classifier = TrainedClassifier(model, spec).to(device)
    model.train()
    optimizer = adamw(model, recipe.lr, recipe.weight_decay, device)
    warmup = max(1, round(recipe.warmup_fraction * iterations))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: _lr_factor(i, warmup, iterations))
    augment = AUGMENTS.create(recipe.augment)
    order = BatchOrder(len(data), recipe.batch_size, augment.draws, torch.Generator().manual_seed(seed))

    # 2. Continue from the last checkpoint, if there is one.
    start, losses = 0, []
    if checkpoint is not None and (state := load_checkpoint(checkpoint)) is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        order.load_state_dict(state["order"])
        set_rng_state(state["rng"], device)
        start, losses = int(state["step"]), state["losses"].tolist()

    # 3. The loop. The batch's noise is drawn for the global batch; this worker applies its slice.
    net = distributed.wrap(model, device)
    if setup.compile:
        net = torch.compile(net)
    stream = setup.stream == "always" or not isinstance(data, LabeledImages)
    sampler = StepSampler(order, iterations - start, rank, workers)
    loaders = min(recipe.loader_workers, os.cpu_count() or 1)  # more than cores only thrash
    steps = batches(data, sampler, stream, loaders, device.type == "cuda", seed)
    autocast = setup.autocast_dtype(device)
    pending: list[torch.Tensor] = []  # this worker's losses since the last flush
    wait, began = 0.0, time.perf_counter()
    with track(f"train {recipe.model} on {len(data)} images", iterations - start, quiet or rank > 0,
               "step") as bar:
        for step in range(start, iterations):
            t0 = time.perf_counter()
            images, labels, noise, stream_state = next(steps)
            wait += time.perf_counter() - t0
            x = augment.apply(classifier.prepare(images), noise.to(device, non_blocking=True))
            x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=autocast) if autocast else nullcontext():
                loss = F.cross_entropy(net(x), labels.to(device, non_blocking=True),
                                       label_smoothing=recipe.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            pending.append(loss.detach().float())
            done = step + 1
            if checkpoint is not None and setup.checkpoint_every and done % setup.checkpoint_every == 0 \
                    and done < iterations:
                losses += _flush(pending)
                if rank == 0:
                    save_checkpoint(checkpoint, {
                        "step": done, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(), "order": stream_state,
                        "rng": rng_state(device), "losses": torch.tensor(losses)})
                distributed.barrier()
            bar.advance()
    losses += _flush(pending)
    seconds = time.perf_counter() - began
    if isinstance(optimizer, FlatAdamW):
        optimizer.release()  # the weights as separate tensors again, as saving them needs
    model.eval()
    trained = iterations - start
    stats = TrainStats(iterations, trained * recipe.batch_size / seconds if trained else 0.0,
                       wait / seconds if trained else 0.0, seconds,
                       losses[-1] if losses else float("nan"), losses, start, str(device),
                       "bf16" if autocast else "fp32", stream, workers)
    return classifier, stats


def adamw(model: nn.Module, lr: float, weight_decay: float,
          device: torch.device) -> torch.optim.AdamW:
    """The run's AdamW. On the CPU over one flat tensor: torch's multi-tensor AdamW loops over
    the parameter tensors there, the flat one updates all in ~10 ops, to the same bits and with
    the same state dict (``synscale.train.optim``). On GPUs torch's multi-tensor kernels already
    take all tensors at once."""
    if device.type == "cpu":
        return FlatAdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, foreach=True)


def _flush(pending: list[torch.Tensor]) -> list[float]:
    """The mean over workers of each pending step loss, as floats (one sync for many steps)."""
    if not pending:
        return []
    values = distributed.mean_over_workers(torch.stack(pending)).cpu().tolist()
    pending.clear()
    return values


def _lr_factor(step: int, warmup: int, total: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))
