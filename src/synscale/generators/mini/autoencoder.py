"""The latent family's autoencoder: 16x16x1 digits <-> 4x4xC latents, like Stable Diffusion's VAE
at a scale a CPU trains in a few minutes.

Deterministic (no KL sampling); a small penalty keeps latents near the origin and noise added to
latents while training makes the decoder forgiving of the slightly-off latents a denoiser makes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ResBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.conv2(F.silu(self.conv1(F.silu(h))))


class AutoEncoder(nn.Module):
    """Two stride-2 stages: 16x16 -> 8x8 -> 4x4; ``width`` channels at 16x16, twice that below."""

    def __init__(self, channels: int, latent_channels: int, width: int) -> None:
        super().__init__()
        w1, w2 = width, 2 * width
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, w1, 3, padding=1), ResBlock(w1),
            nn.Conv2d(w1, w2, 2, stride=2), ResBlock(w2),
            nn.Conv2d(w2, w2, 2, stride=2), ResBlock(w2), nn.SiLU(),
            nn.Conv2d(w2, latent_channels, 1))
        self.decoder = nn.Sequential(
            nn.Conv2d(latent_channels, w2, 3, padding=1), ResBlock(w2),
            nn.ConvTranspose2d(w2, w2, 2, stride=2), ResBlock(w2),
            nn.ConvTranspose2d(w2, w1, 2, stride=2), ResBlock(w1), nn.SiLU(),
            nn.Conv2d(w1, channels, 3, padding=1))
        self.to(memory_format=torch.channels_last)

    # Channels-last throughout: oneDNN's small convolutions run up to 3x faster in it.
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images in [-1, 1] -> latents ``[N, latent_channels, H/4, W/4]``."""
        return self.encoder(x.contiguous(memory_format=torch.channels_last)).contiguous()

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents -> images in about [-1, 1] (clamp before quantizing)."""
        return self.decoder(z.contiguous(memory_format=torch.channels_last)).contiguous()
