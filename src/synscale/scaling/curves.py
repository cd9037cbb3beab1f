"""Learning curves: (scale D, loss) points, optionally one per seed, read from CSV or the store.

A curve file has the columns ``curve, D, loss`` and optionally ``seed``; every problem with it
(missing file or column, a value that is not a positive finite number) is one ``DataError`` line
that names the file, the row and the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from synscale.errors import DataError, FitError

REQUIRED_COLUMNS = ("curve", "D", "loss")


@dataclass(frozen=True)
class Curve:
    """One learning curve; several points may share a scale (independent runs with other seeds)."""

    name: str
    D: np.ndarray
    loss: np.ndarray
    seed: np.ndarray | None = None

    def __post_init__(self) -> None:
        D, loss = np.asarray(self.D, dtype=float), np.asarray(self.loss, dtype=float)
        if D.shape != loss.shape or D.ndim != 1:
            raise DataError(f"curve {self.name!r}: D and loss must be two lists of the same length")
        for label, values in (("D", D), ("loss", loss)):
            if not np.all(np.isfinite(values) & (values > 0)):
                raise DataError(
                    f"curve {self.name!r}: every {label} must be a positive finite number"
                )
        order = np.lexsort((np.arange(len(self.D)), self.D))
        object.__setattr__(self, "D", np.asarray(self.D, dtype=float)[order])
        object.__setattr__(self, "loss", np.asarray(self.loss, dtype=float)[order])
        if self.seed is not None:
            object.__setattr__(self, "seed", np.asarray(self.seed)[order])

    @property
    def scales(self) -> np.ndarray:
        return np.unique(self.D)

    @property
    def replicated(self) -> bool:
        """True when every scale has at least two independent runs."""
        _, counts = np.unique(self.D, return_counts=True)
        return bool(len(counts) and counts.min() >= 2)

    def select(self, mask: np.ndarray) -> Curve:
        seed = None if self.seed is None else self.seed[mask]
        return Curve(self.name, self.D[mask], self.loss[mask], seed)

    def split_last(self, n_scales: int) -> tuple[Curve, Curve]:
        """(all but the last ``n_scales`` distinct scales, those last scales)."""
        scales = self.scales
        if n_scales < 1 or n_scales >= len(scales):
            raise FitError(
                f"curve {self.name!r}: cannot hold out the last {n_scales} of its "
                f"{len(scales)} distinct scales; hold out between 1 and {len(scales) - 1}"
            )
        held = self.D >= scales[-n_scales]
        return self.select(~held), self.select(held)

    def require_scales(self, needed: int, purpose: str) -> None:
        have = len(self.scales)
        if have < needed:
            raise FitError(
                f"curve {self.name!r} has {have} distinct scale{'s' * (have != 1)}; "
                f"{purpose} needs at least {needed}"
            )


def read_curves_csv(path: str | Path) -> list[Curve]:
    """Curves from a ``curve,D,loss[,seed]`` CSV file, in the order they first appear."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"curve file not found: {path}")
    try:
        frame = pd.read_csv(path, dtype={"curve": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({str(exc).splitlines()[0]})") from None
    return curves_from_frame(frame, source=str(path))


def curves_from_frame(frame: pd.DataFrame, source: str = "curves") -> list[Curve]:
    """Validate a ``curve, D, loss[, seed]`` table and split it into curves."""
    frame = frame.copy()
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{source}: missing column{'s' * (len(missing) > 1)} "
            f"{', '.join(repr(c) for c in missing)}; need curve, D, loss (and optionally seed)"
        )
    if frame.empty:
        raise DataError(f"{source}: no rows")
    for column in ("D", "loss"):
        _check_positive_numbers(frame, column, source)
    if frame["curve"].isna().any():
        raise DataError(f"{source} row {_row(frame, frame['curve'].isna())}: empty curve name")
    seeds = frame["seed"] if "seed" in frame.columns else None
    curves = []
    for name in pd.unique(frame["curve"]):
        rows = (frame["curve"] == name).to_numpy()
        curves.append(
            Curve(
                str(name),
                frame["D"].to_numpy(float)[rows],
                frame["loss"].to_numpy(float)[rows],
                None if seeds is None else seeds.to_numpy()[rows],
            )
        )
    return curves


def _check_positive_numbers(frame: pd.DataFrame, column: str, source: str) -> None:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() | ~np.isfinite(values.astype(float))
    if bad.any():
        raw = frame[column][bad].iloc[0]
        raise DataError(
            f"{source} row {_row(frame, bad)}: {column} is not a finite number ({raw!r})"
        )
    nonpositive = values <= 0
    if nonpositive.any():
        raise DataError(
            f"{source} row {_row(frame, nonpositive)}: {column} must be > 0, got "
            f"{values[nonpositive].iloc[0]:g} (curve {frame['curve'][nonpositive].iloc[0]!r})"
        )
    frame[column] = values.astype(float)


def _row(frame: pd.DataFrame, mask: pd.Series) -> int:
    """1-based number of the first flagged data row (the header is not counted)."""
    return int(np.flatnonzero(mask.to_numpy())[0]) + 1
