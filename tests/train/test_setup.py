"""Where a run executes: device, precision and workers are checked before any work."""

from __future__ import annotations

import math

import pytest
import torch
from pydantic import ValidationError
from trainsets import bars

from synscale.errors import ConfigError
from synscale.train.classifier import TrainRecipe, train_classifier
from synscale.train.schedule import Schedule
from synscale.train.setup import TrainSetup

QUICK = TrainRecipe(model="mini_resnet", augment="digits", batch_size=16,
                    schedule=Schedule(small_iterations=6, large_iterations=6, min_iterations=6))


def test_device_names_are_checked() -> None:
    for good in ("auto", "cpu", "cuda", "cuda:1"):
        assert TrainSetup(device=good).device == good
    for bad in ("gpu", "cuda:x", "mps:0"):
        with pytest.raises(ValidationError, match="valid: auto, cpu, cuda"):
            TrainSetup(device=bad)
    with pytest.raises(ValidationError, match="needs engine ray"):
        TrainSetup(address="ray://head:10001")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA")
def test_without_cuda_auto_is_the_cpu_and_cuda_is_refused() -> None:
    assert TrainSetup().torch_device() == torch.device("cpu")
    with pytest.raises(ConfigError, match="no CUDA device"):
        TrainSetup(device="cuda:0").torch_device()


def test_precision_follows_the_device() -> None:
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert TrainSetup().autocast_dtype(cpu) is None
    assert TrainSetup().autocast_dtype(cuda) == torch.bfloat16
    assert TrainSetup(precision="fp32").autocast_dtype(cuda) is None
    assert TrainSetup(precision="bf16").autocast_dtype(cpu) == torch.bfloat16


def test_bf16_autocast_trains_on_cpu_when_asked() -> None:
    data = bars(64, 0)
    _, fp32 = train_classifier(data, 2, QUICK, 0, True, TrainSetup(device="cpu"))
    _, bf16 = train_classifier(data, 2, QUICK, 0, True, TrainSetup(device="cpu", precision="bf16"))
    assert (fp32.precision, bf16.precision) == ("fp32", "bf16")
    assert all(math.isfinite(v) for v in bf16.losses) and bf16.losses != fp32.losses
    assert bf16.losses[0] == pytest.approx(fp32.losses[0], rel=0.05)  # same model, same batch


def test_cli_refuses_bad_setups_in_one_line(cli, tmp_path) -> None:
    for args, message in ((["--device", "gpu"], "unknown device 'gpu'"),
                          (["--address", "ray://x:1"], "needs engine ray"),
                          (["--workers-per-run", "3"], "does not split evenly over 3 workers")):
        result = cli("train", "--scales", "20", "-w", tmp_path / "ws", *args)
        assert result.code == 2, result.err
        assert message in result.err and len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "ws" / "runs").exists()
    if not torch.cuda.is_available():
        result = cli("train", "--scales", "20", "--device", "cuda", "-w", tmp_path / "ws")
        assert result.code == 2 and "no CUDA device" in result.err
