"""The report's CLIP part on a hand-built store: Figure 8, Table 1 and finding 7's verdict."""

from __future__ import annotations

import pytest

from synscale.clip.curves import fit_clip_curves
from synscale.clip.runs import ClipRunRecord, add_clip_run
from synscale.report.clip import figure8, mix_beats_real, table1
from synscale.report.data import MissingData
from synscale.store import ResultsStore, SetMetrics

TOP1 = {"real": [0.30, 0.40, 0.50, 0.60], "mix": [0.35, 0.45, 0.52, 0.61], "syn": [0.2, 0.3, 0.35, 0.4]}


def store_with(root, top1):
    with ResultsStore(root / "results.duckdb") as store:
        for kind, values in top1.items():
            for scale, value in zip((125, 250, 500, 1000), values):
                loss = 2.0 * (scale / 125) ** -0.3 * (1.1 if kind == "syn" else 1.0)
                sets = {"val": SetMetrics(loss, value, 100), "sketch": SetMetrics(loss, value / 2, 100)}
                data = "real" if kind == "real" else f"{kind}:set"
                add_clip_run(store, ClipRunRecord(f"{kind}{scale}", "mini", "web", data, "m", scale,
                                                  0, 32, 10, 1, 1, 1.0, 1.0, 1.0, {}, sets))
        fit_clip_curves(store)
    return root


def test_figure8_table1_and_finding7(tmp_path):
    root = store_with(tmp_path, TOP1)
    fig = figure8(root)
    assert len(fig.axes) == 2
    assert all(len(ax.get_legend().get_texts()) == 3 for ax in fig.axes)  # real, syn, mix
    assert "k=0.300" in " ".join(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    rows = table1(root)
    assert {(r["captions"], r["data"]) for r in rows} == {(d, k) for d in (125, 250, 500, 1000)
                                                         for k in TOP1}
    assert next(r for r in rows if r["captions"] == 250 and r["data"] == "mix")["sketch"] == 0.225
    verdict, evidence = mix_beats_real(root)
    assert verdict == "reproduced" and "125 captions: mix 0.350 vs real 0.300" in evidence


@pytest.mark.parametrize(("mix", "verdict"), [([0.25, 0.35, 0.5, 0.6], "not reproduced"),
                                              ([0.35, 0.35, 0.5, 0.6], None)])
def test_finding7_needs_mix_above_real_at_both_smallest_scales(tmp_path, mix, verdict):
    root = store_with(tmp_path, {"real": TOP1["real"], "mix": mix})
    assert mix_beats_real(root)[0] == verdict


def test_nothing_stored_is_missing_data(tmp_path):
    ResultsStore(tmp_path / "results.duckdb").close()
    with pytest.raises(MissingData, match="no CLIP runs"):
        figure8(tmp_path)
    assert mix_beats_real(tmp_path) == (None, "the store has no CLIP runs")
