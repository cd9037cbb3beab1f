"""The results store: one DuckDB file per workspace, written only by the driver process.

Tables
- ``runs``: one row per training run (dataset, scale, seed, model) with its validation metrics;
  ``real_images`` and ``synthetic_images`` say what its ``scale`` images were;
- ``set_metrics``: loss and top-1 of each run on ``val`` and on every OOD set;
- ``class_metrics``: per-class loss and top-1 of each run on every set;
- ``fits``: fitted scaling laws (written by ``synscale fit --workspace`` and by studies);
- ``datasets``: one row per synthetic dataset a study made (generator, CFG, prompts, seed);
- ``dataset_metrics`` / ``dataset_class_metrics``: recognizability, diversity and FID of a
  dataset (overall / per class), as ``synscale measure`` computes them;
- ``studies``, ``study_configs``, ``study_curves``, ``study_failures``: a study file, the short
  names of its generation configurations and curves, and what failed;
- ``class_fits``: per-class k, performance at D_I and group of a curve (``synscale classes``);
- ``exchange_rates``: synthetic-to-real exchange rate per real scale (``synscale exchange``);
- ``predict_loo`` / ``predict_scores``: leave-one-configuration-out predictions of k and
  ``-log L_{D_I}`` and their Spearman scores (``synscale predict``, docs/advise.md);
- ``allocations``: per-class image counts of a budget (``synscale allocate``);
- ``adaptive_runs``: the adaptive-vs-uniform experiment of a study's ``adaptive`` section;
- ``clip_runs`` / ``clip_set_metrics`` / ``clip_class_metrics``: CLIP runs (``synscale clip
  train``): scale = captions, data = real / syn:<set> / mix:<set>, and their zero-shot loss and
  top-1 per set and per class (docs/clip.md);
- ``study_grid`` (a view): every configuration of a study with its metrics and its loss,
  ``-log L`` and top-1 at D_I (mean over the grid seeds): the points of Figure 2;
- ``study_fits`` (a view): k with its interval, ``-log L_{D_I}`` and the power law's break scale
  of every study curve on every set (Figures 3 and 4).
Everything exports to CSV or Parquet through ``table()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import duckdb

from synscale.errors import WorkspaceError

if TYPE_CHECKING:  # duckdb imports pandas when a table is asked for as a frame
    import pandas as pd

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, world VARCHAR, data VARCHAR, model VARCHAR,
    scale BIGINT, seed BIGINT, iterations BIGINT, val_loss DOUBLE, val_top1 DOUBLE,
    train_images_per_s DOUBLE, data_wait_fraction DOUBLE, seconds DOUBLE,
    config VARCHAR, created TIMESTAMP DEFAULT current_timestamp);
CREATE TABLE IF NOT EXISTS set_metrics (
    run_id VARCHAR, set_name VARCHAR, loss DOUBLE, top1 DOUBLE, n BIGINT);
CREATE TABLE IF NOT EXISTS class_metrics (
    run_id VARCHAR, set_name VARCHAR, class_id BIGINT, loss DOUBLE, top1 DOUBLE, n BIGINT);
CREATE TABLE IF NOT EXISTS fits (
    curve VARCHAR, set_name VARCHAR, law VARCHAR, result VARCHAR,
    created TIMESTAMP DEFAULT current_timestamp);
ALTER TABLE runs ADD COLUMN IF NOT EXISTS real_images BIGINT;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS synthetic_images BIGINT;
CREATE TABLE IF NOT EXISTS datasets (
    dataset VARCHAR PRIMARY KEY, world VARCHAR, generator VARCHAR, cfg DOUBLE, prompts VARCHAR,
    seed BIGINT, per_class BIGINT, images BIGINT, config VARCHAR);
CREATE TABLE IF NOT EXISTS dataset_metrics (
    dataset VARCHAR, measured_per_class BIGINT, reference VARCHAR, images BIGINT,
    recognizability DOUBLE, diversity DOUBLE, fid DOUBLE);
CREATE TABLE IF NOT EXISTS dataset_class_metrics (
    dataset VARCHAR, measured_per_class BIGINT, reference VARCHAR, class_id BIGINT,
    class_name VARCHAR, images BIGINT, recognizability DOUBLE, diversity DOUBLE);
CREATE TABLE IF NOT EXISTS studies (
    study VARCHAR PRIMARY KEY, config VARCHAR, source VARCHAR, reference_scale BIGINT,
    model VARCHAR, analysed VARCHAR);
CREATE TABLE IF NOT EXISTS study_configs (
    study VARCHAR, name VARCHAR, dataset VARCHAR, generator VARCHAR, cfg DOUBLE,
    prompts VARCHAR, seed BIGINT, per_class BIGINT);
CREATE TABLE IF NOT EXISTS study_curves (
    study VARCHAR, name VARCHAR, curve VARCHAR, world VARCHAR, data VARCHAR, model VARCHAR,
    kind VARCHAR, config VARCHAR, real_images BIGINT);
CREATE TABLE IF NOT EXISTS study_failures (
    study VARCHAR, stage VARCHAR, item VARCHAR, config VARCHAR, error VARCHAR,
    created TIMESTAMP DEFAULT current_timestamp);
CREATE TABLE IF NOT EXISTS class_fits (
    curve VARCHAR, set_name VARCHAR, class_id BIGINT, k DOUBLE, k_lo DOUBLE, k_hi DOUBLE,
    perf_ref DOUBLE, perf_ref_se DOUBLE, class_group VARCHAR, recognizability DOUBLE,
    diversity DOUBLE, real_k DOUBLE, real_k_lo DOUBLE, real_k_hi DOUBLE, beats_real BOOLEAN);
CREATE TABLE IF NOT EXISTS exchange_rates (
    synthetic VARCHAR, real VARCHAR, set_name VARCHAR, D_real DOUBLE, loss DOUBLE,
    D_synthetic DOUBLE, rate DOUBLE, rate_lo DOUBLE, rate_hi DOUBLE, reachable DOUBLE);
CREATE TABLE IF NOT EXISTS predict_loo (
    study VARCHAR, target VARCHAR, method VARCHAR, config VARCHAR, measured DOUBLE,
    predicted DOUBLE);
CREATE TABLE IF NOT EXISTS predict_scores (
    study VARCHAR, target VARCHAR, method VARCHAR, n BIGINT, spearman DOUBLE, spearman_lo DOUBLE,
    spearman_hi DOUBLE, vs_recognizability DOUBLE, vs_recognizability_lo DOUBLE,
    vs_recognizability_hi DOUBLE, rmse DOUBLE, level DOUBLE);
CREATE TABLE IF NOT EXISTS allocations (
    plan VARCHAR, pilot VARCHAR, budget BIGINT, class_id BIGINT, count BIGINT, config VARCHAR,
    a DOUBLE, k DOUBLE, predicted_loss DOUBLE);
CREATE TABLE IF NOT EXISTS adaptive_runs (
    study VARCHAR, budget BIGINT, arm VARCHAR, seed BIGINT, dataset VARCHAR, run_id VARCHAR,
    val_loss DOUBLE, predicted_loss DOUBLE);
CREATE TABLE IF NOT EXISTS clip_runs (
    run_id VARCHAR PRIMARY KEY, world VARCHAR, pairs VARCHAR, data VARCHAR, model VARCHAR,
    scale BIGINT, seed BIGINT, epochs BIGINT, iterations BIGINT, real_draws BIGINT,
    synthetic_draws BIGINT, train_loss DOUBLE, val_loss DOUBLE, val_top1 DOUBLE,
    pairs_per_s DOUBLE, seconds DOUBLE, config VARCHAR,
    created TIMESTAMP DEFAULT current_timestamp);
CREATE TABLE IF NOT EXISTS clip_set_metrics (
    run_id VARCHAR, set_name VARCHAR, loss DOUBLE, top1 DOUBLE, n BIGINT);
CREATE TABLE IF NOT EXISTS clip_class_metrics (
    run_id VARCHAR, set_name VARCHAR, class_id BIGINT, loss DOUBLE, top1 DOUBLE, n BIGINT);
CREATE OR REPLACE VIEW study_grid AS
SELECT c.study, c.name AS config, c.generator, c.cfg, c.prompts, c.dataset, m.recognizability,
       m.diversity, m.fid, count(r.run_id) AS runs, avg(r.val_loss) AS val_loss,
       -ln(avg(r.val_loss)) AS perf_ref, avg(r.val_top1) AS val_top1
FROM study_configs c JOIN studies s USING (study)
LEFT JOIN dataset_metrics m ON m.dataset = c.dataset
LEFT JOIN runs r ON r.data = 'syn:' || c.dataset AND r.scale = s.reference_scale AND r.model = s.model
GROUP BY ALL ORDER BY c.study, c.generator, c.prompts, c.cfg;
CREATE OR REPLACE VIEW study_fits AS
SELECT c.study, c.name AS curve, c.kind, c.model, f.set_name, f.law,
       json_extract(f.result, '$.k')::DOUBLE AS k,
       json_extract(f.result, '$.k_ci[0]')::DOUBLE AS k_lo,
       json_extract(f.result, '$.k_ci[1]')::DOUBLE AS k_hi,
       json_extract(f.result, '$.params.perf_ref')::DOUBLE AS perf_ref,
       json_extract(f.result, '$.ref_scale')::DOUBLE AS ref_scale,
       json_extract(f.result, '$.power_law_range.break_D')::DOUBLE AS break_D
FROM study_curves c JOIN fits f ON f.curve = c.curve
ORDER BY c.study, f.set_name != 'val', f.set_name, c.name, f.law;
"""
CURVE_KEY = "r.world || '/' || r.data || '/' || r.model"  # a curve's name: world/data/model
TABLES = ("runs", "set_metrics", "class_metrics", "fits", "datasets", "dataset_metrics",
          "dataset_class_metrics", "studies", "study_configs", "study_curves", "study_failures",
          "class_fits", "exchange_rates", "study_grid", "study_fits", "predict_loo", "predict_scores",
          "allocations", "adaptive_runs", "clip_runs", "clip_set_metrics", "clip_class_metrics")


