from __future__ import annotations

from advise_store import make_store

from synscale.store import ResultsStore


def test_predict_scores_every_method_and_stores_them(cli, study_store):
    root, _ = study_store
    result = cli("predict", "-w", root, "--json", "--boot", "100")
    assert result.code == 0, result.err
    rows = result.json_lines()
    assert {(r["target"], r["method"]) for r in rows} == {
        (t, m) for t in ("k", "perf_ref")
        for m in ("metrics", "metrics+pilot", "recognizability", "small-scale slope")}
    with ResultsStore(root / "results.duckdb") as store:
        assert len(store.table("predict_scores")) == 8
        assert len(store.table("predict_loo")) == 8 * 14


def test_predict_one_dataset(cli, tmp_path):
    make_store(tmp_path, n_configs=12, curves=10)
    result = cli("predict", "-w", tmp_path, "--dataset", "c11", "--json")
    assert result.code == 0, result.err
    rows = result.json_lines()
    assert [r["target"] for r in rows] == ["k", "perf_ref"]
    assert all(r["dataset"] == "d11" and len(r["interval"]) == 2 for r in rows)
    table = cli("predict", "-w", tmp_path, "--dataset", "d00", "--method", "metrics+pilot")
    assert table.code == 0 and "measured" in table.out


def test_bad_input_is_one_line_exit_2(cli, tmp_path):
    ResultsStore(tmp_path / "results.duckdb").close()  # a store without any study
    for args in (("predict", "-w", tmp_path), ("predict", "-w", tmp_path / "nowhere")):
        result = cli(*args)
        assert result.code == 2 and result.err.count("\n") == 1 and "error:" in result.err
    assert "no study grid" in cli("predict", "-w", tmp_path).err
    make_store(tmp_path, n_configs=6, curves=2)
    result = cli("predict", "-w", tmp_path)
    assert result.code == 2 and "at least 5 configurations" in result.err
    result = cli("predict", "-w", tmp_path, "--dataset", "nope")
    assert result.code == 2 and "valid: c00" in result.err
