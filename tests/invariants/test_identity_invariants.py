"""An artifact's identity changes when, and only when, something that decides its content changes.

A stored run, dataset or reference classifier is found again by the digest of its identity. If a
deciding input were left out of it, two different artifacts would share one folder and one row
of the store (a second seed would silently reuse the first seed's run); if a non-deciding input
were in it, work would be redone for nothing. Each test varies one input at a time, and the
property tests vary several at once and check "equal digests <=> equal inputs".
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synscale.generators import GENERATORS
from synscale.generators.stage.dataset import KIND as DATASETS
from synscale.generators.stage.dataset import resolved_config
from synscale.generators.stage.plan import GenerateConfig
from synscale.train.classifier import TrainRecipe
from synscale.train.reference import reference_identity, reference_key
from synscale.train.runs import CurveConfig, RunTask, plan_runs
from synscale.train.schedule import Schedule
from synscale.train.sources import real_data, synthetic_data
from synscale.workspace import Workspace

FAST = settings(max_examples=40, deadline=None, database=None)


# --- runs -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def base_task(mini_world, tiny_recipe, tmp_path_factory) -> RunTask:
    return RunTask("mini", None, real_data(mini_world), 100, 0, tiny_recipe,
                   str(tmp_path_factory.mktemp("ws")))


def _recipe_changes(recipe: TrainRecipe) -> dict[str, TrainRecipe]:
    schedule = recipe.schedule
    return {
        "model": recipe.model_copy(update={"model": "mini_resnet_wide"}),
        "augment": recipe.model_copy(update={"augment": "none"}),
        "batch_size": recipe.model_copy(update={"batch_size": recipe.batch_size + 1}),
        "lr": recipe.model_copy(update={"lr": recipe.lr * 2}),
        "weight_decay": recipe.model_copy(update={"weight_decay": recipe.weight_decay + 0.01}),
        "warmup_fraction": recipe.model_copy(update={"warmup_fraction": 0.2}),
        "label_smoothing": recipe.model_copy(update={"label_smoothing": 0.1}),
        **{f"schedule.{field}": recipe.model_copy(update={"schedule": schedule.model_copy(
            update={field: getattr(schedule, field) + 1})})
           for field in ("small_scale", "small_iterations", "large_scale", "large_iterations",
                         "min_iterations")},
    }


def test_run_id_changes_with_every_deciding_input(base_task, mini_world, tmp_path):
    changed = {
        "world": dataclasses.replace(base_task, world="imagenet"),
        "scale": dataclasses.replace(base_task, scale=101),
        "seed": dataclasses.replace(base_task, seed=1),
        "data: synthetic": dataclasses.replace(
            base_task, data=synthetic_data("pixel-a", tmp_path / "pixel-a", 1000)),
        "data: another synthetic": dataclasses.replace(
            base_task, data=synthetic_data("pixel-b", tmp_path / "pixel-b", 1000)),
        "data: real R=100 + synthetic": dataclasses.replace(
            base_task, data=synthetic_data("pixel-a", tmp_path / "pixel-a", 1000, 100, mini_world)),
        "data: real R=200 + synthetic": dataclasses.replace(
            base_task, data=synthetic_data("pixel-a", tmp_path / "pixel-a", 1000, 200, mini_world)),
        **{f"recipe.{name}": dataclasses.replace(base_task, recipe=recipe)
           for name, recipe in _recipe_changes(base_task.recipe).items()},
    }
    ids = {name: task.run_id for name, task in changed.items()}
    assert base_task.run_id not in ids.values(), [n for n, i in ids.items() if i == base_task.run_id]
    assert len(set(ids.values())) == len(ids)  # and no two changes collide with each other
    # What a run is called follows its identity too: a stored row names the run it holds.
    assert len({t.name for n, t in changed.items() if not n.startswith(("recipe", "data"))}) == 3


def test_run_id_ignores_what_does_not_decide_the_run(base_task, tmp_path):
    """Where the workspace is, how many threads train it and the training setup (device,
    streaming, checkpoints: the same numbers on CPU) do not change the run; a recipe that spells
    out its defaults is the same recipe."""
    from synscale.train.setup import TrainSetup

    assert dataclasses.replace(base_task, workspace=str(tmp_path)).run_id == base_task.run_id
    assert dataclasses.replace(base_task, threads=3).run_id == base_task.run_id
    setup = TrainSetup(device="cpu", stream="always", checkpoint_every=7)
    assert dataclasses.replace(base_task, setup=setup).run_id == base_task.run_id
    spelled = TrainRecipe.model_validate(base_task.recipe.model_dump())
    assert dataclasses.replace(base_task, recipe=spelled).run_id == base_task.run_id


def _image_root(folder: Path, shade: int) -> Path:
    """A two-class ImageNet-layout root (train/ and val/ by WordNet id) of 8x8 JPEGs."""
    from PIL import Image

    for split in ("train", "val"):
        for wnid in ("n01440764", "n01443537"):
            (folder / split / wnid).mkdir(parents=True)
            for i in range(2):
                Image.new("RGB", (8, 8), (shade, 10 * i, 0)).save(folder / split / wnid / f"{i}.JPEG")
    return folder


def test_run_id_changes_with_the_data_root_and_its_files(tmp_path):
    """Two ImageNet roots are two datasets; so is one root whose files changed."""
    from PIL import Image

    from synscale.train.runs import world_fingerprint

    a, b = _image_root(tmp_path / "a", 200), _image_root(tmp_path / "b", 200)

    def run_id(root: Path) -> str:
        world_fingerprint.cache_clear()  # the fingerprint is cached per process, by root
        config = CurveConfig(world="imagenet", world_root=str(root), scales=[2],
                             recipe=TrainRecipe(model="mini_resnet"))
        task = plan_runs(config, Workspace(tmp_path / "ws"))[0]
        assert task.world_root == str(root)
        return task.run_id

    first = run_id(a)
    assert run_id(a) == first and run_id(b) != first
    Image.new("RGB", (8, 8)).save(a / "val" / "n01440764" / "new.JPEG")
    assert run_id(a) != first


def test_a_batch_that_does_not_split_over_workers_is_refused(tmp_path):
    from synscale.errors import ConfigError

    config = CurveConfig(scales=[50], recipe=TrainRecipe(batch_size=64),
                         setup={"workers_per_run": 3})
    with pytest.raises(ConfigError, match="batch size 64 does not split evenly over 3 workers"):
        plan_runs(config, Workspace(tmp_path))


def test_scales_are_checked_against_their_data(mini_world, tmp_path):
    """Scale 0 only for a mix (R real images, no synthetic one); no scale beyond the pool."""
    from synscale.errors import DataError
    from synscale.train.runs import check_scales

    real = real_data(mini_world)
    mix = synthetic_data("pixel", tmp_path, 300, 100, mini_world)
    check_scales(mix, [0, 1, 300], mini_world)
    check_scales(real, [1, len(mini_world.pool("train"))], mini_world)
    with pytest.raises(DataError, match="scale 0 is only meaningful for a real"):
        check_scales(real, [0, 50], mini_world)
    with pytest.raises(DataError, match="^scale 2001 is larger than the real pool"):
        check_scales(real, [50, 2001], mini_world)
    with pytest.raises(DataError, match="^synthetic images added 301 is larger"):
        check_scales(mix, [301], mini_world)


@FAST
@given(st.tuples(st.sampled_from([50, 100]), st.integers(0, 2), st.sampled_from(["a", "b"]),
                 st.sampled_from([1e-3, 2e-3])),
       st.tuples(st.sampled_from([50, 100]), st.integers(0, 2), st.sampled_from(["a", "b"]),
                 st.sampled_from([1e-3, 2e-3])))
def test_run_ids_equal_exactly_when_runs_are_equal(base_task, one, other):
    def task(scale: int, seed: int, data: str, lr: float) -> RunTask:
        return dataclasses.replace(base_task, scale=scale, seed=seed,
                                   data=synthetic_data(data, f"/datasets/{data}", 1000),
                                   recipe=base_task.recipe.model_copy(update={"lr": lr}))

    assert (task(*one).run_id == task(*other).run_id) == (one == other)


def test_a_curve_plans_one_run_per_scale_with_its_own_seed(tmp_path):
    from synscale.train.setup import TrainSetup

    workspace = Workspace(tmp_path)
    runs = {seed: plan_runs(CurveConfig(scales=[50, 100], seed=seed), workspace) for seed in (0, 1)}
    assert [t.seed for t in runs[1]] == [1, 1] and [t.scale for t in runs[1]] == [50, 100]
    setup = TrainSetup(checkpoint_every=7)
    task = plan_runs(CurveConfig(scales=[50], setup=setup), workspace, threads=2)[0]
    assert (task.threads, task.setup, task.workspace) == (2, setup, str(tmp_path))
    assert not {t.run_id for t in runs[0]} & {t.run_id for t in runs[1]}
    assert [t.run_id for t in runs[0]] == [t.run_id for t in plan_runs(
        CurveConfig(scales=[100, 50, 50], seed=0), workspace)]


@FAST
@given(st.dictionaries(st.text(min_size=1, max_size=5), st.integers() | st.text(max_size=5),
                       min_size=2, max_size=6))
def test_the_digest_does_not_depend_on_key_order(config):
    """``stable_hash``: the same config written in another order is the same config; a path
    hashes as its text (identities hold folders)."""
    from synscale.config import stable_hash

    reordered = dict(reversed(list(config.items())))
    assert stable_hash(reordered) == stable_hash(config)
    assert stable_hash({**config, "at": Path("/data/a")}) == stable_hash({**config, "at": "/data/a"})
    assert stable_hash({**config, "at": Path("/data/a")}) != stable_hash({**config, "at": "/data/b"})


def test_an_artifact_folder_is_its_safe_name_and_digest(tmp_path):
    artifact = Workspace(tmp_path).artifact_path("runs", "mini real/D 125" * 10, {"a": 1})
    assert artifact.path.parent == tmp_path / "runs"
    assert artifact.path.name == ("mini_real_D_125" * 10)[:60] + "-" + artifact.digest


def test_an_artifact_is_found_by_its_config_and_inputs_only(tmp_path):
    """A workspace finds an artifact again exactly when kind, config and inputs are the same."""
    workspace = Workspace(tmp_path)
    with workspace.building("runs", "r", {"a": 1}, ("in-1",)) as folder:
        (folder / "weights").write_text("w")
    found = workspace.find("runs", "r", {"a": 1}, ("in-1",))
    assert found is not None and (found.path / "weights").read_text() == "w"
    assert found.config["inputs"] == ["in-1"] and found.digest in found.path.name
    for other in (("runs", "r", {"a": 2}, ("in-1",)), ("runs", "r", {"a": 1}, ("in-2",)),
                  ("runs", "r", {"a": 1}, ()), ("reference", "r", {"a": 1}, ("in-1",))):
        assert workspace.find(*other) is None, other


# --- synthetic datasets -----------------------------------------------------------------------

def dataset_digest(config: GenerateConfig) -> str:
    """The dataset's artifact digest, computed as ``generate`` and ``study`` compute it."""
    resolved = resolved_config(config, config.generator_spec().identity())
    return Workspace("/unused").artifact_path(DATASETS, config.dataset_name(), resolved).digest


