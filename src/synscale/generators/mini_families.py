"""The mini model families by name: ``pixel`` and ``latent`` (diffusion, like Imagen and Stable
Diffusion) and ``masked`` (masked tokens, like Muse); their default configs and models."""

from __future__ import annotations

from typing import Any

from synscale.errors import ConfigError
from synscale.generators.mini_diffusion import MiniDiffusion, MiniDiffusionConfig
from synscale.generators.mini_masked import MiniMasked, MiniMaskedConfig
from synscale.generators.mini_text import Vocabulary

FAMILIES: tuple[str, ...] = ("pixel", "latent", "masked")
MiniModel = MiniDiffusion | MiniMasked
MiniConfig = MiniDiffusionConfig | MiniMaskedConfig


def check_family(family: str) -> None:
    if family not in FAMILIES:
        raise ConfigError(f"unknown mini generator family {family!r}; valid: {', '.join(FAMILIES)}")


def default_config(family: str, **overrides: Any) -> MiniConfig:
    check_family(family)
    if family == "masked":
        return MiniMaskedConfig(**overrides)
    return MiniDiffusionConfig.for_family(family, **overrides)  # type: ignore[arg-type]


def config_from_json(data: dict[str, Any]) -> MiniConfig:
    """A saved config, by its ``family``; ValueError when it is none of them."""
    family = data.get("family")
    if family == "masked":
        return MiniMaskedConfig.model_validate(data)
    if family in FAMILIES:
        return MiniDiffusionConfig.model_validate(data)
    raise ValueError(f"unknown family {family!r}")


def build_model(config: MiniConfig, vocab: Vocabulary) -> MiniModel:
    if isinstance(config, MiniMaskedConfig):
        return MiniMasked(config, vocab)
    return MiniDiffusion(config, vocab)
