"""Analyses of stored curves: fits per evaluation set, per-class scaling, exchange rate.

Curves are named by a study's short name (``study_curves``) or by the ``data`` value of their
runs (``real``, ``syn:<dataset>``, ``real250+syn:<dataset>``), optionally ``data/model``; a
unique prefix of either works. Every result is also written to the store for the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synscale.errors import ConfigError, FitError
from synscale.scaling.classes import class_fits
from synscale.scaling.curves import Curve, curves_from_frame
from synscale.scaling.exchange import exchange_rate
from synscale.scaling.fit import fit_curve
from synscale.scaling.run import FitOptions, fit_one
from synscale.store import ResultsStore


@dataclass(frozen=True)
class StoredCurve:
    key: str  # world/data/model, as ResultsStore.curves names it
    name: str  # the study's short name, or the data value
    world: str
    data: str
    model: str
    study: str | None = None

    @property
    def kind(self) -> str:
        return "real" if self.data == "real" else "mix" if "+syn:" in self.data else "syn"

    @property
    def dataset(self) -> str | None:
        return self.data.partition("syn:")[2] or None


def stored_curves(store: ResultsStore) -> list[StoredCurve]:
    """Every curve with runs in the store: the studies' named curves, then the rest by data."""
    named = store.query("SELECT DISTINCT s.study, s.name, s.world, s.data, s.model FROM study_curves s"
                        " JOIN runs r ON r.world = s.world AND r.data = s.data AND r.model = s.model"
                        " ORDER BY s.study, s.name")
    out = [StoredCurve(f"{r.world}/{r.data}/{r.model}", r.name, r.world, r.data, r.model, r.study)
           for r in named.itertuples()]
    for r in store.query("SELECT DISTINCT world, data, model FROM runs ORDER BY world, data, model"
                         ).itertuples():
        out.append(StoredCurve(f"{r.world}/{r.data}/{r.model}", r.data, r.world, r.data, r.model))
    return out


def find_curve(store: ResultsStore, name: str, option: str = "--curve") -> StoredCurve:
    """A curve by short name, data value or ``data/model``; exact match first, then unique prefix."""
    curves = stored_curves(store)
    if not curves:
        raise ConfigError("the results store holds no runs yet; run a study or `synscale train`")
    labels = {c: {c.name, f"{c.data}/{c.model}"} for c in curves}
    exact = {c.key: c for c, names in labels.items() if name in names}
    if not exact:
        exact = {c.key: c for c, names in labels.items() if any(n.startswith(name) for n in names)}
    if len(exact) == 1:
        return next(iter(exact.values()))
    valid = sorted({c.name for c in curves})
    if exact:
        raise ConfigError(f"{option} {name!r} is ambiguous: it matches "
                          + ", ".join(sorted(f"{c.data}/{c.model}" for c in exact.values())))
    raise ConfigError(f"{option} {name!r}: no such curve; valid: {', '.join(valid)}")


def curve_points(store: ResultsStore, curve: StoredCurve, set_name: str = "val") -> Curve:
    frame = store.curves(set_name, curve.key)
    if frame.empty:
        raise ConfigError(f"curve {curve.name!r} has no runs evaluated on {set_name!r}")
    return curves_from_frame(frame, source=f"curve {curve.name!r} ({set_name})")[0]


def set_names(store: ResultsStore) -> list[str]:
    names = store.query("SELECT DISTINCT set_name FROM set_metrics")["set_name"].tolist()
    return sorted(names, key=lambda s: (s != "val", s))


def check_set(store: ResultsStore, set_name: str) -> None:
    valid = set_names(store)
    if set_name not in valid:
        raise ConfigError(f"--set {set_name!r}: no such evaluation set; valid: {', '.join(valid)}")


def fit_stored_curve(store: ResultsStore, curve: StoredCurve, set_name: str, laws: list[str],
                     ref_scale: float, level: float) -> list[dict]:
    """Fit every law to one curve on one set and store the fits; a too-short curve is skipped."""
    rows = []
    points = curve_points(store, curve, set_name)
    for law in laws:
        try:
            fit, row = fit_one(points, FitOptions(law=law, ref_scale=ref_scale, level=level))
        except FitError as exc:
            rows.append({"curve": curve.name, "set": set_name, "law": law, "skipped": str(exc)})
            continue
        store.add_fit(curve.key, set_name, law, {**fit.to_dict(), **row})
        rows.append({"set": set_name, **row, "curve": curve.name})
    return rows


