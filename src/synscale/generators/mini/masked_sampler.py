"""Sampling the masked-token family: MaskGIT's parallel decoding (Chang et al. 2022) with Muse's
classifier-free guidance on the logits.

All tokens start masked. Each step predicts every token, samples a value for each masked one,
keeps the most confident samples and masks the rest again, so that a cosine schedule of tokens
stays masked; after ``steps`` steps none is. Every random number of an image (the uniform that
picks a token value and the Gumbel noise that jitters its confidence, per step and position) comes
from the image's own ``torch.Generator``, drawn before decoding starts, so the image depends only
on (prompt, seed, CFG, settings), never on its batch.
"""

from __future__ import annotations

import math

import torch

from synscale.generators.base import per_image_generators
from synscale.generators.mini.chunked import ChunkedSampler
from synscale.generators.mini.masked import MiniMasked
from synscale.generators.mini.sampler_settings import MaskedSamplerSettings


def masked_after(step: int, steps: int, length: int) -> int:
    """Tokens still masked after ``step`` (0-based) of ``steps``: the cosine schedule."""
    return math.floor(length * math.cos(0.5 * math.pi * (step + 1) / steps))


class MaskedSampler(ChunkedSampler):
    model: MiniMasked
    settings: MaskedSamplerSettings

    def _sample_chunk(self, prompts: list[str], seeds: list[int], cfg_scale: float) -> torch.Tensor:
        model, settings, n, chunk = self.model, self.settings, len(prompts), self.settings.chunk
        length, steps = model.config.num_tokens, settings.steps
        # 1. Per-image random numbers, padded to the fixed chunk size.
        uniforms = [torch.rand(2, steps, length, generator=g) for g in per_image_generators(seeds)]
        noise = torch.cat([torch.stack(uniforms), torch.full((chunk - n, 2, steps, length), 0.5)])
        pick, gumbel = noise[:, 0], -torch.log(-torch.log(noise[:, 1].clamp(1e-20, 1 - 1e-7)))
        # 2. Text: the prompts, and the empty prompt as the unconditional input of guidance.
        text = self._embed(prompts + [""] * (chunk - n))
        text_and_empty = torch.cat([text, self._embed([""]).expand(chunk, -1)])
        # 3. Parallel decoding.
        ids = torch.full((chunk, length), model.mask_id, dtype=torch.long)
        for step in range(steps):
            logits = self._guided_logits(ids, text_and_empty, cfg_scale) \
                if self._guides(step, cfg_scale) else model.transformer(ids, text)
            logits = logits / settings.temperature
            probs = logits.softmax(dim=-1)
            cdf = probs.cumsum(dim=-1)
            sampled = torch.searchsorted(cdf, pick[:, step, :, None] * cdf[..., -1:]).squeeze(-1)
            sampled = sampled.clamp(max=logits.shape[-1] - 1)
            confidence = probs.gather(-1, sampled[..., None]).squeeze(-1).log()
            confidence = confidence + settings.choice_temperature * (1 - (step + 1) / steps) * \
                gumbel[:, step]
            unknown = ids == model.mask_id
            sampled = torch.where(unknown, sampled, ids)
            confidence = torch.where(unknown, confidence, torch.full_like(confidence, math.inf))
            # Reveal at least one token per step, and all of them at the last.
            remask = min(masked_after(step, steps, length), int(unknown[0].sum()) - 1)
            rank = confidence.argsort(dim=1, stable=True).argsort(dim=1, stable=True)
            ids = torch.where(rank < max(remask, 0), model.mask_id, sampled)
        return model.to_images(ids)[:n]

    def _guides(self, step: int, cfg_scale: float) -> bool:
        """Whether decoding step ``step`` (0-based) runs guidance (two passes) at this CFG."""
        return cfg_scale != 1.0 and step < (1 - self.settings.guidance_stop) * self.settings.steps

    def _guided_logits(self, ids: torch.Tensor, text_and_empty: torch.Tensor,
                       cfg_scale: float) -> torch.Tensor:
        """Conditional and unconditional logits in one batch, mixed with weight ``cfg_scale``."""
        cond, uncond = self.model.transformer(torch.cat([ids, ids]), text_and_empty).chunk(2)
        return uncond + cfg_scale * (cond - uncond)

    def _start(self) -> torch.Tensor:
        return torch.full((1, self.model.config.num_tokens), self.model.mask_id, dtype=torch.long)

    def _predict(self, state: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        return self.model.transformer(state, text)

    def _guided_steps(self, cfg_scale: float) -> list[bool]:
        return [self._guides(step, cfg_scale) for step in range(self.settings.steps)]
