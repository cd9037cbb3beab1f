"""What a CLIP run trains on: ``real``, ``syn:<set>`` or ``mix:<set>`` images for the captions.

``<set>`` is a synthetic pair set made by ``synscale clip generate`` (its folder, or its name or
a unique prefix of it in the workspace). Scale = number of captions: the first ``scale`` pairs of
a seeded nested order (class-balanced where pairs have classes), the same captions for all three
kinds, so that the curves differ only in their images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from synscale.clip.pairs import PairSet
from synscale.clip.synthetic import synthetic_images
from synscale.clip.train import ClipBatchSource
from synscale.data.subsets import nested_order
from synscale.data.synthetic import SyntheticDataset
from synscale.errors import ConfigError, DataError
from synscale.workspace import Workspace
from synscale.worlds.base import World

KINDS = ("real", "syn", "mix")
VALID_DATA = ["real", "syn:<synthetic pair set>", "mix:<synthetic pair set>"]


@dataclass(frozen=True)
class ClipData:
    kind: str  # real, syn or mix
    synthetic: str | None  # folder of the synthetic pair set
    synthetic_name: str | None
    mix_p: float

    @property
    def name(self) -> str:
        return "real" if self.kind == "real" else f"{self.kind}:{self.synthetic_name}"

    @property
    def identity(self) -> dict[str, Any]:
        if self.kind == "real":
            return {"kind": "real"}
        out: dict[str, Any] = {"kind": self.kind, "synthetic": self.synthetic_name}
        return out | ({"mix_p": self.mix_p} if self.kind == "mix" else {})


def resolve_clip_data(spec: str, mix_p: float, workspace: Workspace) -> ClipData:
    kind, _, dataset = spec.partition(":")
    if kind not in KINDS or (kind == "real") != (dataset == ""):
        raise ConfigError(f"unknown CLIP data {spec!r}; valid: {', '.join(VALID_DATA)}")
    if not 0 < mix_p < 1 and kind == "mix":
        raise ConfigError(f"mix_p must be between 0 and 1 (exclusive), got {mix_p}")
    if kind == "real":
        return ClipData("real", None, None, mix_p)
    found = SyntheticDataset.resolve(dataset, workspace)
    return ClipData(kind, str(found.folder), found.name, mix_p)


def check_synthetic(data: ClipData, pairs: PairSet) -> None:
    """Refuse, before any work, a synthetic set made from other captions than the pairs'."""
    if data.synthetic is None:
        return
    dataset = SyntheticDataset(data.synthetic)
    prompts = dataset.manifest["prompt"].tolist()
    if dataset.card["config"].get("prompts") != "pair_captions" or sorted(prompts) != sorted(pairs.captions):
        raise DataError(f"synthetic set {dataset.name} was not made from the captions of the pair "
                        f"set {pairs.name!r} ({len(pairs)} captions); make it with synscale clip "
                        f"generate --pairs {pairs.name}")


def caption_subset(pairs: PairSet, scale: int, seed: int) -> np.ndarray:
    """The pair indices of one scale: a prefix of the seeded nested order, sorted."""
    if not 0 < scale <= len(pairs):
        raise DataError(f"scale {scale} is not between 1 and the {len(pairs)} captions of {pairs.name!r}")
    return np.sort(nested_order(pairs.labels, seed)[:scale])


def batch_source(data: ClipData, pairs: PairSet, world: World, indices: np.ndarray,
                 tokens: torch.Tensor, synthetic_cache: dict[str, torch.Tensor]) -> ClipBatchSource:
    """The training pairs of one run; synthetic images are decoded once per process."""
    real = pairs.images.load(indices.tolist()) if data.kind != "syn" else None
    synthetic = None
    if data.synthetic is not None:
        if data.synthetic not in synthetic_cache:
            synthetic_cache[data.synthetic] = synthetic_images(SyntheticDataset(data.synthetic), pairs, world)
        synthetic = synthetic_cache[data.synthetic][torch.as_tensor(indices)]
    return ClipBatchSource(tokens, real, synthetic, data.mix_p)
