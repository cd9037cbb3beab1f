"""CLIP curves from the store: Figure 8's power-law fits and Table 1's zero-shot top-1.

A CLIP curve is ``clip:<world>/<pairs>/<data>/<model>``; its points are (captions, zero-shot
loss) per set and seed. Each curve is fitted with the same fitter as the classifier curves
(``synscale.scaling``: the power law of Eq. 2 with its bootstrap interval, at D_I = the curve's
largest scale, i.e. the whole pair pool), on the zero-shot loss and on the top-1 error of every
set; the fits go to the store's ``fits`` table (metric ``loss`` as the set name, ``top1_error``
as ``<set>/top1_error``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from synscale.errors import FitError, WorkspaceError
from synscale.scaling.curves import curves_from_frame
from synscale.scaling.run import FitOptions, fit_one
from synscale.store import ResultsStore

CURVE = "'clip:' || r.world || '/' || r.pairs || '/' || r.data || '/' || r.model"


def clip_points(store: ResultsStore) -> pd.DataFrame:
    """Every stored CLIP run on every set: curve, data, set, D (captions), seed, loss, top1."""
    return store.query(
        f"SELECT {CURVE} AS curve, r.data, s.set_name, r.scale AS D, r.seed, s.loss, s.top1"
        " FROM clip_runs r JOIN clip_set_metrics s USING (run_id)"
        " ORDER BY curve, s.set_name, D, r.seed")


def fit_clip_curves(store: ResultsStore, options: FitOptions | None = None) -> list[dict[str, Any]]:
    """Fit every CLIP curve on every set (loss and top-1 error); store and return the fits."""
    options = options or FitOptions()
    points = clip_points(store)
    if points.empty:
        raise WorkspaceError("no CLIP runs stored yet; run synscale clip train first")
    rows: list[dict[str, Any]] = []
    for (set_name, curve_name), group in points.groupby(["set_name", "curve"], sort=True):
        ref_scale = options.ref_scale or float(group["D"].max())
        for metric, values in (("loss", group["loss"]), ("top1_error", 1.0 - group["top1"])):
            frame = pd.DataFrame({"curve": curve_name, "D": group["D"], "loss": values,
                                  "seed": group["seed"]})
            stored_set = set_name if metric == "loss" else f"{set_name}/{metric}"
            try:
                (curve,) = curves_from_frame(frame, source=f"{curve_name} ({stored_set})")
                fit, summary = fit_one(curve, replace(options, ref_scale=ref_scale))
            except (FitError, ValueError) as exc:  # too few scales, or a zero error
                rows.append({"curve": curve_name, "set": stored_set, "skipped": str(exc)})
                continue
            store.add_fit(curve_name, stored_set, options.law, {**fit.to_dict(), **summary})
            rows.append({"curve": curve_name, "set": stored_set, "k": summary["k"],
                         "k_lo": summary["k_ci"][0], "k_hi": summary["k_ci"][1],
                         "ref_scale": ref_scale})
    return rows


def top1_table(store: ResultsStore) -> pd.DataFrame:
    """Table 1's analogue: zero-shot top-1 (mean over seeds) per data x scale, a column per set."""
    points = clip_points(store)
    if points.empty:
        raise WorkspaceError("no CLIP runs stored yet; run synscale clip train first")
    table = points.pivot_table(index=["data", "D"], columns="set_name", values="top1",
                               aggfunc="mean").reset_index()
    table.columns.name = None
    sets = [c for c in table.columns if c not in ("data", "D")]
    return table[["D", "data", *sorted(sets, key=lambda s: (s != "val", s))]].sort_values(["D", "data"])
