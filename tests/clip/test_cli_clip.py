"""``synscale clip``: pairs, synthetic pairs, train (real / syn / mix), fit, table; determinism,
rerun, and bad input refused with one line and nothing half-written."""

from __future__ import annotations

import pytest

import synscale.clip.runs
from tests.clip.conftest import write_pair_table


def train_args(table, ws, data="real", scales="8,16", *extra):
    return ("clip", "train", "--pairs", f"table:{table}", "--data", data, "--scales", scales,
            "--seed", "0", "--json", "-w", str(ws), *extra)


def test_same_command_in_a_new_workspace_gives_identical_losses_and_rerun_trains_nothing(
        cli, pair_table, tmp_path, tiny, monkeypatch):
    first = cli(*train_args(pair_table, tmp_path / "a", "real", "8,16", *tiny))
    assert first.code == 0, first.err
    runs = first.json_lines()
    assert [r["scale"] for r in runs] == [8, 16]
    assert runs[0]["iterations"] < runs[1]["iterations"]  # same epochs: steps grow with captions
    assert {"val_loss", "val_top1", "digits_top1", "renditions_top1", "sketch_top1"} <= set(runs[0])
    again = cli(*train_args(pair_table, tmp_path / "b", "real", "8,16", *tiny)).json_lines()
    keys = ("run_id", "train_loss", "val_loss", "val_top1", "sketch_loss")
    assert [[r[k] for k in keys] for r in again] == [[r[k] for k in keys] for r in runs]

    def no_training(*args, **kwargs):
        raise AssertionError("a stored CLIP run was trained again")

    monkeypatch.setattr(synscale.clip.runs, "train_clip", no_training)
    rerun = cli(*train_args(pair_table, tmp_path / "a", "real", "8,16", *tiny))
    assert rerun.code == 0, rerun.err
    assert [r["val_loss"] for r in rerun.json_lines()] == [r["val_loss"] for r in runs]


def test_synthetic_pairs_train_syn_and_mix_and_fill_the_table(cli, pair_table, tmp_path, tiny):
    ws = tmp_path / "ws"
    made = cli("clip", "generate", "--pairs", f"table:{pair_table}", "--generator", "mini-pixel",
               "--cfg", "1.5", "--steps", "4", "-w", str(ws), "--json")
    assert made.code == 0, made.err
    (report,) = made.json_lines()
    assert report["images"] == 24
    dataset = report["dataset"]
    for kind in ("real", "syn", "mix"):
        data = "real" if kind == "real" else f"{kind}:{dataset}"
        result = cli(*train_args(pair_table, ws, data, "12,24", *tiny))
        assert result.code == 0, result.err
        for run in result.json_lines():
            draws = run["real_draws"] + run["synthetic_draws"]
            assert draws == 2 * run["scale"]  # two epochs, every caption once per epoch
            if kind == "real":
                assert run["synthetic_draws"] == 0
            elif kind == "syn":
                assert run["real_draws"] == 0
            else:
                assert run["real_draws"] > 0 and run["synthetic_draws"] > 0
    table = cli("clip", "table", "-w", str(ws), "--json").json_lines()
    assert {(row["data"].split(":")[0], row["D"]) for row in table} == {
        (k, d) for k in ("real", "syn", "mix") for d in (12, 24)}
    assert all(0 <= row[s] <= 1 for row in table for s in ("val", "digits", "renditions", "sketch"))


def test_a_synthetic_set_of_other_captions_is_refused(cli, pair_table, tmp_path, tiny):
    ws = tmp_path / "ws"
    made = cli("clip", "generate", "--pairs", f"table:{pair_table}", "--steps", "4", "-w", str(ws),
               "--json")
    assert made.code == 0, made.err
    dataset = made.json_lines()[0]["dataset"]
    other = write_pair_table(tmp_path / "other", 24, caption="a sketch of a {}")
    result = cli(*train_args(other, ws, f"mix:{dataset}", "8", *tiny))
    assert result.code == 2
    assert result.err.startswith("error: synthetic set") and "captions" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not (ws / "clip_runs").exists()


@pytest.mark.parametrize(("change", "message"), [
    (("--data", "fake"), "unknown CLIP data 'fake'; valid: real, syn:"),
    (("--scales", "25"), "scale 25 is larger than the pair set"),
    (("--templates", "12"), "unknown template set '12'; valid choices: 80, 7"),
    (("--data", "syn:nothing-here"), "no synthetic dataset 'nothing-here'"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(cli, pair_table, tmp_path, tiny,
                                                          change, message):
    args = list(train_args(pair_table, tmp_path / "ws", "real", "8", *tiny))
    flag, value = change
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    result = cli(*args)
    assert result.code == 2
    assert result.err.startswith("error: ") and message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "ws").exists()


def test_a_pair_root_without_captions_is_refused(cli, tmp_path, tiny):
    empty = tmp_path / "shards"
    empty.mkdir()
    result = cli("clip", "train", "--pairs", f"wds:{empty}", "--scales", "8", "-w",
                 str(tmp_path / "ws"), *tiny)
    assert result.code == 2
    assert result.err.startswith("error: no captioned images in") and len(result.err.splitlines()) == 1
    assert not (tmp_path / "ws").exists()


def test_a_downstream_folder_is_scored_with_its_own_class_names(cli, pair_table, tmp_path, tiny):
    from PIL import Image

    folder = tmp_path / "food"
    for k, name in enumerate(("apple_pie", "sushi", "ramen")):
        (folder / name).mkdir(parents=True)
        for i in range(2 + k):
            Image.new("RGB", (24, 24), (40 * i, 80 * k, 0)).save(folder / name / f"{i}.png")
    result = cli(*train_args(pair_table, tmp_path / "ws", "real", "8", *tiny,
                             "--downstream", str(folder)))
    assert result.code == 0, result.err
    (run,) = result.json_lines()
    assert 0 <= run["downstream/food_top1"] <= 1 and run["downstream/food_loss"] > 0
    plain = cli(*train_args(pair_table, tmp_path / "ws", "real", "8", *tiny)).json_lines()[0]
    assert plain["run_id"] != run["run_id"] and "downstream/food_top1" not in plain
    empty = tmp_path / "empty"
    (empty / "only_class").mkdir(parents=True)
    bad = cli(*train_args(pair_table, tmp_path / "ws2", "real", "8", *tiny, "--downstream", str(empty)))
    assert bad.code == 2 and bad.err.startswith("error: downstream set") and not (tmp_path / "ws2").exists()
