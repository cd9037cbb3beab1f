"""``synscale mini train-generator``: train one mini family on the mini world's generator pool with
captions of every prompt strategy, and save it with everything needed to trust and repeat it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

from synscale.errors import ConfigError
from synscale.generators.mini_captions import full_bank
from synscale.generators.mini_families import check_family, default_config
from synscale.generators.mini_train import TrainSettings, train_mini
from synscale.generators.mini_weights import data_sha256, save_mini, shipped_weights

POOL = "generator"
DEFAULT_MINUTES = 15.0


def train_generator(family: str, out: Path | None = None, minutes: float | None = None,
                    steps: int | None = None, seed: int = 0, quiet: bool = False) -> dict[str, Any]:
    """Train and save one family; ``steps`` fixes the run exactly, else ``minutes`` (default 15)
    bounds it. Returns a summary (where, steps, seconds, final loss)."""
    check_family(family)
    if steps is not None and steps <= 0:
        raise ConfigError(f"--steps must be positive, got {steps}")
    if minutes is not None and minutes <= 0:
        raise ConfigError(f"--minutes must be positive, got {minutes}")
    budget = None if steps is not None else (minutes or DEFAULT_MINUTES)
    from synscale.worlds import get_world

    # 1. Data: the generator pool and captions of every strategy.
    world = get_world("mini")
    pool = world.pool(POOL)
    bank = full_bank(world, POOL, seed=seed)
    # 2. Train.
    config = default_config(family)
    settings = TrainSettings(seed=seed, **({"steps": steps} if steps else {}))
    model, report = train_mini(config, settings, pool.images, bank, minutes=budget, quiet=quiet)
    # 3. Save, atomically: weights and a config that says how they were made.
    settings = settings.model_copy(update={"steps": report.steps})
    folder = Path(out) if out is not None else shipped_weights(family)
    record = {
        "train": settings.model_dump(mode="json"),
        "report": {"seconds": round(report.seconds, 1), "steps": report.steps,
                   "ae_steps": report.ae_steps,
                   "loss_per_100_steps": report.windows(report.losses),
                   "ae_loss_per_100_steps": report.windows(report.ae_losses)},
        "command": " ".join(["synscale", *map(shlex.quote, sys.argv[1:])]),
        "reproduce": f"synscale mini train-generator --family {family} --steps {report.steps} "
                     f"--seed {seed}",
        "data": {"world": "mini", "pool": POOL, "images": len(pool),
                 "sha256": data_sha256(pool.images, pool.labels),
                 "caption_strategies": bank.strategies},
    }
    _replace_folder(folder, lambda tmp: save_mini(model, tmp, record))
    return {"family": family, "weights": str(folder), "steps": report.steps,
            "seconds": round(report.seconds, 1),
            "final_loss": report.windows(report.losses)[-1]}


def _replace_folder(folder: Path, write: Any) -> None:
    """Fill a temporary sibling folder, then swap it in: never a half-written weights folder."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".tmp-{folder.name}-{uuid.uuid4().hex[:8]}"
    old = folder.parent / f".old-{folder.name}-{uuid.uuid4().hex[:8]}"
    try:
        write(tmp)
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
