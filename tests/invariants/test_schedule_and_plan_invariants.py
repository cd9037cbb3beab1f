"""The training schedule (paper 4.1) and the generation plan, stated as properties.

Schedule: the iterations pass through both end points, grow linearly in log D (equal steps per
doubling), never drop below the floor, and rise with D when the large end is the longer one.
Plan: every image is in exactly one batch and one shard, batches never straddle shards, and an
image's batch is the same whether found by shard or by id.
"""

from __future__ import annotations

import hashlib
import itertools
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from synscale.generators.stage.plan import GenerateConfig, ImageRow, Plan, image_seed
from synscale.train.schedule import Schedule

FAST = settings(max_examples=60, deadline=None, database=None)


@st.composite
def schedules(draw) -> Schedule:
    small = draw(st.integers(1, 5000))
    large = draw(st.integers(small + 1, 100_000))
    return Schedule(small_scale=small, large_scale=large,
                    small_iterations=draw(st.integers(1, 5000)),
                    large_iterations=draw(st.integers(1, 5000)),
                    min_iterations=draw(st.integers(1, 200)))


@FAST
@given(schedules())
def test_the_schedule_passes_through_its_end_points_above_its_floor(s):
    assert s.iterations(s.small_scale) == max(s.min_iterations, s.small_iterations)
    assert s.iterations(s.large_scale) == max(s.min_iterations, s.large_iterations)


@FAST
@given(schedules(), st.integers(1, 10**7))
def test_the_schedule_is_the_line_in_log_scale_floored(s, scale):
    t = math.log(scale / s.small_scale) / math.log(s.large_scale / s.small_scale)
    line = s.small_iterations + t * (s.large_iterations - s.small_iterations)
    assert s.iterations(scale) >= s.min_iterations
    assert isinstance(s.iterations(scale), int)
    if line >= s.min_iterations + 1:
        assert abs(s.iterations(scale) - line) <= 0.5 + 1e-9


@FAST
@given(schedules(), st.integers(1, 10**6), st.integers(1, 10**6))
def test_more_data_never_trains_shorter_when_the_large_end_is_longer(s, a, b):
    assume(s.large_iterations >= s.small_iterations)
    small, large = sorted((a, b))
    assert s.iterations(small) <= s.iterations(large)


@FAST
@given(schedules(), st.integers(1, 10**5))
def test_equal_steps_per_doubling(s, scale):
    """Linear in log D: each doubling adds the same number of iterations (up to rounding)."""
    steps = [s.iterations(scale * 2**i) for i in range(4)]
    assume(min(steps) > s.min_iterations)
    diffs = [b - a for a, b in itertools.pairwise(steps)]
    assert max(diffs) - min(diffs) <= 1


def _plan(images: int, batch: int, shards_of: int) -> Plan:
    config = GenerateConfig(per_class=images, batch_size=batch, shard_size=batch * shards_of, seed=5)
    rows = [ImageRow(i, i % 10, str(i % 10), f"prompt {i}", image_seed(5, i)) for i in range(images)]
    return Plan(config, rows)


