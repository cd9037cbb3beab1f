"""Fixtures of the command-line tests: the command tree, a tiny workspace, heavy work stopped."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from cli_harness import HEAVY, invoke, stop


@pytest.fixture
def heavy_work_stopped():
    """Heavy work raises ``Stopped`` during one test: patched where it is defined (so a module
    imported meanwhile binds the stop) and in every module that has imported it; everything is
    restored afterwards, so later tests train and generate for real."""
    originals = {}
    for spec in HEAVY:
        module, name = spec.split(":")
        originals[name] = getattr(importlib.import_module(module), name)  # a rename fails here

    def patch_all() -> None:
        for module in list(sys.modules.values()):
            if getattr(module, "__name__", "").startswith("synscale"):
                for name, original in originals.items():
                    if getattr(module, name, None) is original:
                        setattr(module, name, stop)

    patch_all()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")  # a random --model must not reach for the network
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        yield
    # Modules first imported during the tests bound the stop: give them the real function back.
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("synscale"):
            for name, original in originals.items():
                if getattr(module, name, None) is stop:
                    setattr(module, name, original)


@pytest.fixture(scope="session")
def tiny_workspace(tmp_path_factory) -> Path:
    """A workspace with one stored real curve (scales 20, 40) and one 2-per-class dataset."""
    ws = tmp_path_factory.mktemp("tiny") / "ws"
    fast = ["--set", "recipe.schedule.small_iterations=10", "--set", "recipe.schedule.large_iterations=12",
            "--set", "recipe.schedule.min_iterations=5"]
    made = invoke(["train", "--scales", "20,40", "-w", ws, "--quiet", *fast])
    assert made.code == 0, made.err
    made = invoke(["generate", "--per-class", "2", "--set", "batch_size=10", "--set", "shard_size=20",
                   "-w", ws, "--quiet"])
    assert made.code == 0, made.err
    return ws