@pytest.fixture(scope="module")
def other_weights(tmp_path_factory) -> Path:
    """A copy of the shipped mini-pixel weights with one byte changed: a retrained generator."""
    from synscale.generators.mini.weights import WEIGHTS_FILE, shipped_weights

    folder = tmp_path_factory.mktemp("weights")
    shutil.copytree(shipped_weights("pixel"), folder, dirs_exist_ok=True)
    data = bytearray((folder / WEIGHTS_FILE).read_bytes())
    data[-1] ^= 1
    (folder / WEIGHTS_FILE).write_bytes(bytes(data))
    return folder


def test_dataset_digest_changes_with_every_deciding_input(other_weights):
    base = GenerateConfig(per_class=20)
    # (The world cannot change alone: a mini generator serves only the mini world.)
    changes = {
        "seed": {"seed": 1},
        "scale": {"per_class": 21},
        "classes": {"classes": [0, 1]},
        "cfg": {"cfg": 2.5},
        "steps": {"steps": 3},
        "prompts": {"prompts": "clip_templates_7"},
        "prompt options": {"prompt_options": {"captioner": "pixels"}},
        "generator": {"generator": "mini-latent"},
        "generator options": {"generator_options": {"guidance_stop": 0.25}},
        "generator weights": {"generator_options": {"weights": str(other_weights)}},
        "class plan": {"class_plan": [{"class_id": 0, "count": 3}]},
        "class plan: count": {"class_plan": [{"class_id": 0, "count": 4}]},
        "class plan: cfg": {"class_plan": [{"class_id": 0, "count": 3, "cfg": 4.0}]},
        "class plan: prompts": {"class_plan": [{"class_id": 0, "count": 3, "prompts": "clip_templates_7"}]},
    }
    digests = {name: dataset_digest(GenerateConfig.model_validate({**base.model_dump(), **c}))
               for name, c in changes.items()}
    assert dataset_digest(base) not in digests.values()
    assert len(set(digests.values())) == len(digests)


