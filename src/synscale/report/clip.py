"""The report's CLIP part (paper 5): Figure 8, Table 1 and the verdict of finding 7, read from the
store's CLIP tables (``synscale clip train`` / a study's ``clip:`` section; docs/clip.md).

Figure 8: zero-shot loss (log-log, with each curve's stored power-law fit) and top-1 against the
number of captions on ``val``, one line per data kind. Table 1: zero-shot top-1 on every set x
scale x data. Finding 7 ("real + synthetic beats real at small scale") is reproduced when the mixed
curve's val top-1 is above the real curve's at each of the two smallest scales both have, not
reproduced when it is below at both, and "not enough data" otherwise or without both curves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from synscale.report.data import MissingData

COLORS = {"real": "tab:red", "syn": "tab:blue", "mix": "tab:purple"}
SMALLEST = 2  # scales compared for finding 7


def clip_points(workspace: str | Path) -> pd.DataFrame:
    """curve, kind, set_name, D, seed, loss, top1 of every stored CLIP run (empty if none)."""
    path = Path(workspace) / "results.duckdb"
    if not path.is_file():
        return pd.DataFrame()
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        if "clip_runs" not in tables:
            return pd.DataFrame()
        return con.execute(
            "SELECT 'clip:' || r.world || '/' || r.pairs || '/' || r.data || '/' || r.model AS curve,"
            " split_part(r.data, ':', 1) AS kind, s.set_name, r.scale AS D, r.seed, s.loss, s.top1"
            " FROM clip_runs r JOIN clip_set_metrics s USING (run_id) ORDER BY curve, D, seed").df()


def _fits(workspace: str | Path) -> dict[str, dict[str, Any]]:
    with duckdb.connect(str(Path(workspace) / "results.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT curve, result FROM fits WHERE curve LIKE 'clip:%' AND set_name = 'val'"
                           " AND law = 'power'").fetchall()
    return {curve: json.loads(result) for curve, result in rows}


def figure8(workspace: str | Path) -> Figure:
    """CLIP zero-shot loss and top-1 on val against captions: real, synthetic, mixed."""
    points = clip_points(workspace)
    if points.empty:
        raise MissingData("the store has no CLIP runs (synscale clip train, or a study's clip: "
                          "section), so Figure 8 and Table 1 cannot be drawn")
    val = points[points["set_name"] == "val"]
    fits = _fits(workspace)
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    loss_ax, top1_ax = fig.subplots(1, 2)
    for curve, group in val.groupby("curve", sort=True):
        kind = group["kind"].iloc[0]
        mean = group.groupby("D")[["loss", "top1"]].mean()
        fit = fits.get(curve)
        label = kind + (f" (k={fit['k']:.3f} [{_num(fit['k_ci'][0])}, {_num(fit['k_ci'][1])}])"
                        if fit else "")
        color = COLORS.get(kind, "tab:gray")
        loss_ax.plot(group["D"], group["loss"], "o", color=color, alpha=0.6)
        if fit:
            D = np.geomspace(mean.index.min(), mean.index.max(), 50)
            ref, perf = fit["ref_scale"], fit["params"]["perf_ref"]
            loss_ax.plot(D, np.exp(-perf) * (D / ref) ** -fit["k"], "-", color=color, label=label)
        else:
            loss_ax.plot(mean.index, mean["loss"], "-", color=color, label=label)
        top1_ax.plot(mean.index, mean["top1"], "o-", color=color, label=kind)
    loss_ax.set(xscale="log", yscale="log", xlabel="captions", ylabel="zero-shot loss (val)")
    top1_ax.set(xscale="log", xlabel="captions", ylabel="zero-shot top-1 (val)")
    scales = sorted(val["D"].unique())
    for ax in (loss_ax, top1_ax):
        ax.set_xticks(scales, [f"{int(d):,}" for d in scales])  # the scales trained, by name
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    return fig


def table1(workspace: str | Path) -> list[dict[str, Any]]:
    """Zero-shot top-1 (mean over seeds) per scale x data, one column per set."""
    points = clip_points(workspace)
    if points.empty:
        raise MissingData("the store has no CLIP runs")
    table = points.pivot_table(index=["D", "kind"], columns="set_name", values="top1",
                               aggfunc="mean").reset_index()
    sets = sorted((c for c in table.columns if c not in ("D", "kind")), key=lambda s: (s != "val", s))
    return [{"captions": int(r["D"]), "data": r["kind"], **{s: round(float(r[s]), 4) for s in sets}}
            for _, r in table.iterrows()]


def mix_beats_real(workspace: str | Path) -> tuple[str | None, str]:
    """Finding 7's verdict (``reproduced`` / ``not reproduced`` / None: not enough) and evidence."""
    points = clip_points(workspace)
    if points.empty:
        return None, "the store has no CLIP runs"
    val = points[points["set_name"] == "val"].groupby(["kind", "D"])["top1"].mean()
    kinds = set(val.index.get_level_values(0))
    if not {"real", "mix"} <= kinds:
        return None, f"CLIP runs of {sorted(kinds)} only; needs real and mix"
    common = sorted(set(val["real"].index) & set(val["mix"].index))[:SMALLEST]
    if len(common) < SMALLEST:
        return None, f"real and mix share {len(common)} scale(s); needs {SMALLEST}"
    diffs = {d: float(val["mix"][d] - val["real"][d]) for d in common}
    evidence = "; ".join(f"{d} captions: mix {val['mix'][d]:.3f} vs real {val['real'][d]:.3f} "
                         f"top-1 ({diffs[d]:+.3f})" for d in common)
    if all(v > 0 for v in diffs.values()):
        return "reproduced", evidence
    if all(v < 0 for v in diffs.values()):
        return "not reproduced", evidence
    return None, evidence + " (mixed signs)"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
