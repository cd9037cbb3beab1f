"""Sampling a mini diffusion model: DPM-Solver++ (2M) from diffusers with classifier-free guidance
applied over the high-noise part of the trajectory only (a guidance interval).

Each image's starting noise comes from its own ``torch.Generator`` seeded with its seed, and the
solver is deterministic after that, so an image depends only on (prompt, seed, CFG, settings).
Work is done in chunks of a fixed size, padded when short, so every call runs the same tensor
shapes: the float arithmetic of an image is then the same whatever batch it came in (kernels are
chosen by shape), which makes outputs byte-identical across batch sizes and workers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Literal

import torch
from diffusers import DPMSolverMultistepScheduler
from pydantic import Field

from synscale.config import FrozenConfig
from synscale.generators.base import per_image_generators
from synscale.generators.mini_diffusion import MiniDiffusion, MiniDiffusionConfig

TEXT_CACHE_SIZE = 50_000  # prompt embeddings kept (128 floats each: 25 MB at most)


class SamplerSettings(FrozenConfig):
    """Everything about sampling that changes an image's bytes besides prompt, seed and CFG."""

    scheduler: Literal["dpmsolver++"] = "dpmsolver++"
    steps: int = Field(8, gt=0)
    chunk: int = Field(128, gt=0)
    # Guidance runs while the diffusion time t >= guidance_stop * T and stops after: at high noise
    # it picks class and shape; at low noise it only over-sharpens strokes into artefacts, which
    # the reference classifier reads as *more* diversity at high CFG (with guidance on every step,
    # diversity rose again from CFG 4 to 8 in both families; stopping at 0.5 it falls through CFG
    # 8, see the quality table in docs/generation.md). 0 guides every step. Also saves one pass
    # per step after.
    guidance_stop: float = Field(0.5, ge=0, le=1)


def make_scheduler(config: MiniDiffusionConfig, steps: int) -> DPMSolverMultistepScheduler:
    """DPM-Solver++ (2M) over the model's training schedule. The model hands it clamped x0
    predictions (``prediction_type="sample"``), which is the solver's static thresholding done
    for any data range (pixels or latents)."""
    scheduler = DPMSolverMultistepScheduler(
        num_train_timesteps=config.train_timesteps, beta_schedule=config.beta_schedule,
        prediction_type="sample", algorithm_type="dpmsolver++", solver_order=2,
        lower_order_final=True, timestep_spacing="trailing", final_sigmas_type="zero")
    scheduler.set_timesteps(steps)
    return scheduler


