"""Finding a synthetic dataset by name in a workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from synscale.data.synthetic import SyntheticDataset
from synscale.errors import DataError
from synscale.workspace import CONFIG_FILE, Workspace


def fake_dataset(root: Path, name: str) -> Path:
    folder = root / "datasets" / name
    folder.mkdir(parents=True)
    (folder / CONFIG_FILE).write_text("{}")
    (folder / "manifest.parquet").write_bytes(b"")
    return folder


def test_a_unique_prefix_finds_the_dataset(tmp_path: Path) -> None:
    folder = fake_dataset(tmp_path, "mini-pixel-cfg2-abc123")
    fake_dataset(tmp_path, "mini-latent-cfg2-def456")
    assert SyntheticDataset.resolve("mini-pixel", Workspace(tmp_path)).folder == folder
    with pytest.raises(DataError, match="matches 2 datasets"):
        SyntheticDataset.resolve("mini-", Workspace(tmp_path))


@pytest.mark.parametrize("name", ["**", "mini/**", "[", "mini-pixel*", "?ini"])
def test_glob_characters_are_a_name_that_matches_nothing(tmp_path: Path, name: str) -> None:
    fake_dataset(tmp_path, "mini-pixel-cfg2-abc123")
    with pytest.raises(DataError, match="no synthetic dataset"):
        SyntheticDataset.resolve(name, Workspace(tmp_path))


@pytest.mark.parametrize("name", ["", " "])
def test_an_empty_name_is_no_dataset_not_the_current_folder_or_every_prefix(
        tmp_path: Path, monkeypatch, name: str) -> None:
    fake_dataset(tmp_path, "mini-pixel-cfg2-abc123")  # the only one: every name is its prefix
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match="no synthetic dataset named"):
        SyntheticDataset.resolve(name, Workspace(tmp_path))


@pytest.mark.parametrize(("data", "message"), [
    ("syn:", "error: no synthetic dataset named"),
    ("real0+syn:mini-pixel", "error: 'real0+syn:mini-pixel': a mix needs at least 1 real image"),
])
def test_an_empty_name_or_a_mix_of_no_real_image_is_one_line(cli, tmp_path: Path, data: str,
                                                             message: str) -> None:
    fake_dataset(tmp_path, "mini-pixel-cfg2-abc123")
    result = cli("train", "--data", data, "--scales", "10", "-w", tmp_path)
    assert result.code == 2
    assert result.err.strip().startswith(message)
    assert len(result.err.strip().splitlines()) == 1


def test_the_cli_says_so_in_one_line(cli, tmp_path: Path) -> None:
    fake_dataset(tmp_path, "mini-pixel-cfg2-abc123")
    result = cli("train", "--data", "syn:**", "--scales", "10", "-w", tmp_path)
    assert result.code == 2
    assert result.err.strip().startswith("error: no synthetic dataset '**'")
    assert len(result.err.strip().splitlines()) == 1
