"""Synthetic pairs: for every caption of a pair set, one image generated from that caption.

Made by the generation job (``generate_dataset``: shards, manifest, resume, per-image seeds)
with the ``pair_captions`` prompt strategy; loaded back aligned with the pair set, so that pair
``i`` has its real image, its caption and its synthetic image. A synthetic set made from other
captions than the pair set's is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from synscale.clip.pairs import PairSet, load_pairs
from synscale.data.synthetic import SyntheticDataset
from synscale.errors import DataError
from synscale.prompts.pair_captions import pair_layout
from synscale.workspace import CONFIG_FILE, Workspace
from synscale.worlds import World, get_world


@dataclass(frozen=True)
class SyntheticPairsConfig:
    world: str = "mini"
    world_root: str | None = None
    pairs: str = "web"
    generator: str = "mini-pixel"
    generator_options: dict[str, Any] | None = None
    cfg: float = 1.5  # the paper's choice for CLIP (its Appendix H)
    steps: int | None = None
    seed: int = 0


def make_synthetic_pairs(config: SyntheticPairsConfig, workspace: Workspace, engine: Any,
                         quiet: bool = False) -> Any:
    """Generate (or resume, or find) the synthetic images of a pair set; the job's report."""
    from synscale.generators.stage.dataset import generate_dataset

    return generate_dataset(generation_config(config), workspace, engine, quiet=quiet)


def synthetic_pairs_made(config: SyntheticPairsConfig, workspace: Workspace) -> Path | None:
    """The folder of a finished synthetic pair set, or None if it is still to make."""
    from synscale.generators.stage.dataset import KIND, resolved_config

    settings = generation_config(config)
    artifact = workspace.artifact_path(KIND, settings.dataset_name(),
                                       resolved_config(settings, settings.generator_spec().identity()))
    return artifact.path if (artifact.path / CONFIG_FILE).is_file() else None


def generation_config(config: SyntheticPairsConfig) -> Any:
    """The generation job that makes a pair set's synthetic images (its ``GenerateConfig``)."""
    from synscale.generators.stage.plan import GenerateConfig

    world = get_world(config.world, root=config.world_root)
    layout = pair_layout(load_pairs(world, config.pairs), world.num_classes)
    return GenerateConfig(world=config.world, generator=config.generator,
                          generator_options=config.generator_options or {}, cfg=config.cfg,
                          steps=config.steps, prompts="pair_captions",
                          prompt_options={"pairs": config.pairs}, classes=layout.classes,
                          per_class=layout.per_class, seed=config.seed)


def synthetic_images(dataset: SyntheticDataset, pairs: PairSet, world: World) -> torch.Tensor:
    """uint8 ``[N, C, H, W]``: the synthetic image of every pair, in pair order, in the
    world's format."""
    config = dataset.card["config"]
    manifest = dataset.manifest.sort_values("id")
    layout = pair_layout(pairs, world.num_classes)
    expected = [pairs.captions[i] for i in layout.order]
    if config.get("prompts") != "pair_captions" or manifest["prompt"].tolist() != expected:
        raise DataError(f"synthetic set {dataset.name} was not made from the captions of the pair "
                        f"set {pairs.name!r} ({len(pairs)} captions); make it with "
                        f"synscale clip generate --pairs {pairs.name}")
    loaded = dataset.load(channels=world.channels, image_size=world.image_size)
    images = torch.empty_like(loaded.images)
    images[torch.as_tensor(layout.order)] = loaded.images
    return images