class ChunkedSampler(ABC):
    """What every mini sampler shares: fixed-size chunks and cached prompt embeddings."""

    def __init__(self, model: Any, settings: Any) -> None:
        self.model, self.settings = model.eval(), settings
        self._text_cache: dict[str, torch.Tensor] = {}

    @abstractmethod
    def _sample_chunk(self, prompts: list[str], seeds: list[int], cfg_scale: float) -> torch.Tensor:
        """uint8 images of up to ``settings.chunk`` prompts, computed at the full chunk's shapes."""

    @abstractmethod
    def _start(self) -> torch.Tensor:
        """One image's starting state (noise or all-masked tokens), for counting FLOPs."""

    @abstractmethod
    def _predict(self, state: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """One pass of the generative model (denoiser or token transformer) over ``state``."""

    @abstractmethod
    def _guided_steps(self, cfg_scale: float) -> list[bool]:
        """For each sampling step, whether it runs guidance (two passes) at this CFG."""

    def flops(self, cfg_scale: float) -> float:
        """Floating-point operations per image at these settings and CFG: model passes (two per
        guided step, one per other step) plus decoding the result. Prompt encoding is left out:
        it runs once per distinct prompt, and its cost per image vanishes when prompts repeat.
        Counted in training mode: in eval mode PyTorch runs a transformer layer as one fused
        kernel whose matrix products the counter does not see (the mini models have no dropout or
        batch norm, so the arithmetic is the same)."""
        from torch.utils.flop_counter import FlopCounterMode

        with torch.inference_mode():
            text = self.model.encode_prompts(["a handwritten digit"])
            state = self._start()
            self.model.train()
            try:
                with FlopCounterMode(display=False) as per_pass:
                    self._predict(state, text)
                with FlopCounterMode(display=False) as once:
                    self.model.to_images(state)
            finally:
                self.model.eval()
        passes = sum(2 if guided else 1 for guided in self._guided_steps(cfg_scale))
        return float(per_pass.get_total_flops() * passes + once.get_total_flops())

    @torch.inference_mode()
    def sample(self, prompts: list[str], seeds: list[int], cfg_scale: float) -> torch.Tensor:
        """uint8 images ``[N, C, H, W]``."""
        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds")
        chunk = self.settings.chunk
        parts = [self._sample_chunk(prompts[i:i + chunk], seeds[i:i + chunk], cfg_scale)
                 for i in range(0, len(prompts), chunk)]
        if not parts:
            c, s = self.model.config.channels, self.model.config.image_size
            return torch.zeros(0, c, s, s, dtype=torch.uint8)
        return torch.cat(parts)

    def _embed(self, prompts: list[str]) -> torch.Tensor:
        """Prompt embeddings, each computed alone (so it never depends on its batch) and cached:
        datasets repeat prompts (10 class names, 80 templates per class)."""
        missing = [p for p in dict.fromkeys(prompts) if p not in self._text_cache]
        if len(self._text_cache) + len(missing) > TEXT_CACHE_SIZE:
            self._text_cache.clear()
        for prompt in missing:
            self._text_cache[prompt] = self.model.encode_prompts([prompt])[0]
        return torch.stack([self._text_cache[p] for p in prompts])


class Sampler(ChunkedSampler):
    """DPM-Solver++ over a mini diffusion model."""

    model: MiniDiffusion
    settings: SamplerSettings

    def _sample_chunk(self, prompts: list[str], seeds: list[int], cfg_scale: float) -> torch.Tensor:
        model, n, chunk = self.model, len(prompts), self.settings.chunk
        shape = model.config.model_shape
        # 1. Per-image starting noise, padded to the fixed chunk size.
        noise = [torch.randn(shape, generator=g) for g in per_image_generators(seeds)]
        x = torch.cat([torch.stack(noise), torch.zeros(chunk - n, *shape)])
        # 2. Text: the prompts, and the empty prompt as the unconditional input of guidance.
        text = self._embed(prompts + [""] * (chunk - n))
        text_and_empty = torch.cat([text, self._embed([""]).expand(chunk, -1)])
        cfg = torch.tensor(float(cfg_scale))
        # 3. Denoising loop.
        scheduler = make_scheduler(model.config, self.settings.steps)
        for t in scheduler.timesteps:
            x0 = self._guided_x0(x, t.expand(chunk), text_and_empty, cfg) \
                if self._guides(t, cfg_scale) else self._conditional(x, t.expand(chunk), text)
            x = scheduler.step(x0, t, x).prev_sample
        # 4. Back to uint8 pixels (decoding the whole padded chunk keeps shapes fixed).
        return model.to_images(x)[:n]

    def _guides(self, t: torch.Tensor, cfg_scale: float) -> bool:
        return guided_step(int(t), cfg_scale, self.settings, self.model.config)

    def _guided_x0(self, x: torch.Tensor, t: torch.Tensor, text: torch.Tensor,
                   cfg: torch.Tensor) -> torch.Tensor:
        """Conditional and unconditional predictions in one batch, mixed with weight ``cfg``."""
        v_cond, v_uncond = self.model.denoiser(torch.cat([x, x]), torch.cat([t, t]), text).chunk(2)
        return self.model.predict_x0(x, t, v_uncond + cfg * (v_cond - v_uncond))

    def _conditional(self, x: torch.Tensor, t: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        return self.model.predict_x0(x, t, self.model.denoiser(x, t, text))

    def _start(self) -> torch.Tensor:
        return torch.zeros(1, *self.model.config.model_shape)

    def _predict(self, state: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        return self.model.denoiser(state, torch.zeros(len(state), dtype=torch.long), text)

    def _guided_steps(self, cfg_scale: float) -> list[bool]:
        timesteps = make_scheduler(self.model.config, self.settings.steps).timesteps
        return [self._guides(t, cfg_scale) for t in timesteps]

def guided_step(t: int, cfg_scale: float, settings: SamplerSettings,
                config: MiniDiffusionConfig) -> bool:
    """Whether the step at diffusion time ``t`` runs guidance (two denoiser passes) at this CFG."""
    return cfg_scale != 1.0 and t >= settings.guidance_stop * config.train_timesteps
