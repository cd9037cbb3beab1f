"""The report's sections beyond the paper (docs/advise.md): how well cheap measurements predict a
configuration's scaling, and adaptive against uniform per-class budgets."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pandas as pd
from matplotlib.figure import Figure

from synscale.advise.experiment import summarise
from synscale.report.html import Section
from synscale.workspace import Workspace

_PREDICT = ("Leave one configuration out: Spearman rank correlation between the predicted and the "
            "measured k and -log L_{D_I} of each configuration's curve, with a bootstrap interval "
            "over configurations, for the ridge model on cheap measurements (metrics; + pilot: and "
            "the losses at the two smallest scales) and two baselines; 'minus recognizability' is "
            "the paired bootstrap difference from recognizability alone.")
_ADAPTIVE = ("Validation loss of the classifier trained on N images of the pilot's configuration, "
             "spread over classes by the pilot's per-class power laws (adaptive) or evenly "
             "(uniform); mean over training seeds, and adaptive minus uniform with a paired "
             "t-interval over the seeds. Both arms were generated in the same run.")


def advise_sections(workspace: str | Path) -> list[Section]:
    path = Workspace(workspace, create=False).store_path
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        scores = _frame(con, tables, "predict_scores", "SELECT * FROM predict_scores ORDER BY study, "
                        "target, method")
        loo = _frame(con, tables, "predict_loo", "SELECT * FROM predict_loo")
        runs = _frame(con, tables, "adaptive_runs", "SELECT * FROM adaptive_runs ORDER BY study, budget")
    finally:
        con.close()
    return [_predict_section(scores), _loo_figure(loo), _adaptive_section(runs)]


def _frame(con: duckdb.DuckDBPyConnection, tables: set[str], table: str, sql: str) -> pd.DataFrame:
    return con.execute(sql).df() if table in tables else pd.DataFrame()


def _interval(lo: float, hi: float) -> str:
    return f"{lo:.3f} .. {hi:.3f}"


def _predict_section(scores: pd.DataFrame) -> Section:
    title = "Beyond the paper: predicting scaling from cheap measurements"
    if scores.empty:
        return Section(title, _PREDICT, missing="no prediction scores stored (run `synscale predict` "
                       "or a study with an advise section)", anchor="advise-predict")
    rows = [{"study": r.study, "target": "k" if r.target == "k" else "-log L_{D_I}", "method": r.method,
             "configurations": int(r.n), "Spearman": r.spearman,
             f"{r.level:.0%} interval": _interval(r.spearman_lo, r.spearman_hi),
             "minus recognizability": r.vs_recognizability,
             "its interval": _interval(r.vs_recognizability_lo, r.vs_recognizability_hi),
             "RMSE": r.rmse} for r in scores.itertuples()]
    return Section(title, _PREDICT, rows=rows, anchor="advise-predict")


def _loo_figure(loo: pd.DataFrame) -> Section:
    title = "Beyond the paper: predicted against measured k (leave one configuration out)"
    caption = ("Each point is one configuration, its k predicted by a model fitted to all the "
               "others; the line is y = x.")
    loo = loo[loo["target"] == "k"] if not loo.empty else loo
    if loo.empty:
        return Section(title, caption, missing="no leave-one-out predictions stored",
                       anchor="advise-loo")
    methods = [m for m in ("metrics", "metrics+pilot", "recognizability", "small-scale slope")
               if m in set(loo["method"])]
    fig = Figure(figsize=(3.2 * len(methods), 3.2), layout="constrained")
    for i, method in enumerate(methods):
        ax = fig.add_subplot(1, len(methods), i + 1)
        part = loo[loo["method"] == method]
        ax.scatter(part["measured"], part["predicted"], s=14)
        lo = min(part["measured"].min(), part["predicted"].min())
        hi = max(part["measured"].max(), part["predicted"].max())
        ax.plot([lo, hi], [lo, hi], color="grey", linewidth=0.8)
        ax.set_title(method, fontsize=9)
        ax.set_xlabel("measured k")
        if i == 0:
            ax.set_ylabel("predicted k")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return Section(title, caption, png=buffer.getvalue(), anchor="advise-loo")


def _adaptive_section(runs: pd.DataFrame) -> Section:
    title = "Beyond the paper: adaptive against uniform per-class budgets"
    rows = []
    for study, group in (runs.groupby("study") if not runs.empty else []):
        for row in summarise(group):
            rows.append({"study": study, "N": row["budget"], "seeds": row["seeds"],
                         "adaptive loss": row["adaptive_loss"], "uniform loss": row["uniform_loss"],
                         "adaptive - uniform": row["difference"],
                         f"{row['level']:.0%} interval": _interval(row["difference_lo"],
                                                                   row["difference_hi"]),
                         "predicted adaptive": row["predicted_adaptive"],
                         "predicted uniform": row["predicted_uniform"]})
    if not rows:
        return Section(title, _ADAPTIVE, missing="no adaptive experiment stored (a study's "
                       "advise.adaptive section)", anchor="advise-adaptive")
    return Section(title, _ADAPTIVE, rows=rows, anchor="advise-adaptive")
