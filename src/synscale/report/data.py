"""Everything a report reads, loaded once from a workspace's results store (opened read-only).

A report never writes: the store is opened with DuckDB's ``read_only`` flag, so building a
report cannot change a study's results, and a table that an older store lacks reads as empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from synscale.errors import WorkspaceError
from synscale.scaling.fit import FitResult
from synscale.workspace import Workspace

VAL = "val"


@dataclass(frozen=True)
class CurveInfo:
    key: str  # world/data/model, as ResultsStore.curves names it
    name: str  # the study's short name, else the data value
    kind: str  # real, syn or mix
    data: str
    model: str

    @property
    def dataset(self) -> str | None:
        return self.data.partition("syn:")[2] or None


@dataclass
class ReportData:
    """The store's contents as frames; ``curves`` lists every curve with runs, named ones first."""

    workspace: Path
    runs: pd.DataFrame
    points: pd.DataFrame  # curve, set_name, D, seed, loss, top1: every run on every set
    fit_rows: list[dict[str, Any]]  # curve, set_name, law, result (parsed)
    studies: pd.DataFrame
    grid: pd.DataFrame  # the study_grid view: Figure 2's points
    datasets: pd.DataFrame
    dataset_metrics: pd.DataFrame
    dataset_class_metrics: pd.DataFrame
    class_fits: pd.DataFrame
    class_points: pd.DataFrame  # curve, class_id, D, seed, loss on val
    exchange: pd.DataFrame
    study_curves: pd.DataFrame
    curves: list[CurveInfo] = field(default_factory=list)

    @classmethod
    def load(cls, workspace: str | Path) -> ReportData:
        root = Path(workspace)
        path = Workspace(root, create=False).store_path
        if not path.is_file():
            raise WorkspaceError(f"workspace {root} has no results store; run a study first")
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            raise WorkspaceError(f"cannot open results store {path} read-only: {exc}") from None
        try:
            data = cls._read(root, _Reader(con))
        finally:
            con.close()
        if data.runs.empty:
            raise WorkspaceError(f"the results store of {root} holds no runs yet; run a study first")
        return data

    @classmethod
    def _read(cls, root: Path, db: _Reader) -> ReportData:
        points = db.frame(
            "SELECT r.world || '/' || r.data || '/' || r.model AS curve, s.set_name, r.scale AS D,"
            " r.seed, s.loss, s.top1 FROM runs r JOIN set_metrics s USING (run_id)"
            " ORDER BY curve, s.set_name, D, r.seed", ("runs", "set_metrics"))
        fits = db.frame("SELECT curve, set_name, law, result FROM fits ORDER BY curve, set_name, law",
                        ("fits",))
        data = cls(
            workspace=root,
            runs=db.frame("SELECT * FROM runs ORDER BY world, data, model, scale, seed", ("runs",)),
            points=points,
            fit_rows=[{"curve": r.curve, "set_name": r.set_name, "law": r.law,
                       "result": json.loads(r.result)} for r in fits.itertuples()],
            studies=db.frame("SELECT * FROM studies ORDER BY study", ("studies",)),
            grid=db.frame("SELECT * FROM study_grid", ("study_grid",)),
            datasets=db.frame("SELECT * FROM datasets ORDER BY dataset", ("datasets",)),
            dataset_metrics=db.frame(
                "SELECT * FROM dataset_metrics ORDER BY dataset, measured_per_class DESC",
                ("dataset_metrics",)),
            dataset_class_metrics=db.frame(
                "SELECT * FROM dataset_class_metrics ORDER BY dataset, measured_per_class DESC,"
                " class_id", ("dataset_class_metrics",)),
            class_fits=db.frame("SELECT * FROM class_fits WHERE set_name = 'val'"
                                " ORDER BY curve, class_id", ("class_fits",)),
            class_points=db.frame(
                "SELECT r.world || '/' || r.data || '/' || r.model AS curve, c.class_id,"
                " r.scale AS D, r.seed, c.loss FROM runs r JOIN class_metrics c USING (run_id)"
                " WHERE c.set_name = 'val' ORDER BY curve, c.class_id, D, r.seed",
                ("runs", "class_metrics")),
            exchange=db.frame("SELECT * FROM exchange_rates ORDER BY synthetic, set_name, D_real",
                              ("exchange_rates",)),
            study_curves=db.frame("SELECT * FROM study_curves ORDER BY study, name",
                                  ("study_curves",)),
        )
        data.curves = _curves(data.study_curves, data.runs)
        return data

    # -- what the figures and findings ask for -------------------------------------------

    @cached_property
    def base_model(self) -> str:
        """The study's classifier; without a study, the model with most runs."""
        if not self.studies.empty and self.studies["model"].notna().any():
            return str(self.studies["model"].dropna().iloc[0])
        return str(self.runs["model"].value_counts().index[0])

    @cached_property
    def reference_scale(self) -> float:
        """D_I: the study's reference scale; without a study, the largest real scale."""
        if not self.studies.empty and self.studies["reference_scale"].notna().any():
            return float(self.studies["reference_scale"].dropna().iloc[0])
        return self.real_pool

    @cached_property
    def real_pool(self) -> float:
        """The largest number of real images any run trained on: past it, only synthetic data
        can go (the shaded range of Figures 3 and 4)."""
        real = self.runs["real_images"].fillna(0)
        return float(real.max()) if len(real) and real.max() > 0 else float("nan")

    @cached_property
    def sets(self) -> list[str]:
        names = self.points["set_name"].unique().tolist()
        return sorted(names, key=lambda s: (s != VAL, s))

    @property
    def ood_sets(self) -> list[str]:
        return [s for s in self.sets if s != VAL]

    def curve(self, key: str) -> CurveInfo:
        return next(c for c in self.curves if c.key == key)

    def curves_of(self, kind: str, model: str | None = None) -> list[CurveInfo]:
        return [c for c in self.curves if c.kind == kind and (model is None or c.model == model)]

    def fit(self, curve: str, set_name: str, law: str = "power") -> dict[str, Any] | None:
        """The stored fit result of one curve on one set (parsed JSON), or None."""
        return next((r["result"] for r in self.fit_rows if r["curve"] == curve
                     and r["set_name"] == set_name and r["law"] == law), None)

    def fit_result(self, curve: str, set_name: str, law: str = "power") -> FitResult | None:
        row = self.fit(curve, set_name, law)
        return None if row is None else FitResult.from_dict(row)

    def curve_means(self, curve: str, set_name: str) -> pd.DataFrame:
        """Per scale: mean loss and top-1 over seeds and the number of seeds."""
        rows = self.points[(self.points["curve"] == curve) & (self.points["set_name"] == set_name)]
        return rows.groupby("D", as_index=False).agg(loss=("loss", "mean"), top1=("top1", "mean"),
                                                     seeds=("seed", "count"))

    def class_curve(self) -> tuple[str, pd.DataFrame]:
        """The synthetic curve whose classes the report zooms in on (Figures 5-7, finding 6):
        the first synthetic curve of the study's classifier with per-class fits on val (any
        synthetic curve otherwise), and its per-class table."""
        fitted = set(self.class_fits["curve"]) if not self.class_fits.empty else set()
        candidates = ([c for c in self.curves_of("syn", self.base_model) if c.key in fitted]
                      or [c for c in self.curves_of("syn") if c.key in fitted])
        if not candidates:
            raise MissingData("no per-class fits of a synthetic curve (run `synscale classes` or "
                              "a study with analysis.per_class)")
        key = candidates[0].key
        return key, self.class_fits[self.class_fits["curve"] == key].reset_index(drop=True)

    def measurement(self, dataset: str) -> pd.Series | None:
        """The dataset's metrics with the most images measured per class."""
        rows = self.dataset_metrics[self.dataset_metrics["dataset"] == dataset]
        return None if rows.empty else rows.iloc[0]

    def class_measurements(self, dataset: str) -> pd.DataFrame:
        rows = self.dataset_class_metrics[self.dataset_class_metrics["dataset"] == dataset]
        if rows.empty:
            return rows
        most = rows["measured_per_class"].max()
        return rows[rows["measured_per_class"] == most].drop_duplicates("class_id")

    def grid_class_loss(self) -> pd.DataFrame:
        """Per grid dataset and class: mean val loss at D_I over the grid seeds (``dataset,
        class_id, loss``), for the paired tests of the CFG finding."""
        runs = self.runs[(self.runs["scale"] == self.reference_scale)
                         & (self.runs["model"] == self.base_model)
                         & self.runs["data"].str.startswith("syn:")]
        keys = {f"{r.world}/{r.data}/{r.model}": r.data[4:] for r in runs.itertuples()}
        rows = self.class_points[self.class_points["curve"].isin(keys)
                                 & (self.class_points["D"] == self.reference_scale)]
        rows = rows.assign(dataset=rows["curve"].map(keys))
        return rows.groupby(["dataset", "class_id"], as_index=False)["loss"].mean()


