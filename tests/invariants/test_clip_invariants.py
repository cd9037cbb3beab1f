"""CLIP runs' identities change when, and only when, something that decides the run changes;
their caption subsets follow the seed and nest (as the classifier runs' do, in
test_identity_invariants.py and test_seed_invariants.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synscale.workspace import Workspace

FAST = settings(max_examples=40, deadline=None, database=None)


@pytest.fixture(scope="module")
def clip_task(tmp_path_factory):
    from synscale.clip.runs import ClipCurveConfig, plan_clip_runs

    workspace = Workspace(tmp_path_factory.mktemp("clip"))
    return plan_clip_runs(ClipCurveConfig(scales=[50]), workspace)[0]


@pytest.fixture(scope="module")
def clip_pairs(mini_world):
    from synscale.clip.pairs import load_pairs

    return load_pairs(mini_world, "web")


def test_clip_run_id_changes_with_every_deciding_input(clip_task):
    from synscale.clip.data import ClipData

    recipe = clip_task.recipe
    changed = {
        "world": dataclasses.replace(clip_task, world="imagenet"),
        "pairs": dataclasses.replace(clip_task, pairs_identity={**clip_task.pairs_identity, "x": 1}),
        "scale": dataclasses.replace(clip_task, scale=51),
        "seed": dataclasses.replace(clip_task, seed=1),
        "templates": dataclasses.replace(clip_task, templates="7"),
        "data: synthetic": dataclasses.replace(clip_task, data=ClipData("syn", "/s/a", "a", 0.5)),
        "data: another synthetic": dataclasses.replace(clip_task, data=ClipData("syn", "/s/b", "b", 0.5)),
        "data: mix": dataclasses.replace(clip_task, data=ClipData("mix", "/s/a", "a", 0.5)),
        "data: mix, another p": dataclasses.replace(clip_task, data=ClipData("mix", "/s/a", "a", 0.25)),
        **{f"recipe.{field}": dataclasses.replace(clip_task, recipe=recipe.model_copy(update={field: value}))
           for field, value in (("epochs", recipe.epochs + 1), ("batch_size", recipe.batch_size + 1),
                                ("lr", recipe.lr * 2), ("weight_decay", 0.2),
                                ("warmup_fraction", 0.3))},
    }
    ids = {name: task.run_id for name, task in changed.items()}
    assert clip_task.run_id not in ids.values(), [n for n, i in ids.items() if i == clip_task.run_id]
    assert len(set(ids.values())) == len(ids)


def test_clip_run_id_ignores_what_does_not_decide_the_run(clip_task, tmp_path):
    from synscale.clip.data import ClipData

    assert dataclasses.replace(clip_task, workspace=str(tmp_path), threads=2).run_id == clip_task.run_id
    # mix_p only matters to a mix: real and synthetic runs do not draw it
    real = dataclasses.replace(clip_task, data=ClipData("real", None, None, 0.25))
    syn = [dataclasses.replace(clip_task, data=ClipData("syn", "/s/a", "a", p)) for p in (0.25, 0.75)]
    assert real.run_id == clip_task.run_id and syn[0].run_id == syn[1].run_id


@FAST
@given(st.integers(0, 3), st.integers(0, 3), st.sampled_from([10, 20]), st.sampled_from([10, 20]))
def test_clip_caption_subsets_follow_the_seed_and_nest(clip_pairs, seed, other, scale, larger):
    from synscale.clip.data import caption_subset

    pairs = clip_pairs
    a, b = caption_subset(pairs, scale, seed), caption_subset(pairs, scale, other)
    assert np.array_equal(a, b) == (seed == other)
    if larger >= scale:
        assert set(a.tolist()) <= set(caption_subset(pairs, larger, seed).tolist())
