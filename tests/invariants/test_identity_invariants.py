"""An artifact's identity changes when, and only when, something that decides its content changes.

A stored run, dataset or reference classifier is found again by the digest of its identity. If a
deciding input were left out of it, two different artifacts would share one folder and one row
of the store (a second seed would silently reuse the first seed's run); if a non-deciding input
were in it, work would be redone for nothing. Each test varies one input at a time, and the
property tests vary several at once and check "equal digests <=> equal inputs".
"""

from __future__ import annotations

import dataclasses
import itertools
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
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
from synscale.train.sources import (
    VALID_FORMS,
    TrainingData,
    real_data,
    resolve_training_data,
    synthetic_data,
)
from synscale.workspace import CONFIG_FILE, Workspace

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



def test_reference_identity_changes_with_the_data_root_and_its_files(tmp_path):
    """A reference trained on one ImageNet root is not the reference of another root, nor of the
    same root after its files changed."""
    from PIL import Image

    from synscale.train.runs import resolve_recipe
    from synscale.worlds import get_world

    def digest(root: Path) -> str:
        world = get_world("imagenet", root=str(root))
        return reference_digest(world, resolve_recipe(TrainRecipe(model="mini_resnet"), world), 0)

    a, b = _image_root(tmp_path / "a", 200), _image_root(tmp_path / "b", 200)
    first = digest(a)
    assert digest(a) == first and digest(b) != first
    Image.new("RGB", (8, 8)).save(a / "val" / "n01440764" / "new.JPEG")
    assert digest(a) != first


def test_a_reference_artifact_records_what_it_was_trained_on(mini_world, tiny_recipe, tmp_path):
    """Its name and identity (kept in the artifact's config.json): the world, its real train pool,
    the seed, the resolved recipe and, for a world read from a data root, that root's fingerprint."""
    from synscale.train.runs import resolve_recipe
    from synscale.worlds import get_world

    assert reference_identity(mini_world, tiny_recipe, 3) == ("mini-mini_resnet", {
        "world": "mini", "pool": "train", "seed": 3, "recipe": tiny_recipe.model_dump(mode="json")})
    imagenet = get_world("imagenet", root=str(_image_root(tmp_path / "root", 200)))
    recipe = resolve_recipe(TrainRecipe(model="mini_resnet"), imagenet)
    name, identity = reference_identity(imagenet, recipe, 0)
    assert name == "imagenet-mini_resnet" and identity["world_data"] == imagenet.fingerprint()
    assert identity["world_data"]["root"] == str((tmp_path / "root").resolve())

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


# --- training data ----------------------------------------------------------------------------

GREY_IMAGES = 128  # 8x8 grey; 1.5 MiB once decoded in the RGB 64 px format of ``RGB64``
RGB64 = SimpleNamespace(name="rgb64", channels=3, image_size=64)  # a world's format, no real pool


