"""What every mini sampler shares: work in fixed-size chunks, padded when short, and prompt
embeddings computed one prompt at a time and cached.

Fixed shapes make an image's float arithmetic the same whatever batch it came in (kernels are
chosen by shape), which makes outputs byte-identical across batch sizes and workers. A sampler
fills in one chunk's sampling, the state it starts from and one model pass (for counting FLOPs).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import torch

TEXT_CACHE_SIZE = 50_000  # prompt embeddings kept (128 floats each: 25 MB at most)


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
