"""``synscale mini train-generator``: train one mini family on the mini world's web pool with
captions of every prompt strategy, and save it with everything needed to trust and repeat it.

The weights go where the caller says, never into the package by default: the shipped weights
change only when ``out`` names their folder. A folder is replaced whole and atomically: the new
weights are written beside it and swapped in with one rename, so a reader (or a crash) sees the
old weights or the new ones, never a mix, and never none.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shlex
import shutil
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synscale.errors import ConfigError
from synscale.generators.mini.captions import full_bank
from synscale.generators.mini.families import check_family, default_config
from synscale.generators.mini.training import TrainSettings, train_mini
from synscale.generators.mini.weights import data_sha256, save_mini

POOL = "web"  # the analogue of LAION: handwritten digits, renditions, sketches
DEFAULT_MINUTES = 15.0


def train_generator(family: str, out: Path, minutes: float | None = None,
                    steps: int | None = None, seed: int = 0, quiet: bool = False) -> dict[str, Any]:
    """Train one family and save it in ``out`` (replacing what is there); ``steps`` fixes the run
    exactly, else ``minutes`` (default 15) bounds it. Returns a summary (where, steps, seconds,
    final loss)."""
    check_family(family)
    if steps is not None and steps <= 0:
        raise ConfigError(f"--steps must be positive, got {steps}")
    if minutes is not None and minutes <= 0:
        raise ConfigError(f"--minutes must be positive, got {minutes}")
    budget = None if steps is not None else (minutes or DEFAULT_MINUTES)
    from synscale.worlds import get_world

    # 1. Data: the web pool and captions of every strategy that fit each image's style.
    world = get_world("mini")
    pool = world.pool(POOL)
    bank = full_bank(world, POOL, seed=seed)
    # 2. Train.
    config = default_config(family)
    settings = TrainSettings(seed=seed, **({"steps": steps} if steps else {}))
    model, report = train_mini(config, settings, pool.images, bank, minutes=budget, quiet=quiet)
    # 3. Save, atomically: weights and a config that says how they were made.
    settings = settings.model_copy(update={"steps": report.steps})
    folder = Path(out)
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


def _replace_folder(folder: Path, write: Callable[[Path], None]) -> None:
    """Fill a temporary sibling folder, then swap it in: never a half-written weights folder, and
    the old one is deleted only once the new one is in place (kept if anything fails before)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".tmp-{folder.name}-{uuid.uuid4().hex[:8]}"
    try:
        write(tmp)
        if folder.exists():
            _swap(tmp, folder)  # tmp now holds the old weights
        else:
            os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _swap(a: Path, b: Path) -> None:
    """Exchange two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``). Where the system
    cannot, the old folder is moved aside, the new one moved in, and the old one put back if
    that fails: a moment without weights, but never their loss."""
    if _exchange(a, b):
        return
    aside = b.with_name(f".old-{b.name}-{uuid.uuid4().hex[:8]}")
    os.replace(b, aside)
    try:
        os.replace(a, b)
    except OSError:
        os.replace(aside, b)
        raise
    os.replace(aside, a)


RENAME_EXCHANGE = 2
AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths; False where the C library or file system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    result = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))
