"""The study file: configurations by name, and every mistake refused in one line before any work."""

from __future__ import annotations

import pytest

from synscale.errors import ConfigError
from synscale.study.config import StudyConfig, load_study


def test_grid_names_every_combination_then_the_extra_entries():
    study = StudyConfig.model_validate({
        "generation": {"grid": [{"generator": ["mini-pixel", "mini-latent"], "cfg": [0, 1.5],
                                 "prompts": ["classname"]}],
                       "extra": [{"name": "mine", "generator": "mini-masked", "cfg": 3,
                                  "prompts": "captions"}]}})
    names = [c.name for c in study.configurations()]
    assert names == ["pixel-classname-cfg0", "pixel-classname-cfg1.5", "latent-classname-cfg0",
                     "latent-classname-cfg1.5", "mine"]


def test_study_name_defaults_to_the_file_stem(tmp_path):
    path = tmp_path / "my-study.yaml"
    path.write_text("world: mini\n")
    assert load_study(path).name == "my-study"


@pytest.mark.parametrize(("change", "message"), [
    ({"colour": "blue"}, "unknown key 'colour'"),
    ({"curves": [{"name": "c", "data": "nope", "scales": [10]}]}, "data 'nope' is neither"),
    ({"curves": [{"name": "c", "data": "real", "real": 10, "scales": [10]}]}, "must name one"),
    ({"curves": [{"name": "a", "data": "real", "scales": [10]},
                 {"name": "a", "data": "real", "scales": [20]}]}, "'a' is used twice"),
    ({"generation": {"grid": [{"generator": ["mini-pixel"], "cfg": [-1], "prompts": ["classname"]}]}},
     "CFG must be a finite number"),
    ({"curves": [{"name": "c d", "data": "real", "scales": [10]}]}, "may hold only"),
])
def test_bad_study_files_are_config_errors(study_writer, tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        load_study(study_writer(tmp_path, **change))


@pytest.mark.parametrize(("change", "message"), [
    ({"generation": {"grid": [{"generator": ["mini-nope"], "cfg": [1], "prompts": ["classname"]}]},
      "curves": []}, "unknown generator 'mini-nope'; valid choices: diffusers, mini-latent"),
    ({"generation": {"grid": [{"generator": ["mini-pixel"], "cfg": [1], "prompts": ["nope"]}]},
      "curves": []}, "unknown prompt strategy 'nope'"),
    ({"curves": [{"name": "big", "data": "real", "scales": [125, 5000]}]},
     "curve 'big': scale 5000 is larger than the real pool"),
    ({"curves": [{"name": "m", "data": "pixel-classname-cfg4", "real": 9999, "scales": [0]}]},
     "curve 'm': R = 9999 real images"),
    ({"curves": [{"name": "r", "data": "real", "model": "no_such_net", "scales": [10]}]},
     "unknown model 'no_such_net'"),
    ({"ood": ["imagenet-a"]}, "unknown OOD set of world 'mini' 'imagenet-a'"),
])
def test_bad_study_fails_in_one_line_and_creates_nothing(cli, study_writer, tmp_path, change,
                                                        message):
    workspace = tmp_path / "ws"
    for command in (["study", "run"], ["study", "plan", "--no-calibrate"]):
        result = cli(*command, study_writer(tmp_path, **change), "-w", workspace)
        assert result.code == 2, result.out
        assert message in result.err and len(result.err.strip().splitlines()) == 1, result.err
        assert "Traceback" not in result.err
        assert not workspace.exists()


def test_missing_study_file_and_status_of_an_empty_workspace(cli, tmp_path):
    result = cli("study", "run", tmp_path / "nope.yaml", "-w", tmp_path / "ws")
    assert result.code == 2 and "config file not found" in result.err
    result = cli("study", "status", "-w", tmp_path / "ws")
    assert result.code == 2 and "does not exist" in result.err


def test_bad_generation_settings_name_their_configuration(cli, study_writer, tmp_path):
    study = study_writer(tmp_path, generation={
        "batch_size": 300, "shard_size": 1000,
        "grid": [{"generator": ["mini-pixel"], "cfg": [1], "prompts": ["classname"]}]}, curves=[])
    result = cli("study", "plan", study, "--no-calibrate", "-w", tmp_path / "ws")
    assert result.code == 2 and "configuration 'pixel-classname-cfg1'" in result.err
    assert "must be a multiple of batch_size" in result.err
    study = study_writer(tmp_path, generation={"grid": [{
        "generator": ["mini-pixel"], "cfg": [1], "prompts": ["classname"],
        "generator_options": {"weights": str(tmp_path / "none")}}]}, curves=[])
    result = cli("study", "plan", study, "--no-calibrate", "-w", tmp_path / "ws")
    assert result.code == 2 and "configuration 'pixel-classname-cfg1': no mini generator weights" \
        in result.err


def test_a_curve_may_bring_its_own_recipe_and_model(study_writer, tmp_path):
    from synscale.study.plan import build_plan
    from synscale.workspace import Workspace

    study = load_study(study_writer(tmp_path, generation={"grid": []}, curves=[
        {"name": "a", "data": "real", "scales": [125]},
        {"name": "b", "data": "real", "scales": [125], "model": "mini_vit",
         "recipe": {"lr": 0.001, "schedule": {"small_iterations": 7, "large_iterations": 9,
                                              "min_iterations": 1}}}]))
    plan = build_plan(study, Workspace(tmp_path / "ws"))
    by_curve = {names[0]: plan.runs[rid] for rid, names in plan.run_curves.items()}
    assert by_curve["a"].recipe.model == "mini_resnet" and by_curve["a"].recipe.lr == 3e-3
    assert by_curve["b"].recipe.model == "mini_vit" and by_curve["b"].recipe.lr == 0.001
    assert by_curve["b"].iterations == 7 and by_curve["a"].run_id != by_curve["b"].run_id
