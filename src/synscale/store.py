"""The results store: one DuckDB file per workspace, written only by the driver process.

Tables
- ``runs``: one row per training run (dataset, scale, seed, model) with its validation metrics;
- ``set_metrics``: loss and top-1 of each run on ``val`` and on every OOD set;
- ``class_metrics``: per-class loss and top-1 of each run on ``val``;
- ``fits``: fitted scaling laws (written by ``synscale fit --workspace``).
Everything exports to CSV or Parquet through ``table()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from synscale.errors import WorkspaceError

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
"""


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

    def summary(self) -> dict[str, Any]:
        """The flat JSON line of ``synscale train --json``."""
        val = self.sets["val"]
        return {"run_id": self.run_id, "world": self.world, "data": self.data, "model": self.model,
                "scale": self.scale, "seed": self.seed, "iterations": self.iterations,
                "val_loss": val.loss, "val_top1": val.top1,
                "ood": {k: {"loss": v.loss, "top1": v.top1} for k, v in self.sets.items() if k != "val"},
                "train_images_per_s": self.train_images_per_s,
                "data_wait_fraction": self.data_wait_fraction, "seconds": self.seconds}


class ResultsStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._con = duckdb.connect(str(self.path))
        except duckdb.Error as exc:
            raise WorkspaceError(f"cannot open results store {self.path}: {exc}") from None
        self._con.execute(SCHEMA)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self._con.execute("BEGIN")
        try:
            yield self._con
            self._con.execute("COMMIT")
        except BaseException:
            self._con.execute("ROLLBACK")
            raise

    def has_run(self, run_id: str) -> bool:
        return self._con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone() is not None

    def add_run(self, run: RunRecord) -> None:
        """All of a run's rows land together or not at all."""
        val = run.sets["val"]
        with self._transaction() as con:
            con.execute(
                "INSERT INTO runs (run_id, world, data, model, scale, seed, iterations, val_loss,"
                " val_top1, train_images_per_s, data_wait_fraction, seconds, config)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run.run_id, run.world, run.data, run.model, run.scale, run.seed, run.iterations,
                 val.loss, val.top1, run.train_images_per_s, run.data_wait_fraction, run.seconds,
                 json.dumps(run.config, sort_keys=True)])
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
            " data_wait_fraction, seconds, config FROM runs WHERE run_id = ?", [run_id]).fetchone()
        if row is None:
            return None
        sets = {name: SetMetrics(loss, top1, n) for name, loss, top1, n in self._con.execute(
            "SELECT set_name, loss, top1, n FROM set_metrics WHERE run_id = ? ORDER BY set_name",
            [run_id]).fetchall()}
        for name, class_id, loss, top1, n in self._con.execute(
                "SELECT set_name, class_id, loss, top1, n FROM class_metrics WHERE run_id = ?"
                " ORDER BY set_name, class_id", [run_id]).fetchall():
            sets[name].per_class.append({"class_id": class_id, "loss": loss, "top1": top1, "n": n})
        *head, config = row
        return RunRecord(*head, config=json.loads(config), sets=sets)

    def runs(self) -> pd.DataFrame:
        return self._con.execute(
            "SELECT run_id, world, data, model, scale, seed, iterations, val_loss, val_top1,"
            " train_images_per_s, seconds FROM runs ORDER BY world, data, model, scale, seed").df()

    def curves(self, set_name: str = "val") -> pd.DataFrame:
        """Learning curves as ``curve, D, loss, seed`` rows; a curve is world/data/model."""
        return self._con.execute(
            "SELECT r.world || '/' || r.data || '/' || r.model AS curve, r.scale AS D, s.loss, r.seed"
            " FROM runs r JOIN set_metrics s USING (run_id) WHERE s.set_name = ?"
            " ORDER BY curve, D, seed", [set_name]).df()

    def class_curves(self, set_name: str = "val") -> pd.DataFrame:
        """Per-class learning curves as ``curve, class_id, D, loss, top1, seed`` rows."""
        return self._con.execute(
            "SELECT r.world || '/' || r.data || '/' || r.model AS curve, c.class_id, r.scale AS D,"
            " c.loss, c.top1, r.seed FROM runs r JOIN class_metrics c USING (run_id)"
            " WHERE c.set_name = ? ORDER BY curve, c.class_id, D, seed", [set_name]).df()

    def add_fit(self, curve: str, set_name: str, law: str, result: dict[str, Any]) -> None:
        with self._transaction() as con:
            con.execute("DELETE FROM fits WHERE curve = ? AND set_name = ? AND law = ?",
                        [curve, set_name, law])
            con.execute("INSERT INTO fits (curve, set_name, law, result) VALUES (?, ?, ?, ?)",
                        [curve, set_name, law, json.dumps(result, sort_keys=True)])

    def table(self, name: str) -> pd.DataFrame:
        if name not in {"runs", "set_metrics", "class_metrics", "fits"}:
            raise WorkspaceError(f"unknown table {name!r}; valid: runs, set_metrics, class_metrics, fits")
        return self._con.execute(f"SELECT * FROM {name}").df()

