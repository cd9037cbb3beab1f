"""The mini samplers' settings: what changes an image's bytes besides prompt, seed and CFG.

They live apart from the samplers (which import torch and diffusers) because a generator's
identity, and so every dataset's name, is made of them: naming a dataset, or rerunning a finished
one, needs these values and no model code.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from synscale.config import FrozenConfig


class SamplerSettings(FrozenConfig):
    """Diffusion families (DPM-Solver++): everything about sampling that changes an image's bytes
    besides prompt, seed and CFG."""

    scheduler: Literal["dpmsolver++"] = "dpmsolver++"
    steps: int = Field(8, gt=0)
    chunk: int = Field(128, gt=0)
    # Guidance runs while the diffusion time t >= guidance_stop * T and stops after: at high noise
    # it picks class and shape; at low noise it only over-sharpens strokes into artefacts, which
    # the reference classifier reads as *more* diversity at high CFG (with guidance on every step,
    # diversity rose again from CFG 4 to 8 in both families; stopping at 0.5 it falls through CFG
    # 8, see the quality table in docs/generation.md). 0 guides every step. Also saves one pass
    # per step after.
    guidance_stop: float = Field(0.5, ge=0, le=1)


class MaskedSamplerSettings(FrozenConfig):
    """The masked family (MaskGIT decoding): everything about sampling that changes an image's
    bytes besides prompt, seed and CFG."""

    scheduler: Literal["maskgit"] = "maskgit"
    steps: int = Field(8, gt=0)
    chunk: int = Field(128, gt=0)
    temperature: float = Field(1.0, gt=0)  # of the token distribution
    # Gumbel noise on confidences, annealed linearly to 0 (MaskGIT's choice temperature): without
    # it the most likely tokens are always kept first and samples lose their variety.
    choice_temperature: float = Field(2.0, ge=0)
    # Guidance on the steps before this share of the decoding is left, as in the diffusion
    # families (0 guides every step, as Muse does). Stopping half-way measured the same quality at
    # CFG <= 2, fewer broken strokes above, and 25% fewer transformer passes.
    guidance_stop: float = Field(0.5, ge=0, le=1)