@FAST
@given(st.integers(1, 300), st.integers(1, 40), st.integers(1, 5))
def test_every_image_is_in_exactly_one_batch_and_shard(images, batch, shards_of):
    plan = _plan(images, batch, shards_of)
    seen: list[int] = []
    indices: list[int] = []
    for shard in range(plan.num_shards):
        rows = plan.shard_rows(shard)
        assert rows and all(plan.shard_of(r.id) == shard for r in rows)
        for b in plan.batches(shard):
            assert 0 < len(b.ids) <= batch
            assert all(plan.shard_of(i) == shard for i in b.ids)  # no batch straddles shards
            assert plan.batch_of(b.ids[0]) == b == plan.batch_of(b.ids[-1])
            assert b.seeds == [image_seed(5, i) for i in b.ids]
            assert b.prompts == [f"prompt {i}" for i in b.ids]
            seen += b.ids
            indices.append(b.index)
    assert seen == list(range(images))
    assert indices == list(range(len(indices)))  # batch numbers count up without gaps
    assert all(type(i) is int for i in indices)  # they name work units and files
    assert plan.num_shards == -(-images // (batch * shards_of))


@FAST
@given(st.integers(0, 2**40), st.integers(0, 10**7))
def test_image_seeds_follow_the_documented_formula(seed, image):
    """The card says: the first 63 bits of sha256('synscale/image/<seed>/<i>'); anyone can
    recompute an image's noise seed from it."""
    digest = hashlib.sha256(f"synscale/image/{seed}/{image}".encode()).hexdigest()
    assert image_seed(seed, image) == int(digest[:16], 16) >> 1


@FAST
@given(st.integers(1, 300), st.integers(1, 40), st.integers(1, 5), st.data())
def test_an_images_batch_contains_it(images, batch, shards_of, data):
    plan = _plan(images, batch, shards_of)
    image = data.draw(st.integers(0, images - 1))
    found = plan.batch_of(image)
    assert image in found.ids and found.index == image // batch
    assert found.ids == list(range(found.index * batch, min(images, (found.index + 1) * batch)))


@st.composite
def class_plans(draw) -> list[dict]:
    classes = draw(st.lists(st.integers(0, 9), min_size=1, max_size=4, unique=True))
    return [{"class_id": c, "count": draw(st.integers(1, 5)),
             "cfg": draw(st.one_of(st.none(), st.sampled_from([1.0, 4.0]))),
             "prompts": draw(st.sampled_from([None, "clip_templates_7"]))} for c in classes]


@settings(max_examples=15, deadline=None, database=None)
@given(class_plans(), st.integers(0, 3))
def test_a_class_plan_makes_each_class_its_count_with_its_settings(mini_world, plan_rows, seed):
    """``synscale allocate``'s plans: class by class (in id order), ``count`` images each, ids
    0..n-1 with their own seeds, and the class's own CFG on every row when any class has one."""
    config = GenerateConfig(cfg=2.0, seed=seed, class_plan=plan_rows, batch_size=3, shard_size=6)
    plan = Plan.build(config, mini_world, None)
    expected = [e["class_id"] for e in sorted(plan_rows, key=lambda e: e["class_id"])
                for _ in range(e["count"])]
    assert [r.class_id for r in plan.rows] == expected
    assert [r.id for r in plan.rows] == list(range(len(expected)))
    assert [r.seed for r in plan.rows] == [image_seed(seed, i) for i in range(len(expected))]
    names = {c.id: c.name for c in mini_world.classes}
    assert all(r.class_name == names[r.class_id] for r in plan.rows)
    own = {e["class_id"]: e["cfg"] for e in plan_rows}
    if any(v is not None for v in own.values()):
        assert [r.cfg for r in plan.rows] == [2.0 if own[r.class_id] is None else own[r.class_id]
                                              for r in plan.rows]
        assert [c for s in range(plan.num_shards) for b in plan.batches(s) for c in b.cfgs] == [
            r.cfg for r in plan.rows]
    else:
        assert all(r.cfg is None for r in plan.rows)
        assert all(b.cfgs is None for s in range(plan.num_shards) for b in plan.batches(s))
    # A class's prompts are its strategy's first prompts, the same whatever the other classes.
    for e in plan_rows:
        alone = Plan.build(GenerateConfig(cfg=2.0, seed=seed, class_plan=[e]), mini_world, None)
        mine = [r.prompt for r in plan.rows if r.class_id == e["class_id"]]
        assert mine == [r.prompt for r in alone.rows]


@pytest.mark.parametrize(("prompts", "options"), [("clip_templates_80", {}),
                                                  ("classname_hypernyms", {"levels": 2})])
def test_a_class_plans_prompts_follow_the_dataset_seed_and_prompt_options(mini_world, prompts, options):
    """A class plan's prompts are those of the strategy with the dataset's seed and prompt options:
    the same table as a dataset without a plan, and another seed picks other prompts."""
    from synscale.prompts import assign_prompts

    rows = [{"class_id": 1, "count": 4, "prompts": prompts}, {"class_id": 6, "count": 3, "prompts": prompts}]
    texts = {}
    for seed in (0, 1):
        config = GenerateConfig(seed=seed, class_plan=rows, prompt_options=options)
        planned = Plan.build(config, mini_world, None).rows
        table = assign_prompts(mini_world, prompts, 4, seed, classes=[1, 6], **options).to_pydict()
        expected = [p for c, p in zip(table["class_id"], table["prompt"]) if c == 1] + [
            p for c, p in zip(table["class_id"], table["prompt"]) if c == 6][:3]
        texts[seed] = [r.prompt for r in planned]
        assert texts[seed] == expected and all(isinstance(t, str) for t in texts[seed])
    if prompts == "clip_templates_80":
        assert texts[0] != texts[1]
    else:
        assert all(t.endswith("whole number") for t in texts[0])  # two levels of hypernyms


@pytest.mark.parametrize(("prompts", "options"), [("clip_templates_80", {}),
                                                  ("classname_hypernyms", {"levels": 2})])
def test_a_plans_rows_are_its_prompt_table_for_its_classes_seed_and_options(mini_world, prompts, options):
    """Without a class plan, image i is row i of the strategy's prompt table for the config's
    classes, seed and prompt options: its class, the class's name, the prompt, and the seed
    image_seed(seed, i); another dataset seed picks other prompts."""
    from synscale.prompts import assign_prompts

    texts = {}
    for seed in (0, 1):
        config = GenerateConfig(seed=seed, prompts=prompts, prompt_options=options, classes=[6, 1],
                                per_class=4)
        rows = Plan.build(config, mini_world, None).rows
        table = assign_prompts(mini_world, prompts, 4, seed, classes=[1, 6], **options).to_pydict()
        names = {c.id: c.name for c in mini_world.classes}
        assert [(r.id, r.class_id, r.class_name, r.prompt, r.seed) for r in rows] == [
            (i, c, names[c], p, image_seed(seed, i))
            for i, c, p in zip(table["image_index"], table["class_id"], table["prompt"])]
        assert [r.class_id for r in rows] == [1] * 4 + [6] * 4
        texts[seed] = [r.prompt for r in rows]
    if prompts == "clip_templates_80":
        assert texts[0] != texts[1]
    else:
        assert all(t.endswith("whole number") for t in texts[0])  # two levels of hypernyms


@pytest.mark.parametrize("planned", [False, True])
def test_a_plan_built_in_a_workspace_stores_its_prompt_table_there(mini_world, tmp_path, planned):
    """With a workspace, the prompt table is stored in it (prompts/), so a rebuild reads it
    instead of drawing the prompts again (for captions, the expensive step)."""
    from synscale.prompts.tables import TABLE_FILE, read_prompt_table
    from synscale.workspace import Workspace

    rows = [{"class_id": 2, "count": 3}, {"class_id": 5, "count": 2}]
    config = (GenerateConfig(class_plan=rows) if planned
              else GenerateConfig(classes=[2, 5], per_class=3))
    plan = Plan.build(config, mini_world, Workspace(tmp_path))
    (stored,) = [p for p in (tmp_path / "prompts").iterdir() if (p / "config.json").is_file()]
    table = read_prompt_table(stored / TABLE_FILE).to_pydict()
    by_class = {c: [p for k, p in zip(table["class_id"], table["prompt"]) if k == c] for c in (2, 5)}
    assert [r.prompt for r in plan.rows] == (by_class[2] + by_class[5][:2] if planned
                                             else by_class[2] + by_class[5])


def test_a_planned_datasets_name_counts_its_images(mini_world):
    """docs/advise.md: a planned dataset is named <generator>-<prompts>-cfg<cfg>-plan<N>-s<seed>,
    N its number of images; another total, another name."""
    rows = [{"class_id": 2, "count": 3}, {"class_id": 5, "count": 4}]
    config = GenerateConfig(class_plan=rows, cfg=1.5, seed=3)
    assert config.dataset_name() == "mini-pixel-classname-cfg1.5-plan7-s3"
    more = GenerateConfig(class_plan=[*rows, {"class_id": 7, "count": 1}], cfg=1.5, seed=3)
    assert more.dataset_name() == "mini-pixel-classname-cfg1.5-plan8-s3"


def test_a_generator_spec_builds_the_generator_with_its_options():
    """A worker builds its generator from the spec: the config's generator options and steps."""
    spec = GenerateConfig(steps=3, generator_options={"guidance_stop": 0.25}).generator_spec()
    generator = spec.build()
    assert generator.name == "mini-pixel"
    assert generator.sampler_settings.steps == 3 and generator.sampler_settings.guidance_stop == 0.25
