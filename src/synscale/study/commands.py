"""``synscale classes`` and ``synscale exchange``: analyses of any stored curve, stored back."""

from __future__ import annotations

import math
from typing import Any

from synscale.errors import ConfigError, WorkspaceError
from synscale.store import ResultsStore
from synscale.study.analysis import (
    StoredCurve,
    check_set,
    classes_table,
    exchange_table,
    find_curve,
    real_reference,
)
from synscale.workspace import Workspace


def per_class(workspace: Workspace, curve_name: str, set_name: str = "val",
              ref_scale: float | None = None) -> list[dict[str, Any]]:
    """One row per class: ``class_id, k, k_ci, perf_ref, group, recognizability, diversity``
    (plus ``real_k``, ``real_k_ci`` and ``beats_real`` when there is a real curve)."""
    with _store(workspace) as store:
        curve = find_curve(store, curve_name)
        check_set(store, set_name)
        table = classes_table(store, curve, set_name, _ref_scale(store, curve, ref_scale))
    rows = []
    for row in table.to_dict("records"):
        out = {"class_id": int(row["class_id"]), "k": row["k"], "k_ci": [row["k_lo"], row["k_hi"]],
               "perf_ref": row["perf_ref"], "group": row["group"],
               "recognizability": _number(row.get("recognizability")),
               "diversity": _number(row.get("diversity"))}
        if _number(row.get("real_k")) is not None:
            out |= {"real_k": row["real_k"], "real_k_ci": [row["real_k_lo"], row["real_k_hi"]],
                    "beats_real": bool(row["beats_real"])}
        rows.append(out)
    return rows


def exchange_rates(workspace: Workspace, synthetic_name: str, real_name: str | None,
                   set_name: str = "val", ref_scale: float | None = None) -> list[dict[str, Any]]:
    """One row per real scale: ``D_real, rate, rate_ci`` (and the loss matched, D_synthetic)."""
    with _store(workspace) as store:
        synthetic = find_curve(store, synthetic_name, "--synthetic")
        if synthetic.kind == "real":
            raise ConfigError(f"--synthetic {synthetic_name!r} is a real-data curve")
        real = find_curve(store, real_name, "--real") if real_name else real_reference(store, synthetic)
        if real is None:
            raise ConfigError("the store has no real-data curve to compare with; train one "
                              "(synscale train --data real) or name it with --real")
        check_set(store, set_name)
        return exchange_table(store, synthetic, real, set_name, _ref_scale(store, real, ref_scale))


def _store(workspace: Workspace) -> ResultsStore:
    if not workspace.store_path.is_file():
        raise WorkspaceError(f"workspace {workspace.root} has no results store yet")
    return ResultsStore(workspace.store_path)


def _ref_scale(store: ResultsStore, curve: StoredCurve, given: float | None) -> float:
    """D_I: given, else the reference scale of a study holding the curve, else the real pool."""
    if given is not None:
        if not 0 < given < float("inf"):
            raise ConfigError(f"--ref-scale must be a positive number, got {given}")
        return given
    found = store.query("SELECT s.reference_scale FROM studies s JOIN study_curves c USING (study)"
                        " WHERE c.curve = ? LIMIT 1", [curve.key])
    if len(found):
        return float(found["reference_scale"].iloc[0])
    from synscale.worlds import get_world

    return float(len(get_world(curve.world).pool("train")))


def _number(value: object) -> float | None:
    return None if value is None or math.isnan(value) else float(value)
