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
from synscale.generators.mini_sampling import Sampler, SamplerSettings
from synscale.generators.mini_weights import WEIGHTS_FILE, file_sha256, load_mini, shipped_weights


class MiniGenerator(Generator):
    """A mini diffusion model of one family, sampled with DPM-Solver++ and guidance (options:
    ``weights`` folder, ``steps``, ``chunk``, ``guidance_stop``; see ``SamplerSettings``)."""

    family: str
    image_size = 16
    channels = 1

    def __init__(self, weights: str | Path | None = None, steps: int | None = None,
                 chunk: int | None = None, guidance_stop: float | None = None) -> None:
        folder = self._folder(weights)
        self.model, record = load_mini(folder)
        if self.model.config.family != self.family:
            raise ConfigError(f"{folder} holds a {self.model.config.family!r} model, "
                              f"not {self.family!r}")
        self.name = f"mini-{self.family}"
        self.sampler_settings = self._sampler_settings(steps, chunk, guidance_stop)
        self.sampler = Sampler(self.model, self.sampler_settings)
        self._weights_sha256 = file_sha256(folder / WEIGHTS_FILE)
        self.record = record

    @classmethod
    def identity(cls, weights: str | Path | None = None, steps: int | None = None,
                 chunk: int | None = None, guidance_stop: float | None = None) -> dict[str, Any]:
        weights_file = cls._folder(weights) / WEIGHTS_FILE
        if not weights_file.is_file():
            raise ConfigError(f"no mini generator weights in {weights_file.parent} (need "
                              f"{WEIGHTS_FILE}; make them with `synscale mini train-generator`)")
        return {"weights_sha256": file_sha256(weights_file),
                **cls._sampler_settings(steps, chunk, guidance_stop).model_dump()}

    @classmethod
    def _folder(cls, weights: str | Path | None) -> Path:
        return Path(weights) if weights is not None else shipped_weights(cls.family)

    @classmethod
    def _sampler_settings(cls, steps: int | None, chunk: int | None,
                          guidance_stop: float | None) -> SamplerSettings:
        options = {"steps": steps, "chunk": chunk, "guidance_stop": guidance_stop}
        return build(SamplerSettings, {k: v for k, v in options.items() if v is not None},
                     source=f"mini-{cls.family}")

    def generate(self, prompts: list[str], seeds: list[int], cfg_scale: float) -> torch.Tensor:
        if cfg_scale < 0:
            raise ConfigError(f"CFG scale must be >= 0, got {cfg_scale}")
        return self.sampler.sample(list(prompts), [int(s) for s in seeds], float(cfg_scale))

    def settings(self) -> dict[str, Any]:
        return {"generator": self.name, "weights_sha256": self._weights_sha256,
                "resolution": self.image_size, "dtype": "float32",
                "torch": torch.__version__.split("+")[0], **self.sampler_settings.model_dump()}


@GENERATORS.register("mini-pixel")
class MiniPixel(MiniGenerator):
    """Pixel-space diffusion (like Imagen) trained on the mini world's generator pool."""

    family = "pixel"


@GENERATORS.register("mini-latent")
class MiniLatent(MiniGenerator):
    """Latent diffusion in a 4x4x4 autoencoder space (like Stable Diffusion), mini world."""

    family = "latent"