class _Reader:
    """Queries that read as empty when a table is missing (a store older than the report)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._tables = {row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}

    def frame(self, sql: str, needs: tuple[str, ...]) -> pd.DataFrame:
        if not set(needs) <= self._tables:
            return pd.DataFrame()
        return self._con.execute(sql).df()


def _curves(study_curves: pd.DataFrame, runs: pd.DataFrame) -> list[CurveInfo]:
    """Every curve with runs: the studies' named curves first, then the rest by data value."""
    have = {f"{r.world}/{r.data}/{r.model}": r for r in
            runs[["world", "data", "model"]].drop_duplicates().itertuples()}
    out: dict[str, CurveInfo] = {}
    for r in study_curves.itertuples():
        key = f"{r.world}/{r.data}/{r.model}"
        if key in have and key not in out:
            out[key] = CurveInfo(key, r.name, r.kind, r.data, r.model)
    for key, r in have.items():
        if key not in out:
            kind = "real" if r.data == "real" else "mix" if "+syn:" in r.data else "syn"
            out[key] = CurveInfo(key, r.data, kind, r.data, r.model)
    return list(out.values())


def finite(value: Any) -> float | None:
    """A number as a float, or None when it is missing or not finite."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


class MissingData(Exception):
    """What the store lacks for a figure, table or finding; the report prints it in its place."""
