"""Prompt strategies on the mini world and on ImageNet's shipped class metadata."""

from __future__ import annotations

import pytest

from synscale.errors import ConfigError, UnknownNameError
from synscale.prompts import STRATEGIES, assign_prompts, get_strategy, places
from synscale.prompts.strategies import balanced_draw, class_rng
from synscale.worlds import get_world
from synscale.worlds.imagenet import imagenet_classes

TENCH = imagenet_classes()[0]


@pytest.fixture(scope="module")
def mini():
    return get_world("mini")


def test_paper_examples_for_tench(mini):
    description = get_strategy("classname_description").candidates(TENCH, mini)
    hypernyms = get_strategy("classname_hypernyms").candidates(TENCH, mini)
    assert description == [("tench, freshwater dace-like game fish of Europe and western Asia "
                            "noted for ability to survive outside water")]
    assert hypernyms == ["tench, Tinca tinca, cyprinid, cyprinid fish"]


def test_hypernym_levels_climb_the_chain(mini):
    two = get_strategy("classname_hypernyms", levels=2).candidates(TENCH, mini)
    assert two == ["tench, Tinca tinca, cyprinid, cyprinid fish, cypriniform fish"]
    with pytest.raises(ConfigError):
        get_strategy("classname_hypernyms", levels=0)


def test_mini_digits_have_wordnet_prompts(mini):
    seven = mini.classes[7]
    assert get_strategy("classname").candidates(seven, mini) == ["seven"]
    assert get_strategy("classname_description").candidates(seven, mini) == [
        "seven, the cardinal number that is the sum of six and one"]
    assert get_strategy("classname_hypernyms").candidates(seven, mini) == [
        "seven, 7, VII, sevener, heptad, septet, septenary, digit, figure"]


@pytest.mark.parametrize("name, count", [("clip_templates_7", 7), ("clip_templates_80", 80)])
def test_clip_templates_give_all_distinct_prompts(mini, name, count):
    prompts = assign_prompts(mini, name, per_class=count, seed=3, classes=[4])
    assert len(set(prompts.column("prompt").to_pylist())) == count
    assert all("four" in p for p in prompts.column("prompt").to_pylist())


def test_balanced_draw_uses_every_candidate_evenly():
    drawn = balanced_draw(list("abc"), 10, class_rng(0, 0, "prompts"))
    counts = sorted(drawn.count(x) for x in "abc")
    assert counts == [3, 3, 4]


def test_places_variant_appends_a_shipped_scene_without_moving_base_prompts(mini):
    assert len(places()) >= 100 and len(set(places())) == len(places())
    base = assign_prompts(mini, "classname_hypernyms", 20, seed=1).column("prompt").to_pylist()
    placed = assign_prompts(mini, "classname_hypernyms+places", 20, seed=1)
    placed = placed.column("prompt").to_pylist()
    assert all(p.startswith(b + ", ") for b, p in zip(base, placed))
    scenes = {p[len(b) + 2:] for b, p in zip(base, placed)}
    assert scenes <= set(places()) and len(scenes) > 20


def test_same_request_same_prompts_and_seed_changes_assignment(mini):
    first = assign_prompts(mini, "clip_templates_80", 30, seed=0)
    again = assign_prompts(mini, "clip_templates_80", 30, seed=0)
    other = assign_prompts(mini, "clip_templates_80", 30, seed=1)
    assert first.equals(again)
    assert first.column("prompt") != other.column("prompt")
    assert first.column("image_index").to_pylist() == list(range(300))
    assert first.column("class_id").to_pylist() == [c for c in range(10) for _ in range(30)]


def test_every_strategy_yields_prompts_for_the_mini_world(mini):
    for name in STRATEGIES.names():
        if name == "word2sen":  # needs a model: tested with a tiny T5 in test_word2sen.py
            continue
        table = assign_prompts(mini, name, per_class=2, seed=0, classes=[0, 9])
        assert table.num_rows == 4, name
        assert all(p.startswith(("zero", "nine")) or "zero" in p or "nine" in p
                   for p in table.column("prompt").to_pylist()), name


def test_bad_requests_raise_config_errors(mini):
    with pytest.raises(UnknownNameError, match="classname_hypernyms"):
        get_strategy("classnames")
    with pytest.raises(ConfigError, match="out of range"):
        assign_prompts(mini, "classname", 1, classes=[10])
    with pytest.raises(ConfigError, match="at least 1"):
        assign_prompts(mini, "classname", 0)
    with pytest.raises(ConfigError):
        get_strategy("classname", levels=2)
