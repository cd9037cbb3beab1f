"""CLIP models: open_clip architectures by name, built from configs, never from downloaded weights.

Each world names its CLIP: the ``mini`` world a tiny config shipped in ``assets/clip/`` and registered
with open_clip (``synscale-mini-clip``: a 2-layer ViT on 4x4 patches of the 16x16 digits, a 2-layer
text transformer of width 64 on open_clip's shipped BPE tokenizer, context 32 tokens), the
``imagenet`` world ``ViT-B-16`` from scratch, as the paper. Any open_clip config name works too.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib import resources
from typing import Any

import torch

from synscale.errors import ConfigError

MINI_CLIP = "synscale-mini-clip"
WORLD_MODELS = {"mini": MINI_CLIP, "imagenet": "ViT-B-16"}


@cache
def _register_configs() -> None:
    """Add the shipped configs to open_clip's registry (once per process)."""
    import open_clip

    open_clip.add_model_config(resources.files("synscale") / "assets" / "clip")


def default_model(world: str) -> str:
    return WORLD_MODELS.get(world, WORLD_MODELS["imagenet"])


def model_config(name: str) -> dict[str, Any]:
    """The open_clip config of a model name; an unknown name lists the valid ones."""
    import open_clip

    _register_configs()
    config = open_clip.get_model_config(name)
    if config is None:
        raise ConfigError(f"unknown CLIP model {name!r}; valid: {', '.join(open_clip.list_models())}")
    return config


def create_clip(name: str, **overrides: Any) -> torch.nn.Module:
    """A randomly initialised open_clip model (``overrides`` go to its constructor, e.g. a
    smaller ``vision_cfg`` for a test); never loads or downloads weights."""
    import open_clip

    model_config(name)  # checks the name
    # open_clip logs a warning for every model built without pretrained weights: that is the point.
    logging.getLogger().disabled, previous = True, logging.getLogger().disabled
    try:
        return open_clip.create_model(name, pretrained=None, load_weights=False,
                                      pretrained_text=False, **overrides)
    finally:
        logging.getLogger().disabled = previous


def get_tokenizer(name: str) -> Any:
    import open_clip

    model_config(name)
    return open_clip.get_tokenizer(name)
