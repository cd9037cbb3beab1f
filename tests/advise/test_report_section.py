from __future__ import annotations

from advise_store import make_store

from synscale.advise.commands import predict_scores
from synscale.report.advise import advise_sections
from synscale.store import ResultsStore
from synscale.workspace import Workspace


def test_sections_show_scores_figure_and_experiment(tmp_path):
    make_store(tmp_path, n_configs=8)
    empty = advise_sections(tmp_path)
    assert [bool(s.missing) for s in empty] == [True, True, True]
    predict_scores(Workspace(tmp_path, create=False), n_boot=50)
    with ResultsStore(tmp_path / "results.duckdb") as store:
        store.replace_rows("adaptive_runs", {"study": "s"}, [
            {"study": "s", "budget": 100, "arm": arm, "seed": seed, "dataset": "d", "run_id": "r",
             "val_loss": loss, "predicted_loss": 0.5}
            for arm, base in (("adaptive", 0.4), ("uniform", 0.5)) for seed, loss in
            enumerate((base, base + 0.1, base + 0.05))])
    scores, figure, adaptive = advise_sections(tmp_path)
    assert len(scores.rows) == 8 and scores.rows[0]["configurations"] == 8
    assert figure.png.startswith(b"\x89PNG")
    (row,) = adaptive.rows
    assert row["N"] == 100 and abs(row["adaptive - uniform"] + 0.1) < 1e-12