@dataclass
class SetMetrics:
    loss: float
    top1: float
    n: int
    per_class: list[dict[str, float]] = field(default_factory=list)  # class_id, loss, top1, n


@dataclass
class RunRecord:
    run_id: str
    world: str
    data: str
    model: str
    scale: int
    seed: int
    iterations: int
    train_images_per_s: float
    data_wait_fraction: float
    seconds: float
    config: dict[str, Any]
    sets: dict[str, SetMetrics]  # "val" and every OOD set
    real_images: int = 0  # of the ``scale`` images trained on, how many were real
    synthetic_images: int = 0

    def summary(self) -> dict[str, Any]:
        """The flat JSON line of ``synscale train --json``."""
        val = self.sets["val"]
        return {"run_id": self.run_id, "world": self.world, "data": self.data, "model": self.model,
                "scale": self.scale, "seed": self.seed, "iterations": self.iterations,
                "val_loss": val.loss, "val_top1": val.top1,
                "ood": {k: {"loss": v.loss, "top1": v.top1} for k, v in self.sets.items() if k != "val"},
                "train_images_per_s": self.train_images_per_s,
                "data_wait_fraction": self.data_wait_fraction, "seconds": self.seconds,
                "real_images": self.real_images, "synthetic_images": self.synthetic_images}


