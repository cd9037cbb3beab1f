"""A bare install (no extras) runs the mini world: generate, measure, train and fit, in a
subprocess where the extras' packages (transformers, accelerate, ray) cannot be imported and are
not seen as installed; using an extra's feature there is one line naming the extra."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from synscale.errors import EXTRAS

BLOCKER = '''
"""Hide the optional extras' packages, as if they were not installed."""
import sys
from importlib.machinery import PathFinder

BLOCKED = {blocked!r}


class BareFinder:
    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname.split(".")[0] in BLOCKED:
            return None
        return PathFinder.find_spec(fullname, path, target)

    @classmethod
    def find_distributions(cls, context=None):
        for dist in PathFinder.find_distributions(context) if context else PathFinder.find_distributions():
            if (dist.metadata["Name"] or "").lower().replace("_", "-") not in BLOCKED:
                yield dist

    @classmethod
    def invalidate_caches(cls):
        PathFinder.invalidate_caches()


sys.meta_path[:] = [BareFinder if f is PathFinder else f for f in sys.meta_path]
'''


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """Run ``synscale ARGS`` with the extras hidden; returns (exit code, stdout, stderr)."""
    site = tmp_path_factory.mktemp("bare-site")
    (site / "sitecustomize.py").write_text(BLOCKER.format(blocked=set(EXTRAS)))
    env = os.environ | {"PYTHONPATH": str(site), "OMP_NUM_THREADS": "1"}

    def run(*args: str) -> tuple[int, str, str]:
        result = subprocess.run([sys.executable, "-m", "synscale", *map(str, args)], check=False,
                                env=env, capture_output=True, text=True, timeout=600)
        return result.returncode, result.stdout, result.stderr

    def python(code: str) -> str:
        result = subprocess.run([sys.executable, "-c", code], check=True, env=env,
                                capture_output=True, text=True, timeout=120)
        return result.stdout

    run.python = python
    return run


def quick_reference(workspace: Path) -> None:
    """The reference classifier ``measure`` would train (the mini default recipe), trained for
    60 steps instead of 1,000 and stored under its own identity, so measure finds it."""
    from synscale.train.classifier import TrainRecipe, train_classifier
    from synscale.train.reference import reference_identity
    from synscale.train.runs import resolve_recipe
    from synscale.workspace import Workspace
    from synscale.worlds import get_world

    world = get_world("mini")
    recipe = resolve_recipe(TrainRecipe(), world)
    short = recipe.model_copy(update={"schedule": recipe.schedule.model_copy(
        update={"small_iterations": 60, "large_iterations": 60, "min_iterations": 60})})
    classifier, _ = train_classifier(world.pool("train"), world.num_classes, short, 0, True)
    with Workspace(workspace).building("reference", *reference_identity(world, recipe, 0)) as folder:
        classifier.save(folder)


def test_the_extras_are_hidden(bare) -> None:
    out = bare.python("import importlib.util, importlib.metadata as m\n"
                      "print([importlib.util.find_spec(x) for x in ('transformers', 'accelerate', 'ray')])\n"
                      "try:\n    import ray\nexcept ImportError:\n    print('no ray')\n"
                      "print(any(d.metadata['Name'] == 'transformers' for d in m.distributions()))")
    assert out.split("\n")[:3] == ["[None, None, None]", "no ray", "False"]


def test_the_mini_world_runs_without_extras(bare, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    code, out, err = bare("generate", "--world", "mini", "--generator", "mini-pixel", "--cfg", "2",
                          "--prompts", "classname", "--per-class", "2", "-w", ws, "--json", "--quiet")
    assert code == 0, err
    dataset = json.loads(out.strip().splitlines()[-1])["path"]

    quick_reference(ws)
    code, out, err = bare("measure", dataset, "--per-class", "2", "-w", ws, "--json", "--quiet")
    assert code == 0, err
    assert 0 <= json.loads(out.strip().splitlines()[-1])["recognizability"] <= 1

    fast = ["--set", "recipe.schedule.small_iterations=10", "--set", "recipe.schedule.large_iterations=20",
            "--set", "recipe.schedule.min_iterations=10"]
    code, out, err = bare("train", "--world", "mini", "--scales", "20,40,80", "-w", ws, "--json",
                          "--quiet", *fast)
    assert code == 0, err
    assert [json.loads(line)["scale"] for line in out.strip().splitlines()] == [20, 40, 80]

    code, out, err = bare("fit", "-w", ws, "--json", "--boot", "0")
    assert code == 0, err
    assert "k" in out

    # A feature of an extra: one line naming it, exit 2, nothing trained.
    code, out, err = bare("train", "--world", "mini", "--scales", "20", "--engine", "ray",
                          "--workers-per-run", "2", "-w", tmp_path / "ray-ws", *fast)
    assert code == 2 and err.strip().splitlines() == [
        "error: ray is not installed; it comes with the 'ray' extra: pip install 'synscale[ray]'"]
    assert not (tmp_path / "ray-ws" / "runs").exists()
