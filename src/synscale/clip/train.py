"""Training one CLIP from scratch on captions with real, synthetic or mixed images (paper 5).

Every step takes a batch of captions in seeded epoch order; a ``mix`` run picks, for every sample
at every step, the caption's synthetic image with probability ``mix_p`` and its real image
otherwise (a fresh draw each time the caption comes round), as the paper did. open_clip's
``ClipLoss``; AdamW without weight decay on gains, biases and the temperature, linear warm-up
then cosine decay; the temperature is clamped at 100 as open_clip's trainer does.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from pydantic import Field

from synscale.config import FrozenConfig
from synscale.errors import DataError
from synscale.progress import track

MAX_LOGIT_SCALE = math.log(100)


class ClipRecipe(FrozenConfig):
    """How one CLIP is trained. ``model`` defaults to the world's (see ``clip.models``)."""

    model: str | None = None
    epochs: int = Field(32, gt=0)  # the same at every scale, so steps grow with the captions
    batch_size: int = Field(128, gt=1)
    lr: float = Field(2e-3, gt=0)
    weight_decay: float = Field(0.1, ge=0)
    warmup_fraction: float = Field(0.1, ge=0, lt=1)
    eval_batch_size: int = Field(500, gt=0)


@dataclass(frozen=True)
class ClipBatchSource:
    """A run's training pairs: tokenized captions and, per caption, its real and/or synthetic
    image (uint8 ``[N, C, H, W]``); ``mix_p`` is the chance of the synthetic one when both."""

    tokens: torch.Tensor
    real: torch.Tensor | None
    synthetic: torch.Tensor | None
    mix_p: float = 0.5

    def __len__(self) -> int:
        return len(self.tokens)

    def images(self, idx: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, int]:
        """The images of pairs ``idx`` and how many of them were synthetic."""
        if self.synthetic is None:
            return self.real[idx], 0
        if self.real is None:
            return self.synthetic[idx], len(idx)
        pick = torch.rand(len(idx), generator=generator) < self.mix_p
        images = torch.where(pick.view(-1, 1, 1, 1), self.synthetic[idx], self.real[idx])
        return images, int(pick.sum())


@dataclass
class ClipStats:
    iterations: int
    real_draws: int
    synthetic_draws: int
    final_loss: float
    pairs_per_s: float
    seconds: float


def prepare_images(images: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """uint8 ``[N, C, H, W]`` -> the normalised 3-channel float input of an open_clip tower."""
    x = images.float().div_(255.0)
    if x.shape[1] == 1:  # grey digits: the tower's patch embedding takes RGB
        x = x.expand(-1, 3, -1, -1)
    return (x - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)


def image_norm(model: torch.nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    cfg = model.visual.preprocess_cfg
    return torch.tensor(cfg["mean"]), torch.tensor(cfg["std"])


def train_clip(model: torch.nn.Module, data: ClipBatchSource, recipe: ClipRecipe, seed: int,
               quiet: bool = False) -> ClipStats:
    """Train ``model`` in place for ``recipe.epochs`` epochs of ``data``."""
    from open_clip import ClipLoss

    if len(data) == 0:
        raise DataError("no training pairs")
    # 1. Batches: every epoch a fresh seeded permutation cut into ceil(N / batch_size) batches of
    # near-equal size, so every caption is seen once per epoch at every scale.
    per_epoch = -(-len(data) // recipe.batch_size)
    iterations = recipe.epochs * per_epoch
    generator = torch.Generator().manual_seed(seed)
    # 2. Optimiser and schedule.
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "logit_scale" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "logit_scale" not in n)]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": recipe.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=recipe.lr)
    warmup = max(1, round(recipe.warmup_fraction * iterations))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: _lr_factor(i, warmup, iterations))
    loss_fn = ClipLoss()
    mean, std = image_norm(model)

    # 3. The loop.
    model.train()
    synthetic_draws = 0
    loss = torch.tensor(float("nan"))
    start = time.perf_counter()
    with track(f"train CLIP on {len(data)} captions", iterations, quiet, "step") as bar:
        for _ in range(recipe.epochs):
            order = torch.randperm(len(data), generator=generator)
            for idx in torch.tensor_split(order, per_epoch):
                images, drawn = data.images(idx, generator)
                synthetic_draws += drawn
                image_features, text_features, scale = model(prepare_images(images, mean, std),
                                                             data.tokens[idx])
                loss = loss_fn(image_features, text_features, scale)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                scheduler.step()
                with torch.no_grad():
                    model.logit_scale.clamp_(0, MAX_LOGIT_SCALE)
                bar.advance()
    seconds = time.perf_counter() - start
    model.eval()
    draws = recipe.epochs * len(data)
    return ClipStats(iterations, draws - synthetic_draws, synthetic_draws, float(loss.detach()),
                     draws / seconds if seconds else 0.0, seconds)


def _lr_factor(step: int, warmup: int, total: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))
