"""A mini masked-token text-to-image model (like Muse): a tokenizer turns a 16x16 digit into 4x4
discrete tokens, and a bidirectional transformer, given the prompt, predicts masked tokens.

The tokenizer is the latent family's convolutional autoencoder with finite scalar quantization
(FSQ, Mentzer et al. 2023) between encoder and decoder: each of the C latent channels is bounded
and rounded to one of ``levels[c]`` values, so a token is one of prod(levels) codes, every code is
reachable and no codebook can collapse. Training masks a cosine-distributed share of the tokens
(MaskGIT, Chang et al. 2022) and scores the masked ones by cross-entropy; the prompt enters as one
extra token at the front, dropped to the empty prompt 10% of the time for classifier-free guidance.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from synscale.generators.mini.autoencoder import AutoEncoder
from synscale.generators.mini.text import TextConditioned, TextConfig, Vocabulary


class MiniMaskedConfig(TextConfig):
    """Architecture of the masked-token family; saved next to the weights."""

    family: Literal["masked"] = "masked"
    image_size: int = 16
    channels: int = 1
    levels: tuple[int, ...] = (5, 5, 5, 5)  # FSQ values per latent channel: 625 codes
    ae_width: int = 16
    # Sized for speed with guidance (>= 300 images/s on 2 cores): 16 tokens x 8 steps x 2 passes
    # per image make every transformer FLOP count 256 times.
    width: int = Field(96, gt=0)
    layers: int = Field(4, gt=0)
    heads: int = Field(4, gt=0)
    mlp_ratio: int = Field(2, gt=0)

    @property
    def grid(self) -> int:
        return self.image_size // 4

    @property
    def num_tokens(self) -> int:
        return self.grid * self.grid

    @property
    def codebook_size(self) -> int:
        return math.prod(self.levels)


class FSQ(nn.Module):
    """Finite scalar quantization of ``[N, C, H, W]`` latents, with a straight-through gradient."""

    def __init__(self, levels: tuple[int, ...]) -> None:
        super().__init__()
        if any(level < 3 or level % 2 == 0 for level in levels):
            raise ValueError(f"FSQ levels must be odd and >= 3, got {levels}")
        half = torch.tensor([(level - 1) / 2 for level in levels]).view(1, -1, 1, 1)
        basis = torch.tensor([math.prod(levels[:c]) for c in range(len(levels))]).view(1, -1, 1, 1)
        self.register_buffer("half_range", half, persistent=False)
        self.register_buffer("basis", basis, persistent=False)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Latents -> quantized latents in [-1, 1] (``levels[c]`` values in channel c)."""
        bounded = torch.tanh(z) * self.half_range
        return (bounded + (bounded.round() - bounded).detach()) / self.half_range

    def indices(self, quantized: torch.Tensor) -> torch.Tensor:
        """Quantized latents ``[N, C, H, W]`` -> token ids ``[N, H*W]`` (row-major)."""
        digits = (quantized * self.half_range + self.half_range).round().long()
        return (digits * self.basis).sum(dim=1).flatten(1)

    def codes(self, ids: torch.Tensor, grid: int) -> torch.Tensor:
        """Token ids ``[N, H*W]`` -> quantized latents ``[N, C, H, W]``."""
        digits = (ids.view(-1, 1, grid, grid) // self.basis) % (2 * self.half_range + 1).long()
        return (digits - self.half_range) / self.half_range


class TokenTransformer(nn.Module):
    """Pre-norm transformer over [prompt, token_1 .. token_T]; logits over the codebook for each
    token. Input id ``codebook_size`` is the mask token."""

    def __init__(self, config: MiniMaskedConfig) -> None:
        super().__init__()
        width = config.width
        self.token = nn.Embedding(config.codebook_size + 1, width)
        self.position = nn.Parameter(torch.randn(config.num_tokens + 1, width) * 0.02)
        self.text = nn.Linear(config.cond_dim, width)
        layer = nn.TransformerEncoderLayer(width, config.heads, config.mlp_ratio * width, dropout=0.0,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.layers = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, config.codebook_size)

    def forward(self, ids: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        h = torch.cat([self.text(text)[:, None], self.token(ids)], dim=1) + self.position
        return self.head(self.norm(self.layers(h)[:, 1:]))


class MiniMasked(TextConditioned):
    config: MiniMaskedConfig

    def __init__(self, config: MiniMaskedConfig, vocab: Vocabulary) -> None:
        super().__init__(config, vocab)
        self.autoencoder = AutoEncoder(config.channels, len(config.levels), config.ae_width)
        self.fsq = FSQ(config.levels)
        self.transformer = TokenTransformer(config)

    @property
    def mask_id(self) -> int:
        return self.config.codebook_size

    def generative_modules(self) -> list[nn.Module]:
        """What the second training stage trains (the tokenizer is trained first, then frozen)."""
        return [self.text, self.transformer]

    # -- tokens -------------------------------------------------------------------------------
    @torch.no_grad()
    def tokenize(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images ``[N, C, H, W]`` -> token ids ``[N, T]``."""
        return self.fsq.indices(self.fsq(self.autoencoder.encode(images.float().div(127.5).sub(1))))

    def to_images(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.autoencoder.decode(self.fsq.codes(ids, self.config.grid))
        return x.clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)

    # -- training -----------------------------------------------------------------------------
    def autoencoder_loss(self, x: torch.Tensor, gen: torch.Generator, noise: float,
                         latent_penalty: float) -> torch.Tensor:
        """L1 reconstruction through the quantizer (no noise: the tokens are exact). The penalty
        keeps latents where tanh is not flat: without it they grew to |z| ~ 50 within 300 steps
        and every image became the same token."""
        z = self.autoencoder.encode(x)
        return F.l1_loss(self.autoencoder.decode(self.fsq(z)), x) + latent_penalty * z.pow(2).mean()

    def training_data(self, images: torch.Tensor) -> torch.Tensor:
        return self.tokenize(images)

    def loss(self, ids: torch.Tensor, text: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """Cross-entropy on a random cosine-distributed share of masked tokens (MaskGIT)."""
        n, length = ids.shape
        share = torch.cos(0.5 * math.pi * torch.rand(n, generator=gen))
        count = (share * length).ceil().clamp(min=1)
        rank = torch.rand(n, length, generator=gen).argsort(dim=1).argsort(dim=1)
        masked = rank < count[:, None]
        logits = self.transformer(ids.masked_fill(masked, self.mask_id), text)
        return F.cross_entropy(logits[masked], ids[masked])
