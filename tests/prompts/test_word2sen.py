"""word2sen with a tiny random T5 built in the test: seeded sentences, cached as artifacts."""

from __future__ import annotations

import pytest

from synscale.errors import ConfigError
from synscale.prompts import assign_prompts, get_strategy
from synscale.prompts.word2sen import Word2Sen
from synscale.workspace import Workspace
from synscale.worlds import get_world


@pytest.fixture(scope="module")
def mini():
    return get_world("mini")


def test_sentences_are_seeded_per_class(tiny_t5, mini):
    seven, zero = mini.classes[7], mini.classes[0]
    strategy = get_strategy("word2sen", model=str(tiny_t5), sentences=6, max_new_tokens=8)
    sentences = strategy.candidates(seven, mini)
    assert len(sentences) == 6 and len(set(sentences)) > 1
    assert all(0 < len(s.split()) <= 8 for s in sentences)
    fresh = get_strategy("word2sen", model=str(tiny_t5), sentences=6, max_new_tokens=8)
    assert fresh.candidates(seven, mini) == sentences  # the same whatever was generated before
    assert strategy.candidates(zero, mini) != sentences
    reseeded = get_strategy("word2sen", model=str(tiny_t5), sentences=6, max_new_tokens=8, seed=1)
    assert reseeded.candidates(seven, mini) != sentences


def test_sentences_are_cached_in_the_workspace(tiny_t5, mini, tmp_path, monkeypatch):
    workspace = Workspace(tmp_path / "ws")
    options = {"model": str(tiny_t5), "sentences": 4, "max_new_tokens": 6}
    first = assign_prompts(mini, "word2sen", 8, classes=[1, 2], workspace=workspace, **options)
    assert len(list((tmp_path / "ws" / "sentences").iterdir())) == 2
    assert len(set(first.column("prompt").to_pylist()[:8])) == 4  # 8 draws cycle the 4 sentences

    def no_generation(self, class_name):
        raise AssertionError("sentences should come from the workspace")

    monkeypatch.setattr(Word2Sen, "generate", no_generation)
    again = assign_prompts(mini, "word2sen", 8, seed=5, classes=[1], workspace=workspace, **options)
    assert set(again.column("prompt").to_pylist()) == set(first.column("prompt").to_pylist()[:8])


def test_options_are_part_of_the_config(tiny_t5):
    a = get_strategy("word2sen", model=str(tiny_t5)).config()
    b = get_strategy("word2sen", model=str(tiny_t5), sentences=50).config()
    assert a["sentences"] == 100 and a != b and a["model"].startswith("sha256:")


def test_word2sen_needs_a_model_that_exists(tmp_path):
    with pytest.raises(ConfigError, match="needs its option 'model'"):
        get_strategy("word2sen")
    with pytest.raises(ConfigError, match="not found"):
        get_strategy("word2sen", model=str(tmp_path / "no-such-model"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no config.json"):
        get_strategy("word2sen", model=str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match="at least 1"):
        get_strategy("word2sen", model="owner/t5-model", sentences=0)


def test_cli_word2sen_with_a_local_model(cli, tiny_t5, tmp_path):
    args = ["prompts", "--world", "mini", "--strategy", "word2sen", "--model", tiny_t5,
            "--sentences", "3", "--classes", "4", "--per-class", "3", "--json", "-w", tmp_path]
    first, again = cli(*args), cli(*args)
    assert first.code == 0 and first.out == again.out
    rows = first.json_lines()
    assert len(rows) == 3 and all(r["class_name"] == "four" for r in rows)
