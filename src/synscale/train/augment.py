"""Batch augmentations, applied on float tensors in [0, 1] inside the training step.

Working on whole batches (one affine grid per batch) keeps augmentation off the data-loading
path: the mini world trains at thousands of images per second with no loader at all, and on a
GPU the warp runs on the device. An augmentation is split into the uniform noise it needs per
image (``draws`` numbers, drawn by the trainer from the run's generator) and a deterministic
``apply``: the noise of a step is drawn for the whole global batch, so one process and N
data-parallel workers (each applying its slice) augment every image the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from synscale.registry import Registry

if TYPE_CHECKING:  # torch where a batch is augmented: checking a recipe's name imports none
    import torch


@dataclass(frozen=True)
class Augment:
    draws: int  # uniform numbers in [0, 1) per image
    apply: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (images, noise [N, draws])

    def noise(self, n: int, generator: torch.Generator) -> torch.Tensor:
        import torch

        # No draw at all for a noise-free augmentation: the generator stream stays as it was.
        return torch.rand(n, self.draws, generator=generator) if self.draws else torch.empty(n, 0)

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return self.apply(x, self.noise(x.shape[0], generator).to(x.device))


AUGMENTS: Registry[Augment] = Registry("augmentation")


@AUGMENTS.register("none")
def make_none() -> Augment:
    """No augmentation."""
    return Augment(0, lambda x, u: x)


@AUGMENTS.register("digits")
def make_digits(max_rotate: float = 12.0, max_scale: float = 0.1, max_shift: float = 0.12) -> Augment:
    """Small random rotation, scale and shift per image; no flips (a flipped 2 is not a 2)."""

    def apply(x: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        import torch
        import torch.nn.functional as F

        u = noise * 2 - 1
        angle = u[:, 0] * math.radians(max_rotate)
        scale = 1 + u[:, 1] * max_scale
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        theta = torch.stack([torch.stack([cos, -sin, u[:, 2] * max_shift * 2], 1),
                             torch.stack([sin, cos, u[:, 3] * max_shift * 2], 1)], 1)
        grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    return Augment(4, apply)


@AUGMENTS.register("imagenet")
def make_imagenet(min_area: float = 0.35) -> Augment:
    """Random resized crop (area ≥ min_area of the image) and horizontal flip, per image."""

    def apply(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        import torch
        import torch.nn.functional as F

        n = x.shape[0]
        side = torch.sqrt(min_area + (1 - min_area) * u[:, 0])
        flip = torch.where(u[:, 1] < 0.5, -1.0, 1.0)
        cx, cy = (u[:, 2] * 2 - 1) * (1 - side), (u[:, 3] * 2 - 1) * (1 - side)
        zero = torch.zeros(n, device=u.device)
        theta = torch.stack([torch.stack([side * flip, zero, cx], 1),
                             torch.stack([zero, side, cy], 1)], 1)
        grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)

    return Augment(4, apply)
