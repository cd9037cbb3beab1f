"""Streamed and in-memory training data give the same batches, and the same run, for a seed."""

from __future__ import annotations

import torch
from trainsets import bars

from synscale.data.synthetic import SyntheticDataset
from synscale.train.batches import BatchOrder, StepSampler, batches
from synscale.train.classifier import TrainRecipe, train_classifier
from synscale.train.schedule import Schedule
from synscale.train.setup import TrainSetup
from synscale.train.sources import synthetic_data
from synscale.worlds import get_world

STEPS = 12  # 240 images in batches of 32: the stream crosses an epoch boundary


def collect(data, stream: bool, workers: int = 0, rank: int = 0, world_size: int = 1, seed: int = 3):
    order = BatchOrder(len(data), 32, 4, torch.Generator().manual_seed(seed))
    sampler = StepSampler(order, STEPS, rank, world_size)
    return list(batches(data, sampler, stream, workers))


def assert_same(a, b) -> None:
    assert len(a) == len(b) == STEPS
    for (xa, ya, na, _), (xb, yb, nb, _) in zip(a, b):
        assert torch.equal(xa, xb) and torch.equal(ya, yb) and torch.equal(na, nb)


def test_loader_workers_give_the_in_memory_batches() -> None:
    data = bars(240, 0)
    memory = collect(data, stream=False)
    assert_same(memory, collect(data, stream=True, workers=2))
    assert_same(memory, collect(data, stream=True, workers=0))
    other_seed = collect(data, stream=False, seed=4)
    assert not torch.equal(memory[0][1], other_seed[0][1])


def test_shards_streamed_give_the_loaded_batches(synthetic_bars) -> None:
    images, folder = synthetic_bars
    dataset = SyntheticDataset(folder)
    loaded, streamed = dataset.load(), dataset.stream()
    assert len(streamed) == len(loaded) and streamed.ids == loaded.ids
    assert torch.equal(loaded.images, images.images)
    assert_same(collect(loaded, stream=False), collect(streamed, stream=True, workers=2))
    # resized to another world's format, one image at a time or all at once: the same pixels
    small, small_streamed = dataset.load(image_size=8), dataset.stream(image_size=8)
    assert torch.equal(torch.stack([small_streamed[i][0] for i in range(len(small))]), small.images)


def test_data_parallel_slices_make_up_the_global_batch() -> None:
    data = bars(240, 0)
    whole = collect(data, stream=False)
    halves = [collect(data, stream=True, workers=1, rank=r, world_size=2) for r in (0, 1)]
    for step, (x, y, noise, state) in enumerate(whole):
        assert torch.equal(torch.cat([halves[0][step][0], halves[1][step][0]]), x)
        assert torch.equal(torch.cat([halves[0][step][1], halves[1][step][1]]), y)
        assert torch.equal(torch.cat([halves[0][step][2], halves[1][step][2]]), noise)


def test_a_streamed_run_equals_the_in_memory_run(synthetic_bars, tmp_path) -> None:
    """Through the training data sources, as a run builds them: bit-identical weights on CPU."""
    _, folder = synthetic_bars
    world = get_world("mini")
    data = synthetic_data(folder.name, folder, 240)
    memory_set = data.subset(world, 200, 0, TrainSetup(stream="never"))
    streamed_set = data.subset(world, 200, 0, TrainSetup(stream="always"))
    assert type(memory_set).__name__ == "LabeledImages" and type(streamed_set).__name__ == "SyntheticImages"
    recipe = TrainRecipe(model="mini_resnet", augment="digits", batch_size=32, loader_workers=2,
                         schedule=Schedule(small_iterations=15, large_iterations=15, min_iterations=15))
    a, stats_a = train_classifier(memory_set, 10, recipe, 0, True, TrainSetup(device="cpu"))
    b, stats_b = train_classifier(streamed_set, 10, recipe, 0, True,
                                  TrainSetup(device="cpu", stream="always"))
    assert not stats_a.streamed and stats_b.streamed
    assert stats_a.losses == stats_b.losses and len(stats_a.losses) == 15
    for (name, wa), wb in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(wa, wb), name


def test_auto_streams_only_sets_too_big_for_memory() -> None:
    setup = TrainSetup(stream_above_mb=1)
    assert not setup.streams(2**20) and setup.streams(2**20 + 1)
    assert TrainSetup(stream="always").streams(0) and not TrainSetup(stream="never").streams(2**40)
