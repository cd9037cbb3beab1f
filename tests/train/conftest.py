"""Fixtures of the training tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from trainsets import bars, write_synthetic

from synscale.data.datasets import LabeledImages


@pytest.fixture(scope="session")
def synthetic_bars(tmp_path_factory) -> tuple[LabeledImages, Path]:
    images = bars(240, 7)
    return images, write_synthetic(tmp_path_factory.mktemp("syn") / "bars-syn", images)
