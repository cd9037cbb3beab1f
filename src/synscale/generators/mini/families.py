"""The mini model families by name: ``pixel`` and ``latent`` (diffusion, like Imagen and Stable
Diffusion) and ``masked`` (masked tokens, like Muse); their default configs and models."""

from __future__ import annotations

from typing import Annotated, Any, get_args

from pydantic import Field, TypeAdapter

from synscale.errors import ConfigError
from synscale.generators.mini.diffusion import Family, MiniDiffusion, MiniDiffusionConfig
from synscale.generators.mini.masked import MiniMasked, MiniMaskedConfig
from synscale.generators.mini.text import Vocabulary

FAMILIES: tuple[str, ...] = (*get_args(Family), "masked")
MiniModel = MiniDiffusion | MiniMasked
MiniConfig = MiniDiffusionConfig | MiniMaskedConfig
_CONFIGS = TypeAdapter(Annotated[MiniConfig, Field(discriminator="family")])
_MODELS: dict[type, type[MiniModel]] = {MiniDiffusionConfig: MiniDiffusion,
                                        MiniMaskedConfig: MiniMasked}


def check_family(family: str) -> None:
    if family not in FAMILIES:
        raise ConfigError(f"unknown mini generator family {family!r}; valid: {', '.join(FAMILIES)}")


def default_config(family: str, **overrides: Any) -> MiniConfig:
    check_family(family)
    if family == "masked":
        return MiniMaskedConfig(**overrides)
    return MiniDiffusionConfig.for_family(family, **overrides)  # type: ignore[arg-type]


def config_from_json(data: dict[str, Any]) -> MiniConfig:
    """A saved config, chosen by its ``family``; a ValueError when it fits none."""
    return _CONFIGS.validate_python(data)


def build_model(config: MiniConfig, vocab: Vocabulary) -> MiniModel:
    return _MODELS[type(config)](config, vocab)
