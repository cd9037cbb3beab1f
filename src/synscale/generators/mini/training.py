"""Training a mini text-to-image model: (latent and masked families) the autoencoder first, then
the text encoder and the generative model (denoiser or token transformer) jointly, with caption
dropout for classifier-free guidance and an EMA of the weights for sampling.

A run is a function of its settings and seed: batches, captions, dropout, times and noise all come
from generators seeded by ``seed``. A time budget (``minutes``) is turned into a fixed number of
steps at the end of the warm-up, whose learning rates do not depend on the total; that number is
recorded, so ``steps=N`` repeats the run exactly.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from pydantic import Field

from synscale.config import FrozenConfig
from synscale.generators.mini.captions import CaptionBank
from synscale.generators.mini.families import MiniConfig, MiniModel, build_model
from synscale.generators.mini.text import Vocabulary
from synscale.progress import track

MIN_TIMED_STEPS = 20  # steps timed before a time budget is turned into a step count


class TrainSettings(FrozenConfig):
    steps: int = Field(12000, gt=0)
    batch: int = Field(128, gt=0)
    lr: float = Field(2e-3, gt=0)
    warmup: int = Field(200, ge=0)
    ema_decay: float = Field(0.999, ge=0, lt=1)
    caption_dropout: float = Field(0.1, ge=0, lt=1)
    ae_steps: int = Field(1200, ge=0)
    ae_noise: float = Field(0.3, ge=0)  # in units of the latents' std
    ae_latent_penalty: float = Field(1e-3, ge=0)
    seed: int = 0


@dataclass
class TrainReport:
    steps: int
    ae_steps: int
    seconds: float
    losses: list[float] = field(default_factory=list)  # one per step
    ae_losses: list[float] = field(default_factory=list)

    @staticmethod
    def windows(losses: list[float], size: int = 100) -> list[float]:
        """Mean loss over consecutive windows of ``size`` steps (for the record)."""
        return [round(float(np.mean(losses[i:i + size])), 5) for i in range(0, len(losses), size)]


def train_mini(config: MiniConfig, settings: TrainSettings, images: torch.Tensor,
               captions: CaptionBank, minutes: float | None = None,
               quiet: bool = False) -> tuple[MiniModel, TrainReport]:
    """Train on uint8 ``images`` ``[N, C, H, W]``; returns the EMA model and what happened."""
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    gen = torch.Generator().manual_seed(settings.seed)
    start = time.perf_counter()
    vocab = Vocabulary.build(captions.texts(), config.max_len)
    model = build_model(config, vocab)
    report = TrainReport(steps=0, ae_steps=0, seconds=0.0)
    # 1. The autoencoder (latent family), then the data in the denoiser's space.
    if model.autoencoder is not None:
        report.ae_losses = _train_autoencoder(model, images, settings, gen, quiet)
        report.ae_steps = settings.ae_steps
    data = model.training_data(images)
    # 2. The text encoder and denoiser, jointly.
    trained = [p for m in model.generative_modules() for p in m.parameters()]
    ema = copy.deepcopy(model).requires_grad_(False)
    ema_params = [p for m in ema.generative_modules() for p in m.parameters()]
    opt = torch.optim.AdamW(trained, lr=settings.lr, weight_decay=0.0, fused=True)
    tokens = _Tokens(vocab, captions)
    empty = vocab.encode([""])
    total, t0 = settings.steps, time.perf_counter()
    with track("training denoiser", total=total, quiet=quiet, unit="step") as bar:
        step = 0
        while step < total:
            if minutes is not None and step == max(settings.warmup, MIN_TIMED_STEPS):
                total = _steps_in_budget(minutes, start, t0, step)
            idx = torch.randint(len(data), (settings.batch,), generator=gen)
            ids = tokens.sample(idx.numpy(), rng)
            drop = torch.rand(settings.batch, generator=gen) < settings.caption_dropout
            ids[drop] = empty
            for group in opt.param_groups:
                group["lr"] = _lr(step, total, settings)
            loss = model.loss(data[idx], _encode_unique(model, ids), gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trained, 1.0)
            opt.step()
            torch._foreach_lerp_(ema_params, trained, 1 - _ema_decay(step, settings.ema_decay))
            report.losses.append(loss.item())
            step += 1
            bar.advance()
    report.steps, report.seconds = total, time.perf_counter() - start
    return ema.eval(), report


def _encode_unique(model: MiniModel, ids: torch.Tensor) -> torch.Tensor:
    """Text embeddings of a batch, running the encoder once per distinct caption and only over
    the longest caption's length (padding is masked, so the result is the same)."""
    unique, inverse = torch.unique(ids, dim=0, return_inverse=True)
    length = int(unique.ne(0).sum(dim=1).max())
    return model.text(unique[:, :length])[inverse]


class _Tokens:
    """Captions drawn from the bank, tokenised through a cache (the bank repeats prompts)."""

    def __init__(self, vocab: Vocabulary, bank: CaptionBank) -> None:
        self.vocab, self.bank = vocab, bank
        self._cache: dict[str, torch.Tensor] = {}

    def sample(self, indices: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
        captions = self.bank.sample(indices, rng)
        missing = [c for c in dict.fromkeys(captions) if c not in self._cache]
        if missing:
            self._cache.update(zip(missing, self.vocab.encode(missing)))
        return torch.stack([self._cache[c] for c in captions])


def _train_autoencoder(model: MiniModel, images: torch.Tensor, settings: TrainSettings,
                       gen: torch.Generator, quiet: bool) -> list[float]:
    ae = model.autoencoder
    assert ae is not None
    x_all = images.float().div(127.5).sub(1.0)
    opt = torch.optim.AdamW(ae.parameters(), lr=settings.lr, weight_decay=0.0, fused=True)
    losses = []
    with track("training autoencoder", total=settings.ae_steps, quiet=quiet, unit="step") as bar:
        for step in range(settings.ae_steps):
            x = x_all[torch.randint(len(x_all), (settings.batch,), generator=gen)]
            for group in opt.param_groups:
                group["lr"] = _lr(step, settings.ae_steps, settings)
            loss = model.autoencoder_loss(x, gen, settings.ae_noise, settings.ae_latent_penalty)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            bar.advance()
    ae.requires_grad_(False).eval()
    return losses


def _lr(step: int, total: int, settings: TrainSettings) -> float:
    """Linear warm-up, then cosine decay to zero at ``total``."""
    if step < settings.warmup:
        return settings.lr * (step + 1) / settings.warmup
    progress = (step - settings.warmup) / max(1, total - settings.warmup)
    return settings.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _ema_decay(step: int, decay: float) -> float:
    """Short memory early on, so the average is not dominated by the random initial weights."""
    return min(decay, (1 + step) / (10 + step))


def _steps_in_budget(minutes: float, start: float, t0: float, done: int) -> int:
    elapsed = time.perf_counter() - start
    per_step = (time.perf_counter() - t0) / done
    return max(done + 1, int((minutes * 60 - elapsed) / per_step) + done)
