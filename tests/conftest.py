"""Shared fixtures: a fast training recipe and an in-process CLI runner."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import torch

from synscale.cli import main

torch.set_num_threads(2)



@pytest.fixture
def fast_recipe() -> list[str]:
    """``--set`` flags for a recipe short enough for unit tests: 40-60 steps per run."""
    return ["--set", "recipe.schedule.small_iterations=40",
            "--set", "recipe.schedule.large_iterations=60",
            "--set", "recipe.schedule.min_iterations=10"]


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.out.splitlines() if line.startswith("{")]


@pytest.fixture
def cli(capsys):
    """Run ``synscale ARGS`` in-process through the real entry point (with its error handling)."""

    def run(*args: str) -> CliResult:
        code = 0
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
