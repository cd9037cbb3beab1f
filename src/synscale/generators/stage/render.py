"""One batch of the plan -> PNG bytes and their hashes: the unit of work every engine runs.

Engines differ only in where ``render_batch`` runs; because the batches and each worker's thread
count are fixed, a single process and a pool of Ray actors produce the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from synscale.data.shards import encode_png, sha256
from synscale.generators.base import Generator
from synscale.generators.stage.plan import Batch

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Rendered:
    batch: int
    ids: list[int]
    pngs: list[bytes]
    hashes: list[str]
    settings: str  # the generator's settings as canonical JSON: every batch states what made it


def settings_json(generator: Generator) -> str:
    return json.dumps(generator.settings(), sort_keys=True, separators=(",", ":"))


def first_difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    """The first key whose value differs, said for an error message."""
    for key in sorted(old.keys() | new.keys()):
        if old.get(key) != new.get(key):
            return f"{key}: {old.get(key)!r} then, {new.get(key)!r} now"
    return "no difference"


def render_batch(generator: Generator, batch: Batch, cfg: float, settings: str) -> Rendered:
    import torch  # here, where images are made: engines and reruns of finished work need none

    if batch.cfgs is None:
        images = list(_generate(generator, batch.prompts, batch.seeds, cfg))
    else:  # a class plan gave classes their own CFG: one call per CFG, images kept in batch order
        images = [torch.empty(0)] * len(batch.ids)
        for value in sorted(set(batch.cfgs)):
            index = [i for i, c in enumerate(batch.cfgs) if c == value]
            made = _generate(generator, [batch.prompts[i] for i in index],
                             [batch.seeds[i] for i in index], value)
            for i, image in zip(index, made):
                images[i] = image
    pngs = [encode_png(image) for image in images]
    return Rendered(batch.index, list(batch.ids), pngs, [sha256(p) for p in pngs], settings)


def _generate(generator: Generator, prompts: list[str], seeds: list[int], cfg: float) -> torch.Tensor:
    import torch

    images = generator.generate(prompts, seeds, cfg)
    if images.dtype != torch.uint8 or images.shape[0] != len(prompts):
        raise RuntimeError(f"generator {generator.name!r} returned {tuple(images.shape)} "
                           f"{images.dtype} for {len(prompts)} prompts; expected uint8 [N, C, H, W]")
    return images
