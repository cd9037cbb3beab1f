"""Published learning curves (``../shared/reference-curves``) as fit / held-out curve pairs.

The directory sits beside the repository (``<repo>/../shared``); ``SYNSCALE_SHARED`` names
another ``shared`` directory. Each loader returns ``(name, fit_curve, heldout_curve)`` triples
split by the file's own training flag, as the publishing authors split them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from synscale.errors import DataError
from synscale.scaling.curves import Curve

ALABDULMOHSIN_FILES = (
    "alabdulmohsin2022_nmt_benchmark.csv",
    "alabdulmohsin2022_lm_benchmark_dedup.csv",
)
BNSL_FILE = "bnsl_caballero2022_4digit_addition.csv"

CurvePair = tuple[str, Curve, Curve]


def reference_dir() -> Path:
    """Where the reference curves should be (they may be absent: check ``.is_dir()``)."""
    shared = os.environ.get("SYNSCALE_SHARED")
    root = Path(shared) if shared else Path(__file__).resolve().parents[3].parent / "shared"
    return root / "reference-curves"


def load_alabdulmohsin(directory: Path) -> list[CurvePair]:
    """The 5 NMT and 5 LM curves of Alabdulmohsin et al. 2022 (loss vs. examples seen)."""
    pairs = []
    for filename in ALABDULMOHSIN_FILES:
        frame = _read(directory / filename, dtype={"Model": str})
        for (domain, model), rows in frame.groupby(["Domain", "Model"], sort=False):
            name = f"{domain} {model}"
            fit, held = rows[rows["Training"] == 1], rows[rows["Training"] == 0]
            pairs.append(
                (
                    name,
                    Curve(name, fit["Seen Examples"].to_numpy(float), fit["Loss"].to_numpy(float)),
                    Curve(
                        name, held["Seen Examples"].to_numpy(float), held["Loss"].to_numpy(float)
                    ),
                )
            )
    return pairs


def load_bnsl(directory: Path) -> CurvePair:
    """Caballero et al.'s 4-digit addition curve: 14 points to fit, 3 held out."""
    frame = _read(directory / BNSL_FILE)
    name = "BNSL 4-digit addition"
    fit, held = frame[frame["training"] == 1], frame[frame["training"] == 0]
    return (
        name,
        Curve(
            name,
            fit["train_dataset_size"].to_numpy(float),
            fit["test_cross_entropy"].to_numpy(float),
        ),
        Curve(
            name,
            held["train_dataset_size"].to_numpy(float),
            held["test_cross_entropy"].to_numpy(float),
        ),
    )


def _read(path: Path, **options: object) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"reference curve file not found: {path}")
    return pd.read_csv(path, **options)
