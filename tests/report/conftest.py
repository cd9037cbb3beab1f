"""Fixtures: the hand-built stores of ``report_store``."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_store import build_store

from synscale.report import Report, build_report


@pytest.fixture(scope="session")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("report") / "ws")


@pytest.fixture(scope="session")
def bare_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No OOD set, and (like every store today) no CLIP run."""
    return build_store(tmp_path_factory.mktemp("report-bare") / "ws", ood=False)


@pytest.fixture(scope="session")
def built_report(store_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The page of the full hand-built store, built once for the page and browser tests."""
    return build_report(store_root, tmp_path_factory.mktemp("page") / "out" / "report.html")
