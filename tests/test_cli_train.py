"""The foundation's command line: train a curve, reuse stored runs, and refuse bad input."""


import itertools

import pytest

import synscale.train.runs


@pytest.fixture
def train(fast_recipe):
    return ["train", "--world", "mini", "--data", "real", "--seed", "0", "--json", *fast_recipe]


def test_curve_json_then_rerun_trains_nothing(cli, train, tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    first = cli(*train, "--scales", "40,80", "--workspace", ws)
    assert first.code == 0, first.err
    runs = first.json_lines()
    assert [r["scale"] for r in runs] == [40, 80]
    for r in runs:
        assert {"data", "scale", "seed", "iterations", "val_loss", "val_top1", "ood",
                "train_images_per_s"} <= set(r)
        assert set(r["ood"]) == {"digits", "renditions", "sketch"}
        assert all(set(v) == {"loss", "top1"} for v in r["ood"].values())
    assert runs[0]["iterations"] < runs[1]["iterations"]  # schedule grows with log D

    def no_training(*args, **kwargs):
        raise AssertionError("a stored run was trained again")

    monkeypatch.setattr(synscale.train.runs, "train_classifier", no_training)
    second = cli(*train, "--scales", "40,80", "--workspace", ws)
    assert second.code == 0 and second.json_lines() == runs

    table = cli("results", "--workspace", ws, "--csv", tmp_path / "runs.csv")
    assert table.code == 0 and "real" in table.out
    assert len((tmp_path / "runs.csv").read_text().splitlines()) == 3


def test_same_command_in_a_fresh_workspace_gives_identical_numbers(cli, train, tmp_path):
    a = cli(*train, "--scales", "30", "--workspace", tmp_path / "a").json_lines()
    b = cli(*train, "--scales", "30", "--workspace", tmp_path / "b").json_lines()
    keep = ("val_loss", "val_top1", "ood", "iterations", "run_id")
    assert [{k: r[k] for k in keep} for r in a] == [{k: r[k] for k in keep} for r in b]


def test_yaml_config_and_set_overrides(cli, fast_recipe, tmp_path):
    config = tmp_path / "curve.yaml"
    config.write_text("world: mini\nscales: [20]\nrecipe:\n  model: mini_vit\n")
    result = cli("train", "--config", config, "--workspace", tmp_path / "ws", "--json", *fast_recipe)
    assert result.code == 0, result.err
    assert result.json_lines()[0]["model"] == "mini_vit"


@pytest.mark.parametrize("args, message", [
    (["--world", "moon"], "unknown world 'moon'; valid choices: imagenet, mini"),
    (["--model", "resnet_tiny9"], ("unknown model 'resnet_tiny9'; valid choices: mini_resnet, "
                                  "mini_resnet_wide, mini_vit")),
    (["--scales", "0,10"], "scale 0 is only meaningful for a real+synthetic mix"),
    (["--scales", "-5,10"], "scales must not be negative"),
    (["--data", "real99999+syn:x"], "no synthetic dataset 'x'"),
    (["--scales", "10,5000"], "scale 5000 is larger than the real pool (2000 images)"),
    (["--scales", "10,ten"], "--scales must be comma-separated integers"),
    (["--data", "fake"], "unknown training data 'fake'"),
    (["--world", "imagenet"], "need a data root"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(cli, tmp_path, args, message):
    ws = tmp_path / "ws"
    result = cli("train", "--scales", "10", "--workspace", ws, "--quiet", *args)
    assert result.code == 2
    assert result.err.strip().count("\n") == 0 and message in result.err
    assert "Traceback" not in result.err
    assert not ws.exists()


def test_bad_yaml_key_and_file_workspace(cli, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("recipe:\n  learning_rate: 0.1\n")
    result = cli("train", "--config", config, "--workspace", tmp_path / "ws")
    assert result.code == 2 and "unknown key 'recipe.learning_rate'" in result.err
    file_ws = tmp_path / "file"
    file_ws.write_text("")
    result = cli("train", "--scales", "10", "--workspace", file_ws)
    assert result.code == 2 and "not a directory" in result.err
    assert cli("results", "--workspace", tmp_path / "none").code == 2


def test_imagenet_missing_and_empty_folders(cli, tmp_path):
    empty = tmp_path / "inet"
    (empty / "train" / "n01440764").mkdir(parents=True)
    (empty / "val").mkdir()
    result = cli("train", "--world", "imagenet", "--root", empty, "--scales", "1",
                 "--workspace", tmp_path / "ws")
    assert result.code == 2 and "no images" in result.err
    result = cli("world-info", "imagenet", "--root", tmp_path / "missing")
    assert result.code == 2 and "not a directory" in result.err


def test_worlds_and_world_info(cli):
    assert "mini" in cli("worlds").out
    info = cli("world-info", "mini").out
    assert "pool train: 2000" in info and "ood renditions" in info


@pytest.mark.slow
def test_mini_real_curve_meets_the_issue_bar(cli, tmp_path):
    """The curve in docs/training.md: loss falls at every scale and top-1 ≥ 0.95 at D = 2,000."""
    result = cli("train", "--world", "mini", "--data", "real", "--scales", "125,250,500,1000,2000",
                 "--seed", "0", "--workspace", tmp_path, "--json")
    runs = result.json_lines()
    losses = [r["val_loss"] for r in runs]
    assert all(b < a for a, b in itertools.pairwise(losses))
    assert runs[-1]["val_top1"] >= 0.95