def test_dataset_digest_ignores_defaults_spelled_out():
    """steps left to the generator's default, given as ``steps`` or as a generator option: one
    dataset, because one set of images."""
    default_steps = GENERATORS.call("mini-pixel", "identity")["steps"]
    base = GenerateConfig(per_class=20)
    assert dataset_digest(base) == dataset_digest(base.model_copy(update={"steps": default_steps}))
    assert dataset_digest(base) == dataset_digest(
        base.model_copy(update={"generator_options": {"steps": default_steps}}))


def test_generator_identity_fingerprints_its_weights(other_weights):
    from synscale.generators.mini.weights import shipped_weights

    shipped = GENERATORS.call("mini-pixel", "identity")
    assert GENERATORS.call("mini-pixel", "identity", weights=str(shipped_weights("pixel"))) == shipped
    assert GENERATORS.call("mini-pixel", "identity", weights=str(other_weights)) != shipped


# --- reference classifiers --------------------------------------------------------------------

def reference_digest(world, recipe: TrainRecipe, seed: int) -> str:
    return Workspace("/unused").artifact_path("reference", *reference_identity(world, recipe, seed)).digest


def test_reference_identity_changes_with_seed_and_recipe(mini_world, tiny_recipe):
    base = reference_digest(mini_world, tiny_recipe, 0)
    others = [reference_digest(mini_world, tiny_recipe, 1)] + [
        reference_digest(mini_world, recipe, 0) for recipe in _recipe_changes(tiny_recipe).values()]
    assert base not in others and len(set(others)) == len(others)
    assert reference_digest(mini_world, TrainRecipe.model_validate(tiny_recipe.model_dump()), 0) == base


@FAST
@given(st.tuples(st.sampled_from(["mini_resnet", "mini_resnet_wide"]), st.integers(0, 2),
                 st.sampled_from([None, "a.safetensors", "b.safetensors"]),
                 st.sampled_from([None, 100, 200])),
       st.tuples(st.sampled_from(["mini_resnet", "mini_resnet_wide"]), st.integers(0, 2),
                 st.sampled_from([None, "a.safetensors", "b.safetensors"]),
                 st.sampled_from([None, 100, 200])))
def test_reference_keys_equal_exactly_when_references_are_equal(one, other):
    """Measurements are stored under the reference's key: two references that score differently
    must not share one (weights, when given, decide alone)."""
    def key(model: str, seed: int, weights: str | None, iterations: int | None) -> str:
        schedule = None if iterations is None else Schedule(large_iterations=iterations + 1000)
        return reference_key(model, seed, weights, schedule)

    def decides(model: str, seed: int, weights: str | None, iterations: int | None) -> tuple:
        return (weights,) if weights else (model, seed, iterations)

    assert (key(*one) == key(*other)) == (decides(*one) == decides(*other))
