"""Issue 17's checks at the edge, through the real command line: a flag beats the file, a
generator that cannot serve the world is refused, non-finite numbers are refused, a small set
is measured at what it has, regenerate writes where its help says."""

from __future__ import annotations

import json

import pytest
from cli_harness import dataset_folder, invoke


def test_generator_that_cannot_serve_the_world_is_refused_before_any_work(tmp_path):
    ws = tmp_path / "ws"
    result = invoke(["generate", "--world", "imagenet", "--generator", "mini-pixel", "-w", ws])
    assert result.code == 2
    assert result.err.strip() == ("error: generator 'mini-pixel' makes 1x16x16 images, world "
                                  "'imagenet' needs 3x224x224; generators that serve it: diffusers")
    assert not ws.exists()


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e400"])
def test_cfg_must_be_finite(tmp_path, value):
    ws = tmp_path / "ws"
    result = invoke(["generate", "--cfg", value, "-w", ws])
    assert result.code == 2 and result.err.count("\n") == 1
    assert f"--cfg': must be a finite number, got {value}" in result.err
    assert not ws.exists()


def test_non_finite_value_from_set_or_file_names_its_origin(tmp_path):
    config = tmp_path / "gen.yaml"
    config.write_text("cfg: .inf\n")
    from_file = invoke(["generate", "--config", config, "-w", tmp_path / "ws"])
    assert from_file.code == 2 and f"error: {config}: cfg: must be a finite number" in from_file.err
    from_set = invoke(["generate", "--set", "cfg=.nan", "-w", tmp_path / "ws"])
    assert from_set.code == 2 and "error: --set cfg=nan: cfg: must be a finite number" in from_set.err


def test_flag_beats_file_and_set_beats_flag(tmp_path, tiny_workspace):
    """Precedence through the real command: the file asks for scales 20,40 and a bad model;
    the flags give scale 20 and a good model; nothing new is trained (20 is stored)."""
    config = tmp_path / "curve.yaml"
    config.write_text("scales: [20, 40, 10000]\nrecipe:\n  model: no_such_model\n"
                      "  schedule:\n    small_iterations: 10\n    large_iterations: 12\n"
                      "    min_iterations: 5\n")
    result = invoke(["train", "--config", config, "--scales", "20", "--model", "mini_resnet",
                     "-w", tiny_workspace, "--json"])
    assert result.code == 0, result.err
    assert [json.loads(line)["scale"] for line in result.out.splitlines()] == [20]
    overridden = invoke(["train", "--config", config, "--scales", "20", "--model", "mini_resnet",
                         "--set", "scales=[-3]", "-w", tiny_workspace])
    assert overridden.code == 2 and "error: --set scales=-3: scales:" in overridden.err
    unknown = invoke(["train", "--config", config, "--set", "recipe.learning_rate=1", "-w", tiny_workspace])
    assert unknown.code == 2
    assert unknown.err.startswith("error: --set recipe.learning_rate=1: unknown key 'recipe.learning_rate'")


def test_measure_scores_what_a_small_set_has_and_says_so(tiny_workspace, heavy_work_stopped):
    """The tiny dataset has 2 images per class: without --per-class, measure goes on with 2 (the
    reference classifier's training is where the stub stops it); with --per-class 3 it refuses."""
    folder = dataset_folder(tiny_workspace)
    result = invoke(["measure", folder, "-w", tiny_workspace, "--quiet"])
    assert result.stopped, result.err
    assert "note: " in result.err and "fewer than the default 50; measuring 2 per class" in result.err
    refused = invoke(["measure", folder, "--per-class", "3", "-w", tiny_workspace])
    assert refused.code == 2 and "fewer than the 3 per class asked for" in refused.err


def test_regenerate_writes_where_its_help_says(tiny_workspace, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = dataset_folder(tiny_workspace)
    result = invoke(["regenerate", folder, "3", "--json"])
    assert result.code == 0, result.err
    expected = tiny_workspace / "regenerated" / folder.name / "3.png"
    assert json.loads(result.out)["path"] == str(expected) and expected.is_file()
    assert list(tmp_path.iterdir()) == []  # nothing in the current directory
    through_file = invoke(["regenerate", folder, "3", "--out", expected / "x.png"])
    assert through_file.code == 2 and "--out" in through_file.err


def test_train_on_a_generated_set_by_name_prefix(tiny_workspace, heavy_work_stopped):
    """--data syn:<prefix of the dataset's name> (as the README shows) resolves the dataset and
    gets past every check; the training stub stops it there."""
    result = invoke(["train", "--data", "syn:mini-pixel-classname-cfg2-n2", "--scales", "10",
                     "-w", tiny_workspace, "--quiet"])
    assert result.stopped, result.err
    missing = invoke(["train", "--data", "syn:mini-latent", "--scales", "10", "-w", tiny_workspace])
    assert missing.code == 2 and "no synthetic dataset 'mini-latent'" in missing.err


def test_study_set_layer_is_named(tmp_path):
    study = tmp_path / "s.yaml"
    study.write_text("name: s\ncurves:\n  - name: r\n    data: real\n    scales: [20]\n")
    unknown = invoke(["study", "plan", study, "--set", "curvez=1", "--no-calibrate", "-w", tmp_path / "ws"])
    assert unknown.code == 2
    assert unknown.err.startswith("error: --set curvez=1: unknown key 'curvez'; valid keys: ")
    bad = invoke(["study", "plan", study, "--set", "measure.per_class=0", "--no-calibrate",
                  "-w", tmp_path / "ws"])
    assert bad.code == 2 and bad.err.startswith("error: --set measure.per_class=0: measure.per_class:")
    assert not (tmp_path / "ws").exists()


def test_results_of_a_folder_without_a_store_say_so_and_leave_no_store(tmp_path):
    result = invoke(["results", "-w", tmp_path])
    assert result.code == 2
    assert result.err == (f"error: workspace {tmp_path} has no results store yet; train a curve or "
                          "run a study first\n")
    assert list(tmp_path.iterdir()) == []
    missing = invoke(["results", "-w", tmp_path / "nowhere"])
    assert missing.code == 2 and "does not exist" in missing.err and not (tmp_path / "nowhere").exists()
