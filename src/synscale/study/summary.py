"""What ``study plan`` and ``study status`` report: per stage, the items done, pending, failed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, TypeVar

from synscale.config import build
from synscale.errors import WorkspaceError
from synscale.store import ResultsStore
from synscale.study.config import StudyConfig
from synscale.study.estimate import estimate
from synscale.study.plan import GRID, StudyPlan, build_plan
from synscale.workspace import Workspace

if TYPE_CHECKING:
    from synscale.clip.study import ClipWork

T = TypeVar("T")


def plan_summary(study: StudyConfig, workspace: Workspace, workers: int,
                 calibrate: bool = True) -> dict[str, Any]:
    """What the study will generate and train, what exists, and how long the rest will take."""
    plan = build_plan(study, workspace)
    status = _status(plan)
    pending = set(status["train"]["pending"]) | set(status["train"]["failed"])
    todo_sets = set(status["generate"]["pending"]) | set(status["generate"]["failed"])
    out: dict[str, Any] = {
        "study": study.name, "workspace": str(workspace.root), "reference_scale": plan.reference_scale,
        "datasets": [{"config": n, "dataset": d.name, "generator": d.config.generator,
                      "cfg": d.config.cfg, "prompts": d.config.prompts, "images": d.images,
                      "status": _state(n, status["generate"])} for n, d in plan.datasets.items()],
        "curves": [_curve_row(plan, GRID, "syn", plan.recipe.model or "", status)]
                  + [_curve_row(plan, c.name, c.kind, c.model, status) for c in plan.curves],
        "totals": {
            "images_to_generate": sum(d.images for n, d in plan.datasets.items() if n in todo_sets),
            "runs": len(plan.runs), "runs_to_train": len(pending),
            "iterations_to_train": sum(t.iterations for t in plan.runs.values() if t.name in pending),
        },
        "stages": {stage: {k: len(v) for k, v in parts.items()} for stage, parts in status.items()},
    }
    clip = _clip_work(plan) if study.clip is not None else None
    if clip is not None:
        out["clip"] = asdict(clip)
    if calibrate:
        est = estimate(plan, status, workers, clip)
        out["estimate_s"] = {"generate": round(est.generate_s), "measure": round(est.measure_s),
                             "train": round(est.train_s), "analyse": round(est.analyse_s),
                             "clip": round(est.clip_s), "total": round(est.total_s),
                             "workers": workers}
        out["measured_rates"] = {k: round(v, 1) for k, v in est.rates.items()}
    return out


def status_summary(workspace: Workspace, name: str | None = None) -> list[dict[str, Any]]:
    """Every study recorded in the workspace (or the named one): per stage done/pending/failed,
    and each failure with its error."""
    if not workspace.store_path.is_file():
        raise WorkspaceError(f"workspace {workspace.root} has no results store; run a study first")
    out = []
    with ResultsStore(workspace.store_path) as store:
        studies = store.query("SELECT study, config FROM studies ORDER BY study")
        if name is not None:
            studies = studies[studies["study"] == name]
            if studies.empty:
                raise WorkspaceError(f"no study {name!r} in {workspace.root}")
        if studies.empty:
            raise WorkspaceError(f"no study has run in {workspace.root}")
        for row in studies.itertuples():
            study = build(StudyConfig, json.loads(row.config), f"study {row.study!r} in the store")
            status = build_plan(study, workspace).status(store)
            failures = store.query("SELECT stage, item, error, config FROM study_failures "
                                   "WHERE study = ? ORDER BY stage, item", [study.name])
            stages = {s: {k: len(v) for k, v in p.items()} for s, p in status.items()}
            if study.clip is not None:
                from synscale.clip.study import clip_work

                work = clip_work(study.clip, study.world, study.world_root, workspace, store)
                failed = int((failures["stage"] == "clip-train").sum())
                stages["clip"] = {"done": work.runs - work.runs_to_train, "failed": failed,
                                  "pending": max(0, work.runs_to_train - failed)}
            out.append({"study": study.name, "stages": stages, "failed": failures.to_dict("records")})
    return out


def _status(plan: StudyPlan) -> dict[str, dict[str, list[str]]]:
    return _read_store(plan, plan.status)


def _clip_work(plan: StudyPlan) -> ClipWork:
    from synscale.clip.study import clip_work

    study = plan.study
    assert study.clip is not None
    return _read_store(plan, lambda store: clip_work(study.clip, study.world, study.world_root,
                                                     plan.workspace, store))


def _read_store(plan: StudyPlan, read: Callable[[ResultsStore | None], T]) -> T:
    """``read`` on the workspace's store, or on None before the workspace has one."""
    if not plan.workspace.store_path.is_file():
        return read(None)
    with ResultsStore(plan.workspace.store_path) as store:
        return read(store)


def _state(item: str, parts: dict[str, list[str]]) -> str:
    return next(state for state, items in parts.items() if item in items)


def _curve_row(plan: StudyPlan, name: str, kind: str, model: str,
               status: dict[str, dict[str, list[str]]]) -> dict[str, Any]:
    runs = [t for rid, t in plan.runs.items() if name in plan.run_curves[rid]]
    done = sum(t.name in status["train"]["done"] for t in runs)
    return {"curve": name, "kind": kind, "model": model, "runs": len(runs), "done": done,
            "iterations": sum(t.iterations for t in runs)}
