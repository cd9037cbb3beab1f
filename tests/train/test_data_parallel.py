"""One run over 2 data-parallel CPU workers (DDP, gloo) equals the same run in one process:
the same global batches (tested in test_streaming), and the same loss curve and weights within
float tolerance. Locally through torch.distributed, and through Ray Train's TorchTrainer."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from synscale.errors import ConfigError
from synscale.train.classifier import TrainRecipe
from synscale.train.runs import CurveConfig, execute_run, plan_runs
from synscale.train.schedule import Schedule
from synscale.train.setup import TrainSetup
from synscale.workspace import Workspace

STEPS = 25
# mini_vit: no BatchNorm, whose statistics PyTorch cannot synchronise across CPU workers.
RECIPE = TrainRecipe(model="mini_vit", batch_size=32,
                     schedule=Schedule(small_iterations=STEPS, large_iterations=STEPS,
                                       min_iterations=STEPS))


def run(workspace: Path, setup: TrainSetup) -> tuple[list[float], dict[str, torch.Tensor], float]:
    config = CurveConfig(scales=[125], seed=1, recipe=RECIPE, setup=setup)
    (task,) = plan_runs(config, Workspace(workspace), threads=1)
    record = execute_run(dataclasses.replace(task, threads=1))
    (folder,) = [p for p in (workspace / "runs").iterdir() if not p.name.startswith(".")]
    from safetensors.torch import load_file

    losses = json.loads((folder / "training.json").read_text())["stats"]["losses"]
    return losses, load_file(str(folder / "model.safetensors")), record.sets["val"].loss


def assert_equivalent(one, two) -> None:
    (losses_1, weights_1, val_1), (losses_2, weights_2, val_2) = one, two
    assert len(losses_1) == len(losses_2) == STEPS
    np.testing.assert_allclose(losses_2, losses_1, rtol=1e-4, atol=1e-5)
    for name, w in weights_1.items():
        torch.testing.assert_close(weights_2[name], w, rtol=1e-3, atol=1e-4)
    assert val_2 == pytest.approx(val_1, rel=1e-4)
    assert losses_1[-1] < losses_1[0]  # it did learn something


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    return run(tmp_path_factory.mktemp("one"), TrainSetup(device="cpu"))


def test_two_local_workers_match_one_process(one_process, tmp_path: Path) -> None:
    two = run(tmp_path, TrainSetup(device="cpu", workers_per_run=2))
    assert_equivalent(one_process, two)
    assert not list(tmp_path.glob("checkpoints/*/*"))  # scratch files gone once the run is saved


@pytest.mark.slow
def test_two_ray_train_workers_match_one_process(one_process, tmp_path: Path) -> None:
    two = run(tmp_path, TrainSetup(device="cpu", workers_per_run=2, engine="ray"))
    assert_equivalent(one_process, two)


def test_a_batch_that_does_not_split_is_refused_before_any_work(tmp_path: Path) -> None:
    config = CurveConfig(scales=[125], recipe=RECIPE.model_copy(update={"batch_size": 33}),
                         setup=TrainSetup(workers_per_run=2))
    with pytest.raises(ConfigError, match="does not split evenly over 2 workers"):
        plan_runs(config, Workspace(tmp_path))