def _write_synthetic(folder: Path, n: int) -> Path:
    """A finished synthetic dataset of ``n`` seeded grey 8x8 images of classes ``i % 10``, in
    synscale's format (PNG shards of 50, manifest, card, config)."""
    import pandas as pd

    from synscale.data.manifest import write_card, write_manifest
    from synscale.data.shards import Sample, encode_png, sha256, shard_name, write_shard

    pixels = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (n, 1, 8, 8), dtype=np.uint8))
    folder.mkdir(parents=True)
    rows, shards = [], {}
    for i in range(n):
        png, shard = encode_png(pixels[i]), shard_name(i // 50)
        shards.setdefault(shard, []).append(Sample(i, png, {"class_id": i % 10}))
        rows.append({"id": i, "class_id": i % 10, "class_name": "c", "prompt": "p", "seed": i,
                     "generator": "test", "cfg": 1.0, "scheduler": "none", "steps": 1,
                     "shard": shard, "sha256": sha256(png)})
    for shard, samples in shards.items():
        write_shard(folder / shard, samples)
    write_manifest(folder / "manifest.parquet", pd.DataFrame(rows))
    write_card(folder / "card.json", {"images": n, "image": {"channels": 1}, "config": {}})
    (folder / CONFIG_FILE).write_text("{}")
    return folder


@pytest.fixture(scope="module")
def grey(tmp_path_factory) -> tuple[Workspace, Path]:
    """A workspace holding one synthetic dataset, ``datasets/grey-8px-0123abcd``."""
    root = tmp_path_factory.mktemp("ws")
    return Workspace(root), _write_synthetic(root / "datasets" / "grey-8px-0123abcd", GREY_IMAGES)


def _pixels(images) -> tuple[torch.Tensor, list[int]]:
    """Every image and label of a set, read one by one (the way a loader reads it)."""
    items = [images[i] for i in range(len(images))]
    return torch.stack([image for image, _ in items]), [label for _, label in items]


def test_a_data_spec_resolves_to_the_data_it_names(mini_world, grey):
    """``real``, ``syn:NAME`` (a prefix of the name in the workspace, or the folder) and
    ``realR+syn:NAME`` name the data, its identity, its real and synthetic parts and its sizes."""
    workspace, folder = grey
    name, pool = folder.name, mini_world.pool_size("train")
    real = TrainingData("real", {"world": "mini", "pool": "train"}, 0, None, 0)
    syn = TrainingData(f"syn:{name}", {"dataset": name}, 0, str(folder), GREY_IMAGES)
    assert resolve_training_data(mini_world, "real", workspace) == real
    assert resolve_training_data(mini_world, "syn:grey-8px", workspace) == syn
    assert resolve_training_data(mini_world, f"syn:{folder}", workspace) == syn
    for r in (1, 30, pool):  # R from one image to the whole real pool
        assert resolve_training_data(mini_world, f"real{r}+syn:grey", workspace) == TrainingData(
            f"real{r}+syn:{name}", {"real": {"world": "mini", "pool": "train"}, "real_images": r,
                                    "synthetic": {"dataset": name}}, r, str(folder), GREY_IMAGES)
    mix = resolve_training_data(mini_world, "real30+syn:grey", workspace)
    assert [(d.kind, d.pool_size(mini_world), d.sizes(50)) for d in (real, syn, mix)] == [
        ("real", pool, (50, 50, 0)), ("syn", GREY_IMAGES, (50, 0, 50)), ("mix", GREY_IMAGES, (80, 30, 50))]


def test_a_bad_data_spec_is_one_error_naming_it_and_the_valid_forms(mini_world, grey):
    from synscale.errors import ConfigError, DataError

    workspace, folder = grey
    for spec in ("synthetic:grey", "Real", "real+syn:grey", "realx+syn:grey", "syn:"):
        with pytest.raises((ConfigError, DataError)) as refused:
            resolve_training_data(mini_world, spec, workspace)
        assert len(str(refused.value).splitlines()) == 1
        if refused.type is ConfigError:
            assert repr(spec) in str(refused.value)
            assert str(refused.value).endswith("valid: " + ", ".join(VALID_FORMS))
    pool = mini_world.pool_size("train")
    with pytest.raises(ConfigError, match=f"^R = {pool + 1} real images: .* {pool} images$"):
        resolve_training_data(mini_world, f"real{pool + 1}+syn:grey", workspace)
    with pytest.raises(ConfigError, match="^R = 5 real images"):  # a mix without a world's pool
        synthetic_data(folder.name, folder, GREY_IMAGES, 5)
    with pytest.raises(ConfigError, match="^R = 1 real images"):
        synthetic_data(folder.name, folder, GREY_IMAGES, 1)


def test_synthetic_training_images_are_the_seeded_nested_subset_in_the_worlds_format(grey):
    """Held in memory or streamed from the shards: the same images, converted to the world's
    channels and size, the nested subset of the run's seed; the real pool is never read."""
    from synscale.data.subsets import nested_subset
    from synscale.data.synthetic import SyntheticDataset
    from synscale.train.setup import TrainSetup

    workspace, folder = grey
    data = resolve_training_data(RGB64, "syn:grey", workspace)  # type: ignore[arg-type]
    every = SyntheticDataset(folder).load(channels=3, image_size=64)
    for seed in (0, 1):
        expected = every.subset(nested_subset(every.label_array, 40, seed))
        for stream in ("never", "always"):
            images, labels = _pixels(data.subset(RGB64, 40, seed, TrainSetup(stream=stream)))  # type: ignore[arg-type]
            assert images.shape == (40, 3, 64, 64), stream
            assert torch.equal(images, expected.images) and labels == expected.labels.tolist(), stream


def test_auto_streams_the_synthetic_sets_larger_than_its_threshold(mini_world, grey):
    """``stream: auto`` holds a set in memory up to ``stream_above_mb`` of decoded images in the
    world's format (here 1.5 MiB) and reads a larger one from its shards."""
    from synscale.data.datasets import LabeledImages
    from synscale.train.setup import TrainSetup

    workspace, _ = grey
    data = resolve_training_data(RGB64, "syn:grey", workspace)  # type: ignore[arg-type]
    held = {mb: isinstance(data.subset(RGB64, 20, 0, TrainSetup(stream_above_mb=mb)), LabeledImages)  # type: ignore[arg-type]
            for mb in (1, 2)}
    assert held == {1: False, 2: True}


def test_a_mix_trains_on_r_real_images_then_the_synthetic_ones(mini_world, grey):
    """``real30+syn:NAME`` at scale S: the run seed's 30 real images (the same for every S), then
    its S synthetic ones in the world's format; S = 0 is the real images alone."""
    from synscale.data.subsets import nested_subset
    from synscale.data.synthetic import SyntheticDataset
    from synscale.train.setup import TrainSetup

    workspace, folder = grey
    mix = resolve_training_data(mini_world, "real30+syn:grey", workspace)
    pool = mini_world.pool("train")
    every = SyntheticDataset(folder).load(channels=1, image_size=16)
    for seed in (0, 1):
        real = pool.subset(nested_subset(pool.label_array, 30, seed))
        synthetic = every.subset(nested_subset(every.label_array, 20, seed))
        expected = {0: (real.images, real.labels.tolist()),
                    20: (torch.cat([real.images, synthetic.images]),
                         real.labels.tolist() + synthetic.labels.tolist())}
        for (scale, (want_images, want_labels)), stream in itertools.product(
                expected.items(), ("never", "always")):
            images, labels = _pixels(mix.subset(mini_world, scale, seed, TrainSetup(stream=stream)))
            assert torch.equal(images, want_images) and labels == want_labels, (scale, stream)
