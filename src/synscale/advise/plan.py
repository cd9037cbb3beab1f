"""An allocation as a generation plan: the pilot's generation config with a per-class plan.

The plan is a ``GenerateConfig`` (YAML) whose ``class_plan`` lists every class's image count and,
where a class takes another configuration than the pilot's, its CFG and prompt strategy;
``synscale generate --config plan.yaml`` makes it, and the dataset's manifest and card record
each class's count and settings.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from synscale.advise.allocate import Allocation
from synscale.advise.pilot import PilotSource, dataset_config
from synscale.store import ResultsStore
from synscale.workspace import writable_file

# The parts of a dataset's config a plan keeps: everything but its size.
_KEEP = ("world", "generator", "generator_options", "cfg", "steps", "prompts", "prompt_options",
         "seed", "batch_size", "shard_size")


def generation_plan(store: ResultsStore, pilot: PilotSource, allocation: Allocation) -> dict[str, Any]:
    base = dataset_config(store, pilot.dataset)
    settings = _config_settings(store, pilot)
    plan = {key: base[key] for key in _KEEP if key in base and base[key] is not None}
    rows = []
    for row in allocation.rows():
        entry = {"class_id": int(row["class_id"]), "count": int(row["count"])}
        own = settings.get(str(row["config"])) if row["config"] not in (None, pilot.config) else None
        if own is not None:
            entry |= {k: v for k, v in own.items() if v != plan.get(k)}
        rows.append(entry)
    return {**plan, "class_plan": rows}


def _config_settings(store: ResultsStore, pilot: PilotSource) -> dict[str, dict[str, Any]]:
    """CFG and prompt strategy of every configuration of the pilot's study."""
    rows = store.query("SELECT name, cfg, prompts FROM study_configs WHERE study = ?",
                       [pilot.curve.study or ""])
    return {str(r.name): {"cfg": float(r.cfg), "prompts": str(r.prompts)} for r in rows.itertuples()}


def plan_digest(plan: dict[str, Any]) -> str:
    """A short name of a plan: the digest of its canonical JSON."""
    return hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()[:16]


def write_plan(path: Path, plan: dict[str, Any]) -> None:
    """Written under a temporary name and renamed, so a failed write leaves nothing behind."""
    path = writable_file(path, "plan file")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("# synscale allocate: run with `synscale generate --config " + path.name + "`\n"
                   + yaml.safe_dump(plan, sort_keys=False))
    tmp.replace(path)
