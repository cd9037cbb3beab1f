"""The registered mini generators, ``mini-pixel``, ``mini-latent`` and ``mini-masked``: trained
weights (the shipped ones by default, ``weights=PATH`` for others) behind the ``Generator``
contract. Options other than ``weights`` are the family's sampler settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from synscale.config import FrozenConfig, build
from synscale.errors import ConfigError
from synscale.generators.base import GENERATORS, Generator
from synscale.generators.mini.sampler_settings import MaskedSamplerSettings, SamplerSettings
from synscale.generators.mini.weights import WEIGHTS_FILE, file_sha256, load_mini, shipped_weights

if TYPE_CHECKING:  # the models and samplers import torch: a generator's identity needs neither
    import torch

    from synscale.generators.mini.chunked import ChunkedSampler


class MiniGenerator(Generator):
    """A mini model of one family and its sampler (options: ``weights`` folder, and the fields of
    the family's sampler settings)."""

    family: str
    settings_class: type[FrozenConfig] = SamplerSettings
    image_size = 16
    channels = 1
    serves = ((16, 1),)  # the mini world's format only

    def __init__(self, weights: str | Path | None = None, **sampling: Any) -> None:
        folder = self._folder(weights)
        self.model, record = load_mini(folder)
        if self.model.config.family != self.family:
            raise ConfigError(f"{folder} holds a {self.model.config.family!r} model, "
                              f"not {self.family!r}")
        self.name = f"mini-{self.family}"
        self.sampler_settings = self._sampler_settings(sampling)
        self.sampler = self._make_sampler()
        self._weights_sha256 = file_sha256(folder / WEIGHTS_FILE)
        self.record = record

    @classmethod
    def identity(cls, weights: str | Path | None = None, **sampling: Any) -> dict[str, Any]:
        weights_file = cls._folder(weights) / WEIGHTS_FILE
        if not weights_file.is_file():
            raise ConfigError(f"no mini generator weights in {weights_file.parent} (need "
                              f"{WEIGHTS_FILE}; make them with `synscale mini train-generator`)")
        return {"weights_sha256": file_sha256(weights_file),
                **cls._sampler_settings(sampling).model_dump()}

    @classmethod
    def _folder(cls, weights: str | Path | None) -> Path:
        return Path(weights) if weights is not None else shipped_weights(cls.family)

    @classmethod
    def _sampler_settings(cls, options: dict[str, Any]) -> FrozenConfig:
        return build(cls.settings_class, options, source=f"mini-{cls.family}")

    def _make_sampler(self) -> ChunkedSampler:
        from synscale.generators.mini.diffusion_sampler import Sampler

        return Sampler(self.model, self.sampler_settings)

    def generate(self, prompts: list[str], seeds: list[int], cfg_scale: float) -> torch.Tensor:
        if cfg_scale < 0:
            raise ConfigError(f"CFG scale must be >= 0, got {cfg_scale}")
        return self.sampler.sample(list(prompts), [int(s) for s in seeds], float(cfg_scale))

    def settings(self) -> dict[str, Any]:
        import torch

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


@GENERATORS.register("mini-masked")
class MiniMaskedGenerator(MiniGenerator):
    """Masked-token generation (like Muse) over 4x4 FSQ tokens, mini world."""

    family = "masked"
    settings_class = MaskedSamplerSettings

    def _make_sampler(self) -> ChunkedSampler:
        from synscale.generators.mini.masked_sampler import MaskedSampler

        return MaskedSampler(self.model, self.sampler_settings)
