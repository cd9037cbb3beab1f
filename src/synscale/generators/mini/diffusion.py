"""A mini text-to-image diffusion model: text encoder + FiLM U-Net denoiser (+ autoencoder for the
latent family), its configuration, the v-prediction training loss and the x0 prediction that the
sampler consumes.

The two families differ only in the space the denoiser works in: ``pixel`` denoises the 16x16
image itself (folded into 8x8 patches, like Imagen's base model works on pixels), ``latent``
denoises the 4x4xC latent of a small autoencoder (like Stable Diffusion) and decodes once at the
end.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler
from torch import nn

from synscale.generators.mini.autoencoder import AutoEncoder
from synscale.generators.mini.text import TextConditioned, TextConfig, Vocabulary
from synscale.generators.mini.unet import FilmUNet

Family = Literal["pixel", "latent"]


class MiniDiffusionConfig(TextConfig):
    """Architecture and noise schedule; saved next to the weights."""

    family: Family
    image_size: int = 16
    channels: int = 1
    # denoiser
    patch: int = 2
    widths: tuple[int, ...] = (32, 64)
    blocks: int = 1
    groups: int = 0
    # autoencoder (latent family only)
    latent_channels: int = 4
    ae_width: int = 16
    # diffusion
    train_timesteps: int = 1000
    beta_schedule: str = "squaredcos_cap_v2"

    @classmethod
    def for_family(cls, family: Family, **overrides: object) -> MiniDiffusionConfig:
        defaults: dict[str, object] = {"pixel": {"patch": 2, "widths": (32, 64)},
                                       "latent": {"patch": 1, "widths": (64, 128)}}[family]
        return cls(family=family, **{**defaults, **overrides})

    @property
    def model_shape(self) -> tuple[int, int, int]:
        """Shape of one sample in the space the denoiser works in."""
        if self.family == "pixel":
            return (self.channels, self.image_size, self.image_size)
        return (self.latent_channels, self.image_size // 4, self.image_size // 4)


def noise_schedule(config: MiniDiffusionConfig) -> DDPMScheduler:
    """The training schedule; the sampler is built from the same ``config`` so they agree."""
    return DDPMScheduler(num_train_timesteps=config.train_timesteps,
                         beta_schedule=config.beta_schedule, prediction_type="v_prediction",
                         clip_sample=False)


class MiniDiffusion(TextConditioned):
    config: MiniDiffusionConfig

    def __init__(self, config: MiniDiffusionConfig, vocab: Vocabulary) -> None:
        super().__init__(config, vocab)
        in_channels = config.model_shape[0]
        self.denoiser = FilmUNet(in_channels, config.patch, config.widths, config.blocks,
                                 config.cond_dim, config.groups)
        self.autoencoder = (AutoEncoder(config.channels, config.latent_channels, config.ae_width)
                            if config.family == "latent" else None)
        # Latents are standardised per channel (Stable Diffusion's scaling factor, per channel) and
        # the sampler clamps x0 predictions to the range seen in training.
        shape = (1, in_channels, 1, 1)
        self.register_buffer("latent_mean", torch.zeros(shape))
        self.register_buffer("latent_std", torch.ones(shape))
        self.register_buffer("x0_limit", torch.ones(shape))
        self.register_buffer("alphas_cumprod", noise_schedule(config).alphas_cumprod.clone())

    def generative_modules(self) -> list[nn.Module]:
        """What the second training stage trains (the autoencoder, if any, is trained first)."""
        return [self.text, self.denoiser]

    # -- spaces -------------------------------------------------------------------------------
    def to_model_space(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images -> the denoiser's space (pixels in [-1, 1], or standardised latents)."""
        x = images.float().div(127.5).sub(1.0)
        if self.autoencoder is None:
            return x
        return (self.autoencoder.encode(x) - self.latent_mean) / self.latent_std

    def to_images(self, x: torch.Tensor) -> torch.Tensor:
        if self.autoencoder is not None:
            x = self.autoencoder.decode(x * self.latent_std + self.latent_mean)
        return x.clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)

    # -- diffusion ----------------------------------------------------------------------------
    def _alpha_sigma(self, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ac = self.alphas_cumprod[t.long()].view(-1, 1, 1, 1)
        return ac.sqrt(), (1 - ac).sqrt()

    # -- training -----------------------------------------------------------------------------
    def autoencoder_loss(self, x: torch.Tensor, gen: torch.Generator, noise: float,
                         latent_penalty: float) -> torch.Tensor:
        """L1 reconstruction of images in [-1, 1] from their latents plus noise (``noise`` times the
        latents' std): the decoder learns to map a neighbourhood of each latent to the digit, so
        small errors of the denoiser do not show as artefacts."""
        assert self.autoencoder is not None
        z = self.autoencoder.encode(x)
        noisy = z + noise * z.detach().std() * torch.randn(z.shape, generator=gen)
        return F.l1_loss(self.autoencoder.decode(noisy), x) + latent_penalty * z.pow(2).mean()

    @torch.no_grad()
    def training_data(self, images: torch.Tensor) -> torch.Tensor:
        """The training images in the denoiser's space; fixes the latent statistics and the x0
        limits (run once, after the autoencoder is trained)."""
        if self.autoencoder is None:
            return self.to_model_space(images)
        z = self.autoencoder.encode(images.float().div(127.5).sub(1.0))
        self.latent_mean.copy_(z.mean(dim=(0, 2, 3), keepdim=True))
        self.latent_std.copy_(z.std(dim=(0, 2, 3), keepdim=True))
        data = self.to_model_space(images)
        self.x0_limit.copy_(data.abs().amax(dim=(0, 2, 3), keepdim=True))
        return data

    def loss(self, x0: torch.Tensor, text: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """Mean squared error of the v-prediction (Salimans & Ho 2022) at random times."""
        t = torch.randint(self.config.train_timesteps, (len(x0),), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        alpha, sigma = self._alpha_sigma(t)
        xt = alpha * x0 + sigma * noise
        v = alpha * noise - sigma * x0
        return F.mse_loss(self.denoiser(xt, t, text), v)

    def predict_x0(self, xt: torch.Tensor, t: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """x0 from a v-prediction, clamped to the data range (static thresholding: without it
        DPM-Solver++ turns digits into salt-and-pepper noise at few steps)."""
        alpha, sigma = self._alpha_sigma(t)
        x0 = alpha * xt - sigma * v
        return torch.maximum(torch.minimum(x0, self.x0_limit), -self.x0_limit)
