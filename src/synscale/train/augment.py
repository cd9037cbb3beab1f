"""Batch augmentations, applied on float tensors in [0, 1] inside the training step.

Working on whole batches (one affine grid per batch) keeps augmentation off the data-loading
path: the mini world trains at thousands of images per second with no loader at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from synscale.registry import Registry

Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
AUGMENTS: Registry[Augment] = Registry("augmentation")


@AUGMENTS.register("none")
def make_none() -> Augment:
    """No augmentation."""
    return lambda x, g: x


@AUGMENTS.register("digits")
def make_digits(max_rotate: float = 12.0, max_scale: float = 0.1, max_shift: float = 0.12) -> Augment:
    """Small random rotation, scale and shift per image; no flips (a flipped 2 is not a 2)."""

    def apply(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        n = x.shape[0]
        u = torch.rand(n, 4, generator=g) * 2 - 1
        angle = u[:, 0] * math.radians(max_rotate)
        scale = 1 + u[:, 1] * max_scale
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        theta = torch.stack([torch.stack([cos, -sin, u[:, 2] * max_shift * 2], 1),
                             torch.stack([sin, cos, u[:, 3] * max_shift * 2], 1)], 1)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    return apply


@AUGMENTS.register("imagenet")
def make_imagenet(min_area: float = 0.35) -> Augment:
    """Random resized crop (area ≥ min_area of the image) and horizontal flip, per image."""

    def apply(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        n = x.shape[0]
        u = torch.rand(n, 4, generator=g)
        side = torch.sqrt(min_area + (1 - min_area) * u[:, 0])
        flip = torch.where(u[:, 1] < 0.5, -1.0, 1.0)
        cx, cy = (u[:, 2] * 2 - 1) * (1 - side), (u[:, 3] * 2 - 1) * (1 - side)
        zero = torch.zeros(n)
        theta = torch.stack([torch.stack([side * flip, zero, cx], 1),
                             torch.stack([zero, side, cy], 1)], 1)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)

    return apply
