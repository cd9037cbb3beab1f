"""Tiny pair sets on disk (a ``table:`` source) and a tiny CLIP recipe for the CLIP tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from synscale.worlds.mini import CLASSES

TINY = ["--epochs", "2", "--set", "recipe.batch_size=8", "--threads", "1"]


def write_pair_table(folder: Path, count: int, caption: str = "a photo of a {}", seed: int = 0) -> Path:
    """``count`` random 16x16 grey images with captions naming a digit, as ``pairs.csv``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(count):
        name = f"img{i:03d}.png"
        Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(folder / name)
        rows.append({"path": name, "caption": caption.format(CLASSES[i % 10].name)})
    path = folder / "pairs.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture
def pair_table(tmp_path) -> Path:
    return write_pair_table(tmp_path / "pairs", 24)


@pytest.fixture
def tiny() -> list[str]:
    return list(TINY)
