"""Prompt tables (Parquet, cached as artifacts) and the prompts/strategies commands."""

from __future__ import annotations

import pytest

from synscale.errors import DataError
from synscale.prompts import assign_prompts, read_prompt_table, write_prompt_table
from synscale.prompts.strategies import Classname
from synscale.workspace import Workspace
from synscale.worlds import get_world


@pytest.fixture(scope="module")
def mini():
    return get_world("mini")


def test_parquet_round_trip_keeps_rows_and_config(mini, tmp_path):
    table = assign_prompts(mini, "classname+places", 3, seed=2, classes=[1, 5])
    write_prompt_table(table, tmp_path / "p.parquet")
    back = read_prompt_table(tmp_path / "p.parquet")
    assert back.equals(table)
    assert back.column_names == ["image_index", "class_id", "class_name", "strategy", "prompt"]
    assert b'"per_class": 3' in back.schema.metadata[b"synscale"]


def test_tables_are_artifacts_reused_by_config(mini, tmp_path, monkeypatch):
    workspace = Workspace(tmp_path)
    first = assign_prompts(mini, "classname+places", 4, seed=0, workspace=workspace)
    stored = list((tmp_path / "prompts").iterdir())
    assert len(stored) == 1 and (stored[0] / "prompts.parquet").is_file()

    def fail(*args, **kwargs):
        raise AssertionError("the stored table should be read")

    monkeypatch.setattr(Classname, "candidates", fail)
    assert assign_prompts(mini, "classname+places", 4, seed=0, workspace=workspace).equals(first)
    monkeypatch.undo()
    assign_prompts(mini, "classname+places", 4, seed=1, workspace=workspace)
    assert len(list((tmp_path / "prompts").iterdir())) == 2


def test_reading_something_else_fails_clearly(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_prompt_table(tmp_path / "none.parquet")
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(DataError, match="not a readable Parquet"):
        read_prompt_table(tmp_path / "junk.parquet")


def test_cli_imagenet_description_needs_no_images(cli):
    result = cli("prompts", "--world", "imagenet", "--strategy", "classname_description",
                 "--classes", "0", "--per-class", "1", "--json")
    assert result.code == 0
    (row,) = result.json_lines()
    assert row["class_id"] == 0 and row["class_name"] == "tench"
    assert "freshwater dace-like game fish" in row["prompt"]


def test_cli_imagenet_hypernyms_is_the_papers_example(cli):
    result = cli("prompts", "--world", "imagenet", "--strategy", "classname_hypernyms",
                 "--classes", "0", "--json")
    assert result.json_lines()[0]["prompt"].lower() == "tench, tinca tinca, cyprinid, cyprinid fish"


def test_cli_is_deterministic_and_seeded(cli):
    args = ["prompts", "--world", "mini", "--strategy", "clip_templates_80", "--per-class", "80",
            "--classes", "2", "--json"]
    first, again, other = cli(*args), cli(*args), cli(*args, "--seed", "1")
    assert first.out == again.out and first.out != other.out
    assert len({r["prompt"] for r in first.json_lines()}) == 80
    seven = cli("prompts", "--world", "mini", "--strategy", "clip_templates_7", "--per-class", "7",
                "--classes", "2", "--json")
    assert len({r["prompt"] for r in seven.json_lines()}) == 7


def test_cli_plain_output_and_strategy_list(cli):
    result = cli("prompts", "--world", "mini", "--strategy", "classname", "--classes", "3,1")
    assert result.out.splitlines() == ["   1 one: one", "   3 three: three"]
    listing = cli("strategies").out
    for name in ("classname", "classname_description", "classname_hypernyms", "word2sen",
                 "clip_templates_7", "clip_templates_80", "captions", "classname_hypernyms+places"):
        assert f"\n{name} " in "\n" + listing
    assert "attributes, blip2, file" in listing


@pytest.mark.parametrize("args, message", [
    (["--strategy", "classnames"], "valid choices: captions, classname"),
    (["--strategy", "captions", "--captioner", "gpt"], "valid choices: attributes, blip2, file"),
    (["--strategy", "word2sen"], "needs its option 'model'"),
    (["--strategy", "word2sen", "--model", "/nonexistent/t5"], "not found"),
    (["--strategy", "captions", "--captioner", "blip2", "--model", "/no/blip2"], "not found"),
    (["--strategy", "classname", "--model", "owner/t5"], "unexpected keyword argument 'model'"),
    (["--strategy", "captions", "--captions-file", "c.csv"], "unexpected keyword argument 'file'"),
    (["--classes", "10"], "out of range"),
    (["--classes", "x"], "comma-separated integers"),
    (["--per-class", "0"], "--per-class"),
])
def test_cli_bad_input_is_one_line_and_exit_2(cli, args, message):
    result = cli("prompts", "--world", "mini", *args)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1 and message in result.err
