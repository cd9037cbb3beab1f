"""The registered mini generators, ``mini-pixel`` and ``mini-latent``: trained weights (the shipped
ones by default, ``weights=PATH`` for others) behind the ``Generator`` contract.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from synscale.config import build
from synscale.errors import ConfigError
from synscale.generators.base import GENERATORS, Generator
from synscale.generators.mini_diffusion import FAMILIES
from synscale.generators.mini_sampling import Sampler, SamplerSettings
from synscale.generators.mini_weights import WEIGHTS_FILE, file_sha256, load_mini, shipped_weights


class MiniGenerator(Generator):
    """A mini diffusion model of one family, sampled with DPM-Solver++ and guidance (options:
    ``weights`` folder, ``steps``, ``chunk``, ``guidance_stop``; see ``SamplerSettings``)."""

    image_size = 16
    channels = 1

    def __init__(self, family: str, weights: str | Path | None = None, steps: int | None = None,
                 chunk: int | None = None, guidance_stop: float | None = None) -> None:
        if family not in FAMILIES:
            raise ConfigError(f"unknown mini generator family {family!r}; "
                              f"valid: {', '.join(FAMILIES)}")
        folder = Path(weights) if weights is not None else shipped_weights(family)
        self.model, record = load_mini(folder)
        if self.model.config.family != family:
            raise ConfigError(f"{folder} holds a {self.model.config.family!r} model, "
                              f"not {family!r}")
        self.name = f"mini-{family}"
        options = {k: v for k, v in {"steps": steps, "chunk": chunk,
                                     "guidance_stop": guidance_stop}.items() if v is not None}
        self.sampler_settings = build(SamplerSettings, options, source=self.name)
        self.sampler = Sampler(self.model, self.sampler_settings)
        self._weights_sha256 = file_sha256(folder / WEIGHTS_FILE)
        self.record = record

    def generate(self, prompts: list[str], seeds: list[int], cfg_scale: float) -> torch.Tensor:
        if cfg_scale < 0:
            raise ConfigError(f"CFG scale must be >= 0, got {cfg_scale}")
        return self.sampler.sample(list(prompts), [int(s) for s in seeds], float(cfg_scale))

    def settings(self) -> dict[str, Any]:
        return {"generator": self.name, "weights_sha256": self._weights_sha256,
                "resolution": self.image_size, "dtype": "float32",
                "torch": torch.__version__.split("+")[0], **self.sampler_settings.model_dump()}


@GENERATORS.register("mini-pixel")
def mini_pixel(**options: Any) -> MiniGenerator:
    """Pixel-space diffusion (like Imagen) trained on the mini world's generator pool."""
    return MiniGenerator("pixel", **options)


@GENERATORS.register("mini-latent")
def mini_latent(**options: Any) -> MiniGenerator:
    """Latent diffusion in a 4x4x4 autoencoder space (like Stable Diffusion), mini world."""
    return MiniGenerator("latent", **options)
