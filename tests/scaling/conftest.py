"""Fixtures of the scaling tests: curve files and the published reference curves."""

from __future__ import annotations

from pathlib import Path

import pytest

from synscale.scaling.reference import reference_dir

# Table 1 of the paper: CLIP zero-shot accuracy (%) averaged over 15 downstream sets.
TABLE1_SCALES = [1e6, 4e6, 16e6, 128e6, 371e6]
TABLE1_SYN = [7.9, 21.0, 33.9, 42.9, 48.8]
TABLE1_REAL = [9.9, 31.4, 49.8, 62.3, 65.7]


@pytest.fixture
def table1_csv(tmp_path: Path) -> Path:
    """The Table 1 averages as a curve file, loss = 100 - accuracy."""
    lines = ["curve,D,loss"]
    for name, accuracy in (("syn", TABLE1_SYN), ("real", TABLE1_REAL)):
        lines += [f"{name},{d:.0f},{100 - a}" for d, a in zip(TABLE1_SCALES, accuracy)]
    path = tmp_path / "table1.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="session")
def reference_curves() -> Path:
    directory = reference_dir()
    if not directory.is_dir():
        pytest.skip(
            f"published reference curves not found at {directory} "
            "(they live in ../shared beside the repository; set SYNSCALE_SHARED to point elsewhere)"
        )
    return directory
