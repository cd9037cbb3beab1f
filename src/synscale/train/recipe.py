"""How one classifier is trained (part of every run's identity), apart from the trainer so that
planning a curve, naming its runs and finding them in the store import no torch."""

from __future__ import annotations

from synscale.config import FrozenConfig
from synscale.train.schedule import Schedule


class TrainRecipe(FrozenConfig):
    """How one classifier is trained. ``model`` and ``augment`` default to the world's choice."""

    model: str | None = None
    augment: str | None = None
    batch_size: int = 64  # the global batch, over all data-parallel workers
    lr: float = 3e-3
    weight_decay: float = 0.05
    warmup_fraction: float = 0.05
    label_smoothing: float = 0.0
    schedule: Schedule = Schedule()
    eval_batch_size: int = 500
    loader_workers: int = 4  # decoding processes for streamed datasets
