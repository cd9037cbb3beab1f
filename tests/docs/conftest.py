"""A tiny workspace and the names documented Python blocks use without defining them."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from synscale.cli import main


def _run(*args: object) -> None:
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        assert exc.code in (0, None), f"synscale {args} exited {exc.code}"


@pytest.fixture(scope="session")
def doc_namespace(tmp_path_factory) -> dict[str, object]:
    """Free names of the docs' Python blocks: a world, a workspace with a stored real curve
    (also at ``workspace/demo`` under the blocks' working directory), a power-law curve ``D``,
    ``loss``, a class, images, a throwaway generator registry."""
    import torch

    from synscale.generators.base import Generator
    from synscale.registry import Registry
    from synscale.workspace import Workspace
    from synscale.worlds import get_world

    cwd = tmp_path_factory.mktemp("docs")
    ws = cwd / "workspace" / "demo"
    fast = ["--set", "recipe.schedule.small_iterations=10", "--set", "recipe.schedule.large_iterations=12",
            "--set", "recipe.schedule.min_iterations=5"]
    _run("train", "--scales", "20,40,80", "-w", ws, "--quiet", *fast)
    shutil.copytree(ws, cwd / "ws")
    world = get_world("mini")
    D = np.array([125, 250, 500, 1000, 2000, 4000], dtype=float)
    loss = 3.0 * D ** -0.3 + 0.01 * np.sin(D)
    val = world.pool("val")
    return {"__cwd__": cwd, "world": world, "workspace": Workspace(ws), "D": D, "loss": loss,
            "class_info": world.classes[0], "count": 3, "seed": 0, "strategy_options": {},
            "labeled_images": val, "dataset": val, "indices": [0, 1, 2],
            "GENERATORS": Registry("generator"), "Generator": Generator, "torch": torch}