def real_reference(store: ResultsStore, curve: StoredCurve) -> StoredCurve | None:
    """The real curve to compare with: same world and model, else same world."""
    reals = [c for c in stored_curves(store) if c.kind == "real" and c.world == curve.world]
    same_model = [c for c in reals if c.model == curve.model]
    return (same_model or reals or [None])[0]


def classes_table(store: ResultsStore, curve: StoredCurve, set_name: str, ref_scale: float,
                  level: float = 0.95, measured_per_class: int | None = None) -> pd.DataFrame:
    """Per class: k with its interval, performance at D_I, group, the dataset's recognizability
    and diversity, and the real curve's k where there is one (Figure 7's comparison)."""
    table = _class_fits(store, curve, set_name, ref_scale, level)
    metrics = _dataset_class_metrics(store, curve.dataset, measured_per_class)
    table = table.merge(metrics, on="class_id", how="left") if metrics is not None else \
        table.assign(recognizability=np.nan, diversity=np.nan)
    real = real_reference(store, curve)
    if real is not None and real.key != curve.key:
        real_table = _class_fits(store, real, set_name, ref_scale, level)
        table = table.merge(real_table[["class_id", "k", "k_lo", "k_hi"]].rename(
            columns={"k": "real_k", "k_lo": "real_k_lo", "k_hi": "real_k_hi"}), on="class_id", how="left")
        table["beats_real"] = table["k"] > table["real_k"]
    else:
        table = table.assign(real_k=np.nan, real_k_lo=np.nan, real_k_hi=np.nan, beats_real=None)
    rows = [{"curve": curve.key, "set_name": set_name, **{k: _plain(v) for k, v in row.items()}}
            for row in table.rename(columns={"group": "class_group"}).to_dict("records")]
    store.replace_rows("class_fits", {"curve": curve.key, "set_name": set_name}, rows)
    return table


def _class_fits(store: ResultsStore, curve: StoredCurve, set_name: str, ref_scale: float,
                level: float) -> pd.DataFrame:
    frame = store.class_curves(set_name, curve.key)
    if frame.empty:
        raise ConfigError(f"curve {curve.name!r} has no per-class results on {set_name!r}")
    return class_fits(frame[["class_id", "D", "loss", "seed"]], ref_scale=ref_scale, level=level)


def _dataset_class_metrics(store: ResultsStore, dataset: str | None,
                           per_class: int | None) -> pd.DataFrame | None:
    if dataset is None:
        return None
    sql = ("SELECT class_id, recognizability, diversity, measured_per_class FROM dataset_class_metrics"
           " WHERE dataset = ?" + (" AND measured_per_class = ?" if per_class else "")
           + " ORDER BY measured_per_class DESC")
    frame = store.query(sql, [dataset, per_class] if per_class else [dataset])
    if frame.empty:
        return None
    first = frame[frame["measured_per_class"] == frame["measured_per_class"].iloc[0]]
    return first.drop(columns="measured_per_class").drop_duplicates("class_id")


def exchange_table(store: ResultsStore, synthetic: StoredCurve, real: StoredCurve, set_name: str,
                   ref_scale: float, level: float = 0.95) -> list[dict]:
    """The exchange rate at every real scale of ``real``, from power-law fits of both curves."""
    syn_points, real_points = (curve_points(store, c, set_name) for c in (synthetic, real))
    syn_fit, real_fit = (fit_curve(points, "power", ref_scale=ref_scale, level=level)
                         for points in (syn_points, real_points))
    rate = exchange_rate(syn_fit, real_fit, real_points.scales, level=level)
    rows = rate.rows()
    store.replace_rows("exchange_rates", {"synthetic": synthetic.key, "real": real.key,
                                          "set_name": set_name},
                       [{"synthetic": synthetic.key, "real": real.key, "set_name": set_name,
                         "D_real": r["D_real"], "loss": r["loss"], "D_synthetic": r["D_synthetic"],
                         "rate": r["rate"], "rate_lo": r["rate_ci"][0], "rate_hi": r["rate_ci"][1],
                         "reachable": r["reachable"]} for r in rows])
    return rows


def _plain(value: object) -> object:
    """numpy scalars and NaN as plain Python values (None for missing)."""
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
