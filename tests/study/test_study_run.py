"""A tiny study end to end: every stage stored, queryable by factor, resumable, failure-tolerant."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

import synscale.study.runner
import synscale.train.runs
from synscale.data.synthetic import SyntheticDataset
from synscale.train.sources import synthetic_data
from synscale.worlds import get_world

RUNS = 11  # grid 2 (its cfg4 run is syn's D=200 run), real 3, syn 3 more, mix 3


def query(workspace, sql):
    con = duckdb.connect(str(workspace / "results.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_every_stage_lands_in_the_store(tiny_study_workspace):
    ws = tiny_study_workspace
    assert query(ws, "SELECT count(*) FROM runs") == [(RUNS,)]
    # Figure 2: each configuration joined with its metrics and its run at D_I, by factor.
    grid = query(ws, "SELECT c.name, c.generator, c.cfg, c.prompts, m.recognizability, m.diversity,"
                     " m.fid, r.val_loss FROM study_configs c JOIN dataset_metrics m USING (dataset)"
                     " JOIN runs r ON r.data = 'syn:' || c.dataset AND r.scale = 200 ORDER BY c.cfg")
    assert [row[:4] for row in grid] == [("pixel-classname-cfg1", "mini-pixel", 1.0, "classname"),
                                         ("pixel-classname-cfg4", "mini-pixel", 4.0, "classname")]
    assert all(0 <= row[4] <= 1 and row[5] > 0 and row[6] > 0 and row[7] > 0 for row in grid)
    per_class = query(ws, "SELECT dataset, count(*) FROM dataset_class_metrics GROUP BY dataset")
    assert sorted(n for _, n in per_class) == [10, 10]
    # Curves: fits on val and every OOD set, per-class fits, exchange rates.
    fits = query(ws, "SELECT curve, set_name FROM fits WHERE law = 'power'")
    assert len(fits) == 3 * 4
    assert query(ws, "SELECT count(DISTINCT curve) FROM class_fits") == [(3,)]
    assert query(ws, "SELECT count(*) FROM exchange_rates WHERE set_name = 'val'") == [(3,)]
    assert query(ws, "SELECT count(*) FROM study_failures") == [(0,)]


def test_mixed_runs_say_what_they_trained_on(tiny_study_workspace):
    rows = query(tiny_study_workspace, "SELECT scale, real_images, synthetic_images, val_loss FROM runs"
                                       " WHERE data LIKE 'real100+syn:%' ORDER BY scale")
    assert [r[:3] for r in rows] == [(100, 100, 0), (200, 100, 100), (300, 100, 200)]
    # S = 0 is exactly the real run at D = R: same nested subset, same seed, same numbers.
    real = query(tiny_study_workspace, "SELECT val_loss FROM runs WHERE data = 'real' AND scale = 100")
    assert rows[0][3] == real[0][0]


def test_mixes_are_nested_in_both_parts(tiny_study_workspace):
    world = get_world("mini")
    folder = next((tiny_study_workspace / "datasets").glob("mini-pixel-classname-cfg4-*"))
    data = synthetic_data(folder.name, folder, len(SyntheticDataset(folder).manifest), 100, world)
    small, large = (data.subset(world, s, seed=0) for s in (100, 200))
    assert len(small) == 200 and len(large) == 300
    assert np.array_equal(small.ids[:100], large.ids[:100])  # the same R real images
    assert set(small.ids[100:]) < set(large.ids[100:])  # synthetic images nested across S
    assert np.bincount(large.labels[100:].numpy()).tolist() == [20] * 10  # class-balanced
    other = data.subset(world, 200, seed=1)
    assert other.ids != large.ids  # another run seed, other images


def test_rerun_does_nothing_and_status_is_all_done(cli, tiny_study_file, tiny_study_workspace,
                                                   monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("a stored run was trained again")

    monkeypatch.setattr(synscale.study.runner, "execute_run", no_training)
    result = cli("study", "run", tiny_study_file, "-w", tiny_study_workspace, "--json")
    assert result.code == 0, result.err
    assert result.json_lines()[0]["made"] == {}
    status = cli("study", "status", "-w", tiny_study_workspace, "--json").json_lines()
    assert status[0]["stages"]["train"] == {"done": RUNS, "failed": 0, "pending": 0}
    assert all(parts["pending"] == 0 for parts in status[0]["stages"].values())
    plan = cli("study", "plan", tiny_study_file, "-w", tiny_study_workspace, "--json")
    assert plan.json_lines()[0]["totals"]["runs_to_train"] == 0


def test_classes_json_and_csv(cli, tiny_study_workspace, tmp_path):
    result = cli("classes", "--curve", "syn", "-w", tiny_study_workspace, "--json",
                 "--csv", tmp_path / "classes.csv")
    assert result.code == 0, result.err
    rows = result.json_lines()
    assert [r["class_id"] for r in rows] == list(range(10))
    for row in rows:
        assert {"class_id", "k", "k_ci", "perf_ref", "group", "recognizability", "diversity",
                "real_k", "beats_real"} <= set(row)
        assert row["group"] in {"scaling", "easy", "poor"}
        assert row["k_ci"][0] <= row["k"] <= row["k_ci"][1]
        assert row["beats_real"] == (row["k"] > row["real_k"])
        assert 0 <= row["recognizability"] <= 1
    assert len((tmp_path / "classes.csv").read_text().splitlines()) == 11
    real = cli("classes", "--curve", "real", "-w", tiny_study_workspace, "--json").json_lines()
    assert all("real_k" not in r and r["recognizability"] is None for r in real)


def test_curves_by_data_value_or_prefix(cli, tiny_study_workspace):
    by_name = cli("classes", "--curve", "syn", "-w", tiny_study_workspace, "--json").json_lines()
    by_data = cli("classes", "--curve", "syn:mini-pixel-classname-cfg4", "-w", tiny_study_workspace,
                  "--json").json_lines()
    assert by_name == by_data
    ambiguous = cli("classes", "--curve", "syn:mini-pixel", "-w", tiny_study_workspace)
    assert ambiguous.code == 2 and "ambiguous" in ambiguous.err
    missing = cli("classes", "--curve", "nope", "-w", tiny_study_workspace)
    assert missing.code == 2 and "no such curve" in missing.err and "valid: " in missing.err
    bad_set = cli("classes", "--curve", "syn", "--set", "imagenet-a", "-w", tiny_study_workspace)
    assert bad_set.code == 2 and "valid: val, digits" in bad_set.err


def test_exchange_json(cli, tiny_study_workspace):
    result = cli("exchange", "--synthetic", "syn", "-w", tiny_study_workspace, "--json")
    assert result.code == 0, result.err
    rows = result.json_lines()
    assert [r["D_real"] for r in rows] == [50, 100, 200]
    for row in rows:
        assert {"D_real", "rate", "rate_ci"} <= set(row)
        if row["rate"] is not None:
            assert row["rate"] == pytest.approx(row["D_synthetic"] / row["D_real"])
    refused = cli("exchange", "--synthetic", "real", "-w", tiny_study_workspace)
    assert refused.code == 2 and "is a real-data curve" in refused.err


def test_a_failed_run_is_recorded_and_retried_alone(cli, study_writer, tmp_path, monkeypatch):
    study = study_writer(tmp_path, name="flaky", generation={"grid": []},
                         curves=[{"name": "real", "data": "real", "scales": [50, 100, 200]}])
    real_execute = synscale.study.runner.execute_run

    def fail_at_100(task, *args, **kwargs):
        if task.scale == 100:
            raise RuntimeError("out of memory (simulated)")
        return real_execute(task, *args, **kwargs)

    monkeypatch.setattr(synscale.study.runner, "execute_run", fail_at_100)
    ws = tmp_path / "ws"
    first = cli("study", "run", study, "-w", ws, "--workers", "1", "--json")
    assert first.code == 1
    report = first.json_lines()[0]
    assert report["made"]["train"] == 2
    assert [(f["stage"], f["error"]) for f in report["failed"]] == [
        ("train", "RuntimeError: out of memory (simulated) (at {}:{})".format(*_where(fail_at_100)))]
    status = cli("study", "status", "-w", ws, "--json").json_lines()[0]
    assert status["stages"]["train"] == {"done": 2, "failed": 1, "pending": 0}
    assert status["stages"]["fit"]["pending"] == 1  # the curve waits for its failed run
    assert '"scale": 100' in status["failed"][0]["config"]

    monkeypatch.setattr(synscale.study.runner, "execute_run", real_execute)
    second = cli("study", "run", study, "-w", ws, "--workers", "1", "--json")
    assert second.code == 0, second.err
    assert second.json_lines()[0]["made"] == {"train": 1}
    status = cli("study", "status", "-w", ws, "--json").json_lines()[0]
    assert status["failed"] == [] and status["stages"]["fit"]["done"] == 1


def _where(function):
    code = function.__code__
    return code.co_filename, code.co_firstlineno + 2


def test_train_command_names_the_same_mixed_runs(cli, tiny_study_workspace, monkeypatch):
    """`synscale train --data real<R>+syn:<dataset>` is the study's mix by hand: same run ids,
    so the stored runs are reused, not retrained."""
    def no_training(*args, **kwargs):
        raise AssertionError("a stored run was trained again")

    monkeypatch.setattr(synscale.train.runs, "train_classifier", no_training)
    recipe = ["--set", "recipe.batch_size=32", "--set", "recipe.schedule.small_scale=50",
              "--set", "recipe.schedule.small_iterations=20", "--set", "recipe.schedule.large_scale=400",
              "--set", "recipe.schedule.large_iterations=40", "--set", "recipe.schedule.min_iterations=10"]
    result = cli("train", "--data", "real100+syn:mini-pixel-classname-cfg4", "--scales", "0,200",
                 "-w", tiny_study_workspace, "--json", *recipe)
    assert result.code == 0, result.err
    rows = result.json_lines()
    assert [(r["scale"], r["real_images"], r["synthetic_images"]) for r in rows] == [
        (100, 100, 0), (300, 100, 200)]
    stored = {r[0] for r in query(tiny_study_workspace, "SELECT run_id FROM runs")}
    assert {r["run_id"] for r in rows} <= stored


def test_a_failed_analysis_is_retried_by_the_next_run(cli, study_writer, tmp_path, monkeypatch):
    study = study_writer(tmp_path, name="fitfail", generation={"grid": []},
                         curves=[{"name": "real", "data": "real", "scales": [50, 100, 200]}])
    real_fit = synscale.study.runner.fit_stored_curve

    def broken_fit(*args, **kwargs):
        raise ValueError("fit exploded (simulated)")

    monkeypatch.setattr(synscale.study.runner, "fit_stored_curve", broken_fit)
    ws = tmp_path / "ws"
    first = cli("study", "run", study, "-w", ws, "--workers", "1", "--json")
    assert first.code == 1 and first.json_lines()[0]["failed"][0]["stage"] == "fit"
    monkeypatch.setattr(synscale.study.runner, "fit_stored_curve", real_fit)
    second = cli("study", "run", study, "-w", ws, "--workers", "1", "--json")
    assert second.code == 0, second.err
    status = cli("study", "status", "-w", ws, "--json").json_lines()[0]
    assert status["stages"]["fit"] == {"done": 1, "failed": 0, "pending": 0}


def test_fit_command_keeps_a_study_curve_at_its_d_i(cli, tiny_study_workspace):
    before = query(tiny_study_workspace, "SELECT curve, set_name, law, result FROM fits ORDER BY ALL")
    result = cli("fit", "-w", tiny_study_workspace, "--json")
    assert result.code == 0, result.err
    fitted = {r["curve"]: r["ref_scale"] for r in result.json_lines() if "ref_scale" in r}
    assert {fitted[c] for c in fitted if "/real/" in c or "cfg4" in c} == {200}
    assert query(tiny_study_workspace, "SELECT curve, set_name, law, result FROM fits ORDER BY ALL") \
        == before  # the study's fits are refitted to the same numbers
