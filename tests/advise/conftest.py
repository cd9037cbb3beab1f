"""Fixtures of the advise tests (the made-up store is in advise_store.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from advise_store import make_store


@pytest.fixture
def study_store(tmp_path: Path) -> tuple[Path, dict]:
    truth = make_store(tmp_path)
    return tmp_path, truth