RUNS_OVERVIEW = ("SELECT run_id, world, data, model, scale, real_images, synthetic_images, seed,"
                 " iterations, val_loss, val_top1, train_images_per_s, seconds FROM runs"
                 " ORDER BY world, data, model, scale, seed")


class ResultsStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._con = duckdb.connect(str(self.path))
        except duckdb.Error as exc:
            raise WorkspaceError(f"cannot open results store {self.path}: {exc}") from None
        self._con.execute(SCHEMA)
        self._depth = 0

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Everything written inside lands together or not at all (nested: one transaction)."""
        if self._depth:
            yield self._con
            return
        self._con.execute("BEGIN")
        self._depth += 1
        try:
            yield self._con
            self._con.execute("COMMIT")
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        finally:
            self._depth -= 1

    def has_run(self, run_id: str) -> bool:
        return self._con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone() is not None

    def add_run(self, run: RunRecord) -> None:
        """All of a run's rows land together or not at all."""
        val = run.sets["val"]
        with self.transaction() as con:
            con.execute(
                "INSERT INTO runs (run_id, world, data, model, scale, seed, iterations, val_loss,"
                " val_top1, train_images_per_s, data_wait_fraction, seconds, config, real_images,"
                " synthetic_images) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run.run_id, run.world, run.data, run.model, run.scale, run.seed, run.iterations,
                 val.loss, val.top1, run.train_images_per_s, run.data_wait_fraction, run.seconds,
                 json.dumps(run.config, sort_keys=True), run.real_images, run.synthetic_images])
            for name, m in run.sets.items():
                con.execute("INSERT INTO set_metrics VALUES (?, ?, ?, ?, ?)",
                            [run.run_id, name, m.loss, m.top1, m.n])
                if m.per_class:  # executemany refuses an empty list
                    con.executemany("INSERT INTO class_metrics VALUES (?, ?, ?, ?, ?, ?)",
                                    [[run.run_id, name, int(c["class_id"]), c["loss"], c["top1"],
                                      int(c["n"])] for c in m.per_class])

    def get_run(self, run_id: str) -> RunRecord | None:
        row = self._con.execute(
            "SELECT run_id, world, data, model, scale, seed, iterations, train_images_per_s,"
            " data_wait_fraction, seconds, config, real_images, synthetic_images FROM runs"
            " WHERE run_id = ?", [run_id]).fetchone()
        if row is None:
            return None
        sets = {name: SetMetrics(loss, top1, n) for name, loss, top1, n in self._con.execute(
            "SELECT set_name, loss, top1, n FROM set_metrics WHERE run_id = ? ORDER BY set_name",
            [run_id]).fetchall()}
        for name, class_id, loss, top1, n in self._con.execute(
                "SELECT set_name, class_id, loss, top1, n FROM class_metrics WHERE run_id = ?"
                " ORDER BY set_name, class_id", [run_id]).fetchall():
            sets[name].per_class.append({"class_id": class_id, "loss": loss, "top1": top1, "n": n})
        *head, config, real_images, synthetic_images = row
        return RunRecord(*head, config=json.loads(config), sets=sets,
                         real_images=real_images or 0, synthetic_images=synthetic_images or 0)

    def runs(self) -> pd.DataFrame:
        return self._con.execute(RUNS_OVERVIEW).df()

    def records(self, name: str) -> tuple[list[str], list[dict[str, Any]]]:
        """A table or view (``runs``: the overview ``runs()`` gives) as its column names and one
        dict per row, without pandas (``synscale results`` starts faster without it)."""
        if name != "runs":
            self._check_table(name)
        cursor = self._con.execute(RUNS_OVERVIEW if name == "runs" else f"SELECT * FROM {name}")
        columns = [column[0] for column in cursor.description]
        return columns, [dict(zip(columns, row)) for row in cursor.fetchall()]

    def curves(self, set_name: str = "val", curve: str | None = None) -> pd.DataFrame:
        """Learning curves as ``curve, D, loss, seed`` rows; a curve is world/data/model (all
        curves, or the one named)."""
        return self._con.execute(
            f"SELECT {CURVE_KEY} AS curve, r.scale AS D, s.loss, r.seed FROM runs r JOIN set_metrics s"
            f" USING (run_id) WHERE s.set_name = ? AND (? IS NULL OR {CURVE_KEY} = ?)"
            " ORDER BY curve, D, seed", [set_name, curve, curve]).df()

    def class_curves(self, set_name: str = "val", curve: str | None = None) -> pd.DataFrame:
        """Per-class learning curves as ``curve, class_id, D, loss, top1, seed`` rows."""
        return self._con.execute(
            f"SELECT {CURVE_KEY} AS curve, c.class_id, r.scale AS D, c.loss, c.top1, r.seed"
            f" FROM runs r JOIN class_metrics c USING (run_id) WHERE c.set_name = ?"
            f" AND (? IS NULL OR {CURVE_KEY} = ?) ORDER BY curve, c.class_id, D, seed",
            [set_name, curve, curve]).df()

    def add_fit(self, curve: str, set_name: str, law: str, result: dict[str, Any]) -> None:
        with self.transaction() as con:
            con.execute("DELETE FROM fits WHERE curve = ? AND set_name = ? AND law = ?",
                        [curve, set_name, law])
            con.execute("INSERT INTO fits (curve, set_name, law, result) VALUES (?, ?, ?, ?)",
                        [curve, set_name, law, json.dumps(result, sort_keys=True)])

    def add_dataset(self, name: str, card: dict[str, Any]) -> None:
        """A synthetic dataset's factors, from its card (``datasets/<name>/card.json``)."""
        config = card["config"]
        self.replace_rows("datasets", {"dataset": name}, [{
            "dataset": name, "world": card["world"], "generator": config["generator"],
            "cfg": config["cfg"], "prompts": config["prompts"], "seed": config["seed"],
            "per_class": config["per_class"], "images": card["images"],
            "config": json.dumps(config, sort_keys=True)}])

    def add_measurement(self, dataset: str, per_class: int, reference: str,
                        result: dict[str, Any]) -> None:
        """What ``measure`` found (overall and per class), keyed by dataset, images scored per
        class and reference classifier."""
        key = {"dataset": dataset, "measured_per_class": per_class, "reference": reference}
        with self.transaction():
            self.replace_rows("dataset_metrics", key, [{
                **key, "images": result["images"], "recognizability": result.get("recognizability"),
                "diversity": result.get("diversity"), "fid": result.get("fid")}])
            self.replace_rows("dataset_class_metrics", key, [{
                **key, "class_id": row["class_id"], "class_name": row["class_name"],
                "images": row["images"], "recognizability": row.get("recognizability"),
                "diversity": row.get("diversity")} for row in result["per_class"]])

    def replace_rows(self, table: str, key: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        """Delete the rows of ``table`` matching ``key`` and insert ``rows``, atomically."""
        self._check_table(table)
        where = " AND ".join(f"{column} = ?" for column in key) or "TRUE"
        with self.transaction() as con:
            con.execute(f"DELETE FROM {table} WHERE {where}", list(key.values()))
            for row in rows:
                columns = ", ".join(row)
                con.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(row))})",
                            list(row.values()))

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        return self._con.execute(sql, params or []).df()

    def execute(self, sql: str, params: list[Any] | None = None) -> None:
        self._con.execute(sql, params or [])

    def table(self, name: str) -> pd.DataFrame:
        self._check_table(name)
        return self._con.execute(f"SELECT * FROM {name}").df()

    @staticmethod
    def _check_table(name: str) -> None:
        if name not in TABLES:
            raise WorkspaceError(f"unknown table {name!r}; valid: {', '.join(TABLES)}")

