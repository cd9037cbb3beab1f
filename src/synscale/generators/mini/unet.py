"""A small convolutional U-Net denoiser conditioned by FiLM, for both mini families.

Why not diffusers' ``UNet2DConditionModel``: at 16x16 on a CPU its attention and many element-wise
ops dominate (the probe in the issue reached ~30 images/s with guidance). Here the text and the
diffusion time enter as one pooled vector that scales and shifts every block's features (FiLM, as
Imagen adds its pooled text embedding to the time embedding), the image is first folded into
``patch x patch`` channels (pixel-unshuffle), and every level is plain 3x3 convolutions in
channels-last layout, which oneDNN runs at about half the machine's matmul peak (torch.compile
was tried and gained nothing over that).
"""

from __future__ import annotations

import math
from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn


def timestep_features(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal features of diffusion times in [0, 1000), as in DDPM."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class FilmBlock(nn.Module):
    """Residual pair of 3x3 convolutions; the condition scales and shifts the middle features."""

    def __init__(self, channels: int, cond_dim: int, groups: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.norm = nn.GroupNorm(groups, channels) if groups else nn.Identity()
        self.film = nn.Linear(cond_dim, 2 * channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)  # each block starts as the identity: stable without norms
        nn.init.zeros_(self.conv2.bias)

    def forward(self, h: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(cond)[:, :, None, None].chunk(2, dim=1)
        y = self.norm(self.conv1(F.silu(h)))
        return h + self.conv2(F.silu(y * (1 + scale) + shift))


class FilmUNet(nn.Module):
    """``widths[i]`` channels at level i (each level halves the side); ``blocks`` per level and
    direction; input folded into ``patch x patch`` channels and unfolded at the end."""

    def __init__(self, in_channels: int, patch: int, widths: tuple[int, ...], blocks: int,
                 cond_dim: int, groups: int = 0) -> None:
        super().__init__()
        self.patch, self.time_dim = patch, 64
        folded = in_channels * patch * patch
        self.time = nn.Sequential(nn.Linear(self.time_dim, cond_dim), nn.SiLU(),
                                  nn.Linear(cond_dim, cond_dim))
        self.stem = nn.Conv2d(folded, widths[0], 3, padding=1)
        self.down = nn.ModuleList(
            nn.ModuleList(FilmBlock(w, cond_dim, groups) for _ in range(blocks)) for w in widths)
        self.downsample = nn.ModuleList(
            nn.Conv2d(a, b, 2, stride=2) for a, b in pairwise(widths))
        self.upsample = nn.ModuleList(
            nn.ConvTranspose2d(b, a, 2, stride=2) for a, b in pairwise(widths))
        self.up = nn.ModuleList(nn.ModuleList(FilmBlock(w, cond_dim, groups) for _ in range(blocks))
                                for w in widths[:-1])
        self.head = nn.Conv2d(widths[0], folded, 3, padding=1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor, t: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        cond = F.silu(self.time(timestep_features(t, self.time_dim)) + text)
        h = self.stem(F.pixel_unshuffle(x, self.patch) if self.patch > 1 else x)
        # Channels-last: oneDNN's 3x3 convolutions at 8x8 and 4x4 run up to 3x faster in it.
        h = h.contiguous(memory_format=torch.channels_last)
        skips = []
        for level, blocks in enumerate(self.down):
            if level:
                skips.append(h)
                h = self.downsample[level - 1](h)
            for block in blocks:
                h = block(h, cond)
        for level in reversed(range(len(self.up))):
            h = self.upsample[level](h) + skips.pop()
            for block in self.up[level]:
                h = block(h, cond)
        out = self.head(F.silu(h))
        return F.pixel_shuffle(out, self.patch) if self.patch > 1 else out
