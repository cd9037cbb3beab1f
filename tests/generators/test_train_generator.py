"""``mini train-generator`` writes where it is told (never into the package by default) and swaps
a weights folder in whole: the old weights stay until the new ones are in place."""

from __future__ import annotations

import hashlib
import inspect
import os
from pathlib import Path

import pytest
import torch

from synscale.generators.mini import train_generator as job
from synscale.generators.mini.families import FAMILIES, build_model, default_config
from synscale.generators.mini.text import Vocabulary
from synscale.generators.mini.training import TrainReport
from synscale.generators.mini.weights import shipped_weights


def folder_digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def write_files(content: str):
    def write(tmp: Path) -> None:
        tmp.mkdir()
        (tmp / "model.safetensors").write_text(content)
        (tmp / "config.json").write_text(content)
    return write


def test_a_folder_is_replaced_whole(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    job._replace_folder(folder, write_files("old"))
    job._replace_folder(folder, write_files("new"))
    assert (folder / "model.safetensors").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["w"]  # nothing left beside it


def test_a_failed_write_keeps_the_old_weights(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    job._replace_folder(folder, write_files("old"))

    def broken(tmp: Path) -> None:
        write_files("half")(tmp)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        job._replace_folder(folder, broken)
    assert (folder / "config.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["w"]


def test_without_an_atomic_exchange_a_failed_move_puts_the_old_weights_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "w"
    job._replace_folder(folder, write_files("old"))
    monkeypatch.setattr(job, "_exchange", lambda a, b: False)
    real_replace = os.replace

    def failing_replace(src, dst):
        if Path(src).name.startswith(".tmp-"):
            raise OSError("cannot move the new folder in")
        real_replace(src, dst)

    monkeypatch.setattr(job.os, "replace", failing_replace)
    with pytest.raises(OSError, match="cannot move"):
        job._replace_folder(folder, write_files("new"))
    assert (folder / "config.json").read_text() == "old"


def test_the_exchange_is_atomic_here(tmp_path: Path) -> None:
    """On this machine (Linux) the swap is one ``renameat2`` call, not the fallback."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    (b / "x").write_text("b")
    assert job._exchange(a, b)
    assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"


def test_the_command_without_out_never_writes_into_the_package(
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Training itself is replaced by an untrained tiny model: what is tested is where it goes."""
    assert inspect.signature(job.train_generator).parameters["out"].default is inspect.Parameter.empty
    shipped = {f: folder_digest(shipped_weights(f)) for f in FAMILIES}

    def no_training(config, settings, images, bank, minutes=None, quiet=False):
        vocab = Vocabulary.build(["seven"], max_len=8)
        tiny = default_config("pixel", widths=(8, 16), text_width=16, text_layers=1, text_heads=2,
                              cond_dim=16, max_len=8)
        torch.manual_seed(0)
        return build_model(tiny, vocab).eval(), TrainReport(3, 0, 0.1, [1.0, 0.9, 0.8], [])

    monkeypatch.setattr(job, "train_mini", no_training)
    monkeypatch.chdir(tmp_path)
    result = cli("mini", "train-generator", "--family", "pixel", "--steps", "3", "--json")
    assert result.code == 0, result.err
    (summary,) = result.json_lines()
    assert Path(summary["weights"]) == Path("workspace/mini-generators/pixel")
    assert (tmp_path / "workspace/mini-generators/pixel/model.safetensors").is_file()
    assert {f: folder_digest(shipped_weights(f)) for f in FAMILIES} == shipped
