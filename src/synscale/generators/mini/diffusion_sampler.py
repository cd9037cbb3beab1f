"""Sampling a mini diffusion model: DPM-Solver++ (2M) from diffusers with classifier-free guidance
applied over the high-noise part of the trajectory only (a guidance interval).

Each image's starting noise comes from its own ``torch.Generator`` seeded with its seed, and the
solver is deterministic after that, so an image depends only on (prompt, seed, CFG, settings).
Chunks of a fixed size make it byte-identical across batch sizes and workers (``chunked``).
"""

from __future__ import annotations

import torch
from diffusers import DPMSolverMultistepScheduler

from synscale.generators.base import per_image_generators
from synscale.generators.mini.chunked import ChunkedSampler
from synscale.generators.mini.diffusion import MiniDiffusion, MiniDiffusionConfig
from synscale.generators.mini.sampler_settings import SamplerSettings


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
