"""A run killed with SIGKILL mid-way and started again ends with the weights of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from synscale.errors import DataError
from synscale.train.checkpoint import load_checkpoint, save_checkpoint

STEPS = 60
ARGS = ["train", "--world", "mini", "--scales", "125", "--seed", "3", "--device", "cpu",
        "--checkpoint-every", "10", "--json", "--quiet",
        "--set", f"recipe.schedule.small_iterations={STEPS}",
        "--set", f"recipe.schedule.large_iterations={STEPS}",
        "--set", f"recipe.schedule.min_iterations={STEPS}"]
ENV = os.environ | {"OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}


def command(workspace: Path) -> list[str]:
    return [sys.executable, "-m", "synscale", *ARGS, "-w", str(workspace)]


def finished(workspace: Path) -> dict:
    result = subprocess.run(command(workspace), check=False, env=ENV, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def finished_here(cli, workspace: Path) -> dict:
    """The uninterrupted run, in this process with the subprocesses' one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = cli(*ARGS, "-w", workspace)
    finally:
        torch.set_num_threads(threads)
    assert result.code == 0, result.err
    return result.json_lines()[-1]


def run_folder(workspace: Path) -> Path:
    (folder,) = [p for p in (workspace / "runs").iterdir() if not p.name.startswith(".")]
    return folder


def test_sigkill_then_resume_gives_the_uninterrupted_weights(cli, tmp_path: Path) -> None:
    killed_ws, clean_ws = tmp_path / "killed", tmp_path / "clean"
    # 1. Start the run and SIGKILL it as soon as it has written a checkpoint.
    process = subprocess.Popen(command(killed_ws), env=ENV, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    checkpoints: list[Path] = []
    while not checkpoints and process.poll() is None and time.monotonic() < deadline:
        checkpoints = list(killed_ws.glob("checkpoints/*/checkpoint.pt"))
        time.sleep(0.01)
    assert checkpoints, f"no checkpoint before the run ended: {process.stderr.read().decode()[-500:]}"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert not (killed_ws / "runs").exists() or not any(
        not p.name.startswith(".") for p in (killed_ws / "runs").iterdir())
    step = int(load_checkpoint(checkpoints[0])["step"])
    assert 0 < step < STEPS

    # 2. Start it again: it continues from the checkpoint; then the same run uninterrupted.
    resumed = finished(killed_ws)
    clean = finished_here(cli, clean_ws)
    training = json.loads((run_folder(killed_ws) / "training.json").read_text())
    assert training["stats"]["resumed_from"] >= step and training["stats"]["iterations"] == STEPS
    assert json.loads((run_folder(clean_ws) / "training.json").read_text())["stats"]["resumed_from"] == 0
    assert not list(killed_ws.glob("checkpoints/*/checkpoint.pt"))  # removed once the run is saved

    # 3. Same weights to the bit, same losses, same evaluation.
    weights = [(run_folder(ws) / "model.safetensors").read_bytes() for ws in (killed_ws, clean_ws)]
    assert weights[0] == weights[1]
    assert training["stats"]["losses"] == json.loads(
        (run_folder(clean_ws) / "training.json").read_text())["stats"]["losses"]
    assert resumed["val_loss"] == clean["val_loss"]


def test_checkpoints_are_atomic_and_a_corrupt_one_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "run" / "checkpoint.pt"
    assert load_checkpoint(path) is None
    save_checkpoint(path, {"step": 3, "losses": torch.tensor([1.0, 0.5])})
    assert load_checkpoint(path)["step"] == 3 and list(path.parent.iterdir()) == [path]
    path.write_bytes(path.read_bytes()[:40])  # truncated by a crash of something else
    with pytest.raises(DataError, match="unreadable.*delete it"):
        load_checkpoint(path)
