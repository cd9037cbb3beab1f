"""Different seeds give different subsets, images, initialisations and results; the same seed the
same ones, to the byte.

Error bars over seeds are only as honest as this: a bug that made two seeds share a subset, an
initialisation or a stored run would turn three seeds into one run shown three times.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from synscale.data.subsets import nested_order, nested_subset
from synscale.generators import GENERATORS
from synscale.generators.stage.plan import GenerateConfig, Plan, image_seed
from synscale.train.classifier import train_classifier
from synscale.train.runs import RunTask, execute_run
from synscale.train.sources import real_data

FAST = settings(max_examples=40, deadline=None, database=None)
POOL = np.repeat(np.arange(10), 40)


@FAST
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.integers(20, 400))
def test_subsets_differ_between_seeds_and_repeat_within_one(seed, other, scale):
    if scale == len(POOL):  # the whole pool is the same set for every seed; its order is not
        a, b = nested_order(POOL, seed), nested_order(POOL, other)
    else:
        a, b = nested_subset(POOL, scale, seed), nested_subset(POOL, scale, other)
    assert np.array_equal(a, b) == (seed == other)
    assert np.array_equal(nested_subset(POOL, scale, seed), nested_subset(POOL, scale, seed))


def test_training_subsets_of_a_run_follow_its_seed(mini_world):
    data = real_data(mini_world)
    a, b = data.subset(mini_world, 100, 0), data.subset(mini_world, 100, 1)
    assert not torch.equal(a.images, b.images) and (a.name, len(a)) == ("real-D100", 100)
    assert torch.equal(a.images, data.subset(mini_world, 100, 0).images)


@FAST
@given(st.integers(0, 3), st.integers(0, 3), st.integers(0, 5), st.integers(0, 5))
def test_image_seeds_are_distinct_per_dataset_seed_and_image(seed, other_seed, image, other_image):
    same_image = (seed, image) == (other_seed, other_image)
    assert (image_seed(seed, image) == image_seed(other_seed, other_image)) == same_image
    assert image_seed(seed, image) == image_seed(seed, image)
    assert 0 <= image_seed(seed, image) < 2**63


def test_plan_gives_every_image_its_own_seed_from_the_dataset_seed(mini_world):
    plans = {s: Plan.build(GenerateConfig(per_class=4, seed=s), mini_world, None) for s in (0, 1)}
    seeds = {s: [r.seed for r in p.rows] for s, p in plans.items()}
    assert len(set(seeds[0])) == len(seeds[0])  # no two images share noise
    assert not set(seeds[0]) & set(seeds[1])  # a second dataset seed shares no image's noise
    assert seeds[0] == [r.seed for r in Plan.build(GenerateConfig(per_class=4, seed=0),
                                                   mini_world, None).rows]


@pytest.fixture(scope="module")
def generator():
    return GENERATORS.create("mini-pixel", steps=2)


def test_images_follow_their_seed_not_their_batch(generator):
    prompts = ["a photo of the digit three"] * 3
    batch = generator.generate(prompts, [11, 12, 11], 2.0)
    assert torch.equal(batch[0], batch[2])  # same prompt and seed: same bytes
    assert not torch.equal(batch[0], batch[1])  # another seed: another image
    alone = generator.generate(prompts[:1], [12], 2.0)
    assert torch.equal(alone[0], batch[1])  # an image does not depend on its batch-mates


def test_training_seed_decides_the_initialisation(mini_world, tiny_recipe):
    """With a learning rate of 0 the trained parameters are the initial ones."""
    images = real_data(mini_world).subset(mini_world, 40, 0)
    frozen = tiny_recipe.model_copy(update={"lr": 0.0})
    runs = [dict(train_classifier(images, 10, frozen, seed, quiet=True)[0].model.named_parameters())
            for seed in (0, 0, 1)]
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])
    drawn = [k for k, v in runs[0].items() if v.numel() > 1 and float(v.std()) > 0]  # not constants
    assert drawn and all(not torch.equal(runs[0][k], runs[2][k]) for k in drawn)


def test_training_seed_decides_the_batches_and_the_weights(mini_world, tiny_recipe, monkeypatch):
    from synscale.train import classifier as trainer

    batches: dict[int, list[list[int]]] = {}

    class Recorded(trainer.BatchOrder):
        def next(self):
            step = super().next()
            batches[self.seed].append(step.indices.tolist())
            return step

    images = real_data(mini_world).subset(mini_world, 40, 0)
    weights = {}
    for seed in (0, 1, 2):
        def order(*args, _seed=seed, **kwargs):
            recorded = Recorded(*args, **kwargs)
            recorded.seed = _seed
            return recorded

        batches[seed] = []
        monkeypatch.setattr(trainer, "BatchOrder", order)
        run_seed = 0 if seed == 2 else seed  # the third run repeats seed 0
        weights[seed] = train_classifier(images, 10, tiny_recipe, run_seed, quiet=True)[0].model.state_dict()
    assert batches[0] == batches[2] and batches[0] != batches[1]
    assert all(torch.equal(weights[0][k], weights[2][k]) for k in weights[0])
    assert any(not torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


@pytest.fixture(scope="module")
def run_records(mini_world, tiny_recipe, tmp_path_factory):
    """Three real runs (seeds 0, 0 in another workspace, 1) of the already loaded world,
    evaluated on 60 images per set so that they take a few seconds."""
    from synscale.train import runs

    full, train = runs.evaluate, runs.train_classifier
    patch = pytest.MonkeyPatch()
    seen: list[torch.Tensor] = []

    def spy(images, *args, **kwargs):
        seen.append(images.images.clone())
        return train(images, *args, **kwargs)

    patch.setattr(runs, "train_classifier", spy)
    patch.setattr(runs, "evaluate", lambda clf, data, *a, **kw: full(clf, data.subset(range(60)), *a, **kw))
    real_world = runs.get_world
    patch.setattr(runs, "get_world", lambda name, **options: mini_world if (
        name, options.get("root")) == ("mini", None) else real_world(name, **options))
    try:
        task = RunTask("mini", None, real_data(mini_world), 40, 0, tiny_recipe,
                       str(tmp_path_factory.mktemp("a")))
        again = dataclasses.replace(task, workspace=str(tmp_path_factory.mktemp("b")))
        threads = torch.get_num_threads()
        # The other seed's run also asks for its own thread count, which must not outlive it.
        other = dataclasses.replace(task, seed=1, threads=1)
        records = [execute_run(t) for t in (task, again, other)]
        assert torch.get_num_threads() == threads
        return records, seen, task.workspace, [task, again, other]
    finally:
        patch.undo()


def test_a_run_repeats_with_its_seed_and_changes_with_another(run_records):
    (first, again, other), images, workspace, _ = run_records
    assert torch.equal(images[0], images[1]) and not torch.equal(images[0], images[2])
    assert again.run_id == first.run_id and other.run_id != first.run_id
    assert (first.seed, again.seed, other.seed) == (0, 0, 1)
    for name in first.sets:
        assert again.sets[name].loss == first.sets[name].loss
        assert other.sets[name].loss != first.sets[name].loss
    # The stored weights are the run's: found by its id, a classifier over the world's classes.
    spec = json.loads(next(Path(workspace).glob(f"runs/*-{first.run_id}/model.json")).read_text())
    assert spec["num_classes"] == 10



def test_a_stored_run_records_the_run_that_was_trained(run_records, mini_world):
    """The record stored for a run names its world, data, model, scale, seed, steps and identity,
    is evaluated on val and every OOD set, and its folder says how it was trained; the
    checkpoints it wrote while training are gone."""
    (first, _, other), _, workspace, (task, _, other_task) = run_records
    for record, t in ((first, task), (other, other_task)):
        assert (record.run_id, record.world, record.data, record.model, record.scale, record.seed) == (
            t.run_id, "mini", "real", t.recipe.model, 40, t.seed)
        assert record.model == "mini_resnet" and record.config == t.identity
        assert (record.real_images, record.synthetic_images) == (40, 0)
        assert record.iterations == t.iterations == 2
        assert record.train_images_per_s > 0 and record.seconds > 0
        assert 0 <= record.data_wait_fraction <= 1
        assert set(record.sets) == {"val", *mini_world.ood_names()}
        assert not t.checkpoint.parent.exists()
    folder = next(Path(workspace).glob(f"runs/*-{first.run_id}"))
    trained = json.loads((folder / "training.json").read_text())
    assert trained["setup"] == task.setup.model_dump(mode="json")
    assert trained["stats"]["iterations"] == 2 and len(trained["stats"]["losses"]) == 2


def test_a_run_trains_its_own_task_and_records_what_it_trained(mini_world, tiny_recipe, tmp_path,
                                                                monkeypatch):
    """One run, in this test's process: its world (with its data root), subset, seed, recipe,
    setup, checkpoint and thread count reach the trainer; every set is evaluated with the
    recipe's batch size and loader workers; the record holds what was trained and measured, and
    the run's folder holds its weights and its ``training.json``; the checkpoint is gone."""
    from synscale.train import runs
    from synscale.train.setup import TrainSetup
    from synscale.train.sources import TrainingData

    worlds, subsets, trainings, evaluations = [], [], [], {}
    monkeypatch.setattr(runs, "get_world", lambda name, **options: worlds.append(
        (name, options.get("root"))) or mini_world)
    real_subset, train, full = TrainingData.subset, runs.train_classifier, runs.evaluate

    def subset(self, world, scale, seed, setup=None):
        subsets.append((world, scale, seed, setup))
        return real_subset(self, world, scale, seed, setup)

    def spy_train(*args, **kwargs):
        threads = torch.get_num_threads()
        classifier, stats = train(*args, **kwargs)
        trainings.append((args, kwargs, threads, stats, args[6].exists()))
        return classifier, stats

    def spy_evaluate(classifier, data, *args):
        evaluations[data.name] = (data, args, full(classifier, data.subset(range(60)), *args))
        return evaluations[data.name][2]

    monkeypatch.setattr(TrainingData, "subset", subset)
    monkeypatch.setattr(runs, "train_classifier", spy_train)
    monkeypatch.setattr(runs, "evaluate", spy_evaluate)
    setup = TrainSetup(checkpoint_every=1)
    before = torch.get_num_threads()
    own = 1 if before != 1 else 2
    task = RunTask("mini", "/data/mini", real_data(mini_world), 40, 1, tiny_recipe, str(tmp_path),
                   own, setup)
    record = execute_run(task, quiet=True)

    assert set(worlds) == {("mini", "/data/mini")}
    assert subsets == [(mini_world, 40, 1, setup)]
    [(args, kwargs, threads, stats, checkpointed)] = trainings
    assert args[1:] == (10, tiny_recipe, 1, True, setup, task.checkpoint) and not kwargs
    assert len(args[0]) == 40 and threads == own and torch.get_num_threads() == before
    assert checkpointed and not task.checkpoint.parent.exists()  # written while training, then removed
    sets = {"val": mini_world.pool("val"), **{n: mini_world.ood(n) for n in mini_world.ood_names()}}
    assert {name: data for name, (data, _, _) in evaluations.items()}.keys() == {
        data.name for data in sets.values()}
    assert all(a == (tiny_recipe.eval_batch_size, tiny_recipe.loader_workers)
               for _, a, _ in evaluations.values())
    assert record.sets == {name: evaluations[data.name][2] for name, data in sets.items()}
    assert (record.run_id, record.world, record.data, record.model, record.scale, record.seed) == (
        task.run_id, "mini", "real", "mini_resnet", 40, 1)
    assert (record.iterations, record.train_images_per_s, record.data_wait_fraction,
            record.seconds) == (stats.iterations, stats.images_per_s, stats.data_wait_fraction,
                                stats.seconds) and stats.iterations == 2
    assert record.config == task.identity and (record.real_images, record.synthetic_images) == (40, 0)
    folder = next(Path(tmp_path).glob(f"runs/*-{task.run_id}"))
    assert json.loads((folder / "training.json").read_text()) == {
        "setup": setup.model_dump(mode="json"), "stats": json.loads(json.dumps(stats.to_json()))}
    assert json.loads((folder / "model.json").read_text())["num_classes"] == 10


def test_a_run_with_workers_per_run_trains_over_data_parallel_workers(mini_world, tiny_recipe,
                                                                     tmp_path, monkeypatch):
    from synscale.store import SetMetrics
    from synscale.train import parallel, runs
    from synscale.train.setup import TrainSetup

    asked = []

    def data_parallel(task, quiet):
        asked.append((task, quiet))
        return runs.train_task(dataclasses.replace(task, setup=TrainSetup()), quiet)

    monkeypatch.setattr(parallel, "train_data_parallel", data_parallel)
    monkeypatch.setattr(runs, "evaluate", lambda *args: SetMetrics(1.0, 0.5, 1, []))  # not under test
    single = RunTask("mini", None, real_data(mini_world), 40, 0, tiny_recipe, str(tmp_path / "a"))
    execute_run(single)
    assert asked == []
    task = dataclasses.replace(single, workspace=str(tmp_path / "b"), setup=TrainSetup(workers_per_run=2))
    record = execute_run(task, quiet=True)
    assert asked == [(task, True)] and record.iterations == 2
