"""``synscale predict`` and ``synscale allocate`` on a workspace: read the store, compute, store back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synscale.advise.allocate import allocate, best_config_per_class, uniform
from synscale.advise.pilot import config_laws, pilot_source
from synscale.advise.plan import generation_plan, plan_digest, write_plan
from synscale.advise.predict import Evaluation, evaluate, predict_new
from synscale.advise.table import (
    StudyTable,
    choose_study,
    dataset_features,
    pilot_measurements,
    study_table,
)
from synscale.errors import ConfigError, WorkspaceError
from synscale.store import ResultsStore
from synscale.workspace import Workspace


def open_store(workspace: Workspace) -> ResultsStore:
    if not workspace.store_path.is_file():
        raise WorkspaceError(f"workspace {workspace.root} has no results store yet; run a study first")
    return ResultsStore(workspace.store_path)


def predict_scores(workspace: Workspace, study: str | None = None, level: float = 0.95,
                   n_boot: int = 2000) -> dict[str, Any]:
    """Leave-one-configuration-out scores of every method; stored in ``predict_loo`` and
    ``predict_scores``."""
    with open_store(workspace) as store:
        table = study_table(store, choose_study(store, study))
        result = evaluate(table, level=level, n_boot=n_boot)
        store_evaluation(store, table.study, result, level)
    return {"study": table.study, "configurations": len(table.with_curves),
            "small_scales": list(table.small_scales or ()), "level": level,
            "scores": [s.as_dict() for s in result.scores], "notes": result.notes}


def store_evaluation(store: ResultsStore, study: str, result: Evaluation, level: float) -> None:
    key = {"study": study}
    with store.transaction():
        store.replace_rows("predict_loo", key, [
            {"study": study, **{c: row[c] for c in ("target", "method", "config", "measured", "predicted")}}
            for row in result.loo.to_dict("records")])
        store.replace_rows("predict_scores", key, [
            {"study": study, "target": s.target, "method": s.method, "n": s.n, "spearman": s.spearman,
             "spearman_lo": s.spearman_ci[0], "spearman_hi": s.spearman_ci[1],
             "vs_recognizability": s.vs_recognizability,
             "vs_recognizability_lo": s.vs_recognizability_ci[0],
             "vs_recognizability_hi": s.vs_recognizability_ci[1], "rmse": s.rmse, "level": level}
            for s in result.scores])


def predict_dataset(workspace: Workspace, name: str, study: str | None = None,
                    method: str = "metrics", level: float = 0.95) -> dict[str, Any]:
    """k and ``-log L_{D_I}`` of one measured dataset (a configuration of the study, a dataset
    name or a unique prefix of one), each with its jackknife+ interval."""
    with open_store(workspace) as store:
        table = study_table(store, choose_study(store, study))
        dataset = _find_dataset(store, table, name)
        features = dataset_features(store, [dataset], table.measured_per_class)
        row = features.iloc[0].copy()
        if table.small_scales is not None:
            runs = store.query("SELECT scale AS D, val_loss AS loss FROM runs WHERE data = ? AND "
                               "model = ? AND scale IN (?, ?)",
                               [f"syn:{dataset}", table.model, *table.small_scales])
            if runs["D"].nunique() == 2:
                row = pd.concat([row, pd.Series(pilot_measurements(runs, table.small_scales,
                                                                   table.reference_scale))])
    rows = predict_new(table, row, method=method, level=level)
    return {"study": table.study, "dataset": dataset, "predictions": rows}


def _find_dataset(store: ResultsStore, table: StudyTable, name: str) -> str:
    by_config = table.frame.loc[table.frame["config"] == name, "dataset"]
    if len(by_config):
        return str(by_config.iloc[0])
    measured = sorted(store.query("SELECT DISTINCT dataset FROM dataset_metrics WHERE "
                                  "measured_per_class = ?", [table.measured_per_class])["dataset"])
    matches = [d for d in measured if d == name] or [d for d in measured if d.startswith(name)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ConfigError(f"--dataset {name!r} is ambiguous: {', '.join(matches)}")
    valid = sorted(table.frame["config"]) + [d for d in measured if d not in set(table.frame["dataset"])]
    raise ConfigError(f"--dataset {name!r}: no measured dataset of that name (measured with "
                      f"{table.measured_per_class} images per class); valid: {', '.join(valid)}")


def finite(value: object) -> object:
    """NaN and infinities as None, for JSON."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def allocate_budget(workspace: Workspace, budget: int, pilot: str | None = None,
                    study: str | None = None, minimum: int | None = None, per_class_config: bool = False,
                    out: Path | None = None) -> dict[str, Any]:
    """The per-class counts (and, with ``per_class_config``, configurations) that minimise the
    pilot's predicted loss for ``budget`` images; stored in ``allocations``, and written as a
    generation plan to ``out`` (``synscale generate --config``). ``minimum`` per class: default
    the pilot's smallest per-class count (``PilotSource.default_minimum``)."""
    with open_store(workspace) as store:
        name = choose_study(store, study)
        source = pilot_source(store, name, pilot)
        laws = source.laws()
        if per_class_config:
            laws = best_config_per_class(config_laws(store, name, source), budget)
        if minimum is None:
            minimum = source.default_minimum(budget)
        allocation = allocate(laws, budget, minimum)
        even = uniform(laws, budget) if budget >= len(laws) else None
        plan = generation_plan(store, source, allocation)
        plan_id = plan_digest(plan)
        store.replace_rows("allocations", {"plan": plan_id}, [
            {"plan": plan_id, "pilot": source.curve.key, "budget": budget,
             **{k: row[k] for k in ("class_id", "count", "config", "a", "k", "predicted_loss")}}
            for row in allocation.rows()])
    if out is not None:
        write_plan(out, plan)
    return {"study": name, "pilot": source.curve.name, "pilot_config": source.config,
            "budget": budget, "minimum": minimum, "plan": plan_id,
            "predicted_loss": allocation.predicted_loss,
            "uniform_predicted_loss": even.predicted_loss if even else None,
            "classes": allocation.rows(), "out": str(out) if out else None}
