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


TINY = {"name": "p", "world": "mini", "reference_scale": 20, "ood": [],
        "generation": {"steps": 1, "batch_size": 10, "shard_size": 10,
                       "grid": [{"generator": ["mini-pixel"], "cfg": [2], "prompts": ["classname"],
                                 "generator_options": {"steps": 2}}]},
        "recipe": {"batch_size": 8},
        "curves": [{"name": "real", "data": "real", "scales": [50, 100]},
                   {"name": "syn", "data": "pixel-classname-cfg2", "scales": [10, 40]}]}


def tiny_plan(tmp_path, **changes):
    from synscale.config import build
    from synscale.study.plan import build_plan
    from synscale.workspace import Workspace

    return build_plan(build(StudyConfig, {**TINY, **changes}), Workspace(tmp_path / "ws"))


def test_a_plan_gives_every_run_and_dataset_the_study_settings(tmp_path):
    """Each dataset is the one ``synscale generate`` makes for the same settings, sized for its
    largest use (D_I, the measured images per class, the largest scale trained on it); every
    run trains in the study's workspace with its threads per run; a grid run is the curve run
    on the same data at D_I; the reference classifier gets the study's model and schedule."""
    from synscale.generators.mini.weights import shipped_weights
    from synscale.generators.stage.dataset import KIND, resolved_config
    from synscale.train.classifier import TrainRecipe
    from synscale.train.runs import resolve_recipe
    from synscale.train.schedule import Schedule
    from synscale.train.sources import synthetic_data

    schedule = Schedule(small_iterations=3, large_iterations=5, min_iterations=1)
    options = {"steps": 2, "weights": str(shipped_weights("pixel"))}
    grid = [dict(TINY["generation"]["grid"][0], generator_options=options)]
    plan = tiny_plan(tmp_path, measure={"per_class": 5}, execution={"threads_per_run": 2},
                     reference={"model": "mini_vit", "schedule": schedule.model_dump()},
                     generation=dict(TINY["generation"], grid=grid))
    item = plan.datasets["pixel-classname-cfg2"]
    assert (item.generate.per_class, item.images) == (5, 50)  # 5 measured per class > D_I, > 40
    assert item.generate.generator_options == options
    identity = item.generate.generator_spec().identity()  # as generate_dataset computes it
    expected = plan.workspace.artifact_path(KIND, item.generate.dataset_name(),
                                            resolved_config(item.generate, identity))
    assert item.path == expected.path
    assert {(t.workspace, t.threads) for t in plan.runs.values()} == {(str(plan.workspace.root), 2)}
    grid = [plan.runs[rid] for rid, names in plan.run_curves.items() if "grid" in names]
    assert [t.data for t in grid] == [synthetic_data(item.name, item.path, 50)]
    assert (plan.reference_recipe.model, plan.reference_recipe.schedule) == ("mini_vit", schedule)
    default = tiny_plan(tmp_path, measure={"per_class": 3})
    assert default.datasets["pixel-classname-cfg2"].generate.per_class == 4  # the scale 40
    assert default.reference_recipe == resolve_recipe(TrainRecipe(), default.world)


def test_reference_settings_are_checked_against_the_pool_and_the_disk(tmp_path):
    from synscale.worlds import get_world

    pool = len(get_world("mini").pool("train"))
    assert tiny_plan(tmp_path, reference_scale=pool, curves=[]).reference_scale == pool
    with pytest.raises(ConfigError, match=f"reference_scale {pool + 1} is larger than the real "
                                          f"pool \\({pool} images\\)"):
        tiny_plan(tmp_path, reference_scale=pool + 1)
    missing = tmp_path / "missing.safetensors"
    with pytest.raises(ConfigError, match=f"reference.weights: no such file {missing}"):
        tiny_plan(tmp_path, reference={"weights": str(missing)})
    present = tmp_path / "present.safetensors"
    present.write_bytes(b"")
    assert tiny_plan(tmp_path, reference={"weights": str(present)}).study.reference.weights == str(present)


def test_a_clip_section_is_checked_with_the_plan(tmp_path):
    assert tiny_plan(tmp_path, clip={"scales": [10]}).study.clip.scales == [10]
    with pytest.raises(ConfigError, match="clip: scale 99999 is larger than the pair set 'web'"):
        tiny_plan(tmp_path, clip={"scales": [99999]})
