"""The generation job: a plan -> WebDataset shards, a Parquet manifest and a dataset card.

The dataset is a workspace artifact, ``datasets/<name>-<digest>/``, whose digest hashes its
resolved config: the ``GenerateConfig`` with the generator's options replaced by the generator's
identity (options with defaults filled in, weights fingerprint). While it is being made it lives
in ``datasets/.partial-<name>-<digest>/``: ``generation.json`` (config and generator settings), the finished ``shard-*.tar`` files and one
manifest part per shard in ``parts/``. Each shard is written under a hidden temporary name and
renamed only when complete, after its manifest part. When every shard is in, the parts are merged
into ``manifest.parquet``, the card and ``config.json`` are written, and the folder is renamed
into place.

A rerun (after a crash, or of a finished dataset) keeps every shard whose images match the hashes
recorded for it, regenerates the others and reports each one it had to repair. Only shards are
redone, never single images, so a resumed dataset is byte-identical to an uninterrupted one.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from synscale.data.manifest import (
    CARD_FILE,
    COLUMNS,
    MANIFEST_FILE,
    read_manifest,
    read_manifests,
    write_card,
    write_manifest,
)
from synscale.data.shards import Sample, check_shard, png_shape, shard_name, write_shard
from synscale.engine.base import Engine
from synscale.errors import DataError, WorkspaceError
from synscale.generators.stage.plan import GenerateConfig, Plan
from synscale.generators.stage.render import Rendered, first_difference
from synscale.progress import track
from synscale.workspace import CONFIG_FILE, Workspace
from synscale.worlds import get_world

KIND = "datasets"
STATE_FILE = "generation.json"
PARTS = "parts"


@dataclass
class GenerateReport:
    path: Path
    images: int
    shards: int
    made_shards: int  # rendered by this run
    kept_shards: int  # kept from an earlier run
    made_images: int
    repaired: list[str] = field(default_factory=list)  # "shard-000003.tar: <why>" per redone shard
    seconds: float = 0.0
    engine: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        rate = self.made_images / self.seconds if self.made_images and self.seconds else None
        return {**asdict(self), "path": str(self.path),
                "images_per_s": round(rate, 2) if rate else None}


def generate_dataset(config: GenerateConfig, workspace: Workspace, engine: Engine,
                     quiet: bool = False) -> GenerateReport:
    start = time.perf_counter()
    # 1. The generator's identity (bad options fail here, before any work), then every image:
    # prompt, class, seed, batch and shard.
    identity = config.generator_spec().identity()
    plan = Plan.build(config, get_world(config.world), workspace, quiet)
    resolved = resolved_config(config, identity)
    artifact = workspace.artifact_path(KIND, config.dataset_name(), resolved)
    complete = (artifact.path / CONFIG_FILE).is_file()
    folder = artifact.path if complete else artifact.path.with_name(f".partial-{artifact.path.name}")
    for stale in folder.rglob(".*.tmp"):  # a write cut short by a crash; never a final name
        stale.unlink()

    # 2. What is on disk must have been made for this config.
    state = _read_state(folder)
    if state is not None and state.get("resolved") != resolved:
        raise WorkspaceError(f"{folder} holds a dataset made with another config "
                             f"({first_difference(state.get('resolved', {}), resolved)}); delete it or "
                             "use another workspace")

    # 3. Keep the shards whose images match their recorded hashes; list the rest.
    recorded = _recorded_rows(folder, complete)
    todo: list[int] = []
    images = 0
    repaired: list[str] = []
    for shard in range(plan.num_shards):
        rows = recorded[recorded["shard"] == shard_name(shard)]
        expected = dict(zip(rows["id"].tolist(), rows["sha256"].tolist()))
        problem = check_shard(folder / shard_name(shard), expected) if expected else "missing"
        if problem is not None:
            todo.append(shard)
            if problem != "missing" or complete:
                repaired.append(f"{shard_name(shard)}: {problem}")

    # 4. Render the missing shards, writing each one as soon as its batches are in.
    if todo:
        batches = [b for shard in todo for b in plan.batches(shard)]
        images = sum(len(b.ids) for b in batches)
        sink = _ShardSink(folder, plan, resolved, state, recorded if complete else None)
        with track(f"generate {config.dataset_name()}", images, quiet, unit="img") as progress:
            for rendered in engine.run(config.generator_spec(), config.cfg, batches):
                sink.add(rendered)
                progress.advance(len(rendered.ids))
        state = sink.state

    # 5. Finish: merged manifest, card and config, then the folder takes its final name.
    if not complete:
        manifest = _recorded_rows(folder, complete=False)
        write_manifest(folder / MANIFEST_FILE, manifest)
        write_card(folder / CARD_FILE, _card(plan, state, artifact.digest, manifest, identity))
        shutil.rmtree(folder / PARTS, ignore_errors=True)  # already gone if a crash hit just here
        payload = {"kind": KIND, "name": config.dataset_name(), "digest": artifact.digest,
                   "inputs": [], "config": resolved}
        _write_json(folder / CONFIG_FILE, payload)
        folder.replace(artifact.path)
    return GenerateReport(artifact.path, len(plan.rows), plan.num_shards, len(todo),
                          plan.num_shards - len(todo), images, repaired, time.perf_counter() - start,
                          engine.describe())


class _ShardSink:
    """Collects rendered batches in plan order and writes each shard (and its manifest part)."""

    def __init__(self, folder: Path, plan: Plan, resolved: dict[str, Any],
                 state: dict[str, Any] | None, manifest: pd.DataFrame | None) -> None:
        self.folder, self.plan, self.resolved, self.state = folder, plan, resolved, state
        self.manifest = manifest  # a finished dataset's manifest: repaired shards must match it
        self.pending: list[Rendered] = []

    def add(self, rendered: Rendered) -> None:
        self._check_settings(rendered)
        self.pending.append(rendered)
        shard = self.plan.shard_of(rendered.ids[0])
        if sum(len(r.ids) for r in self.pending) == len(self.plan.shard_rows(shard)):
            self._write(shard)
            self.pending = []

    def _check_settings(self, rendered: Rendered) -> None:
        settings = json.loads(rendered.settings)
        if self.state is None:  # the first batch of a new dataset: only now is there anything to keep
            (self.folder / PARTS).mkdir(parents=True, exist_ok=True)
            channels, height, width = png_shape(rendered.pngs[0])
            self.state = {"config": self.plan.config.model_dump(mode="json"),
                          "resolved": self.resolved, "settings": settings,
                          "image": {"channels": channels, "height": height, "width": width}}
            _write_json(self.folder / STATE_FILE, self.state)
        elif settings != self.state["settings"]:
            raise WorkspaceError(
                f"{self.folder} was started with other generator settings "
                f"({first_difference(self.state['settings'], settings)}); its images would mix "
                "two generators: delete it or use another workspace")

    def _write(self, shard: int) -> None:
        name = shard_name(shard)
        rows = self.plan.shard_rows(shard)
        pngs = {i: p for r in self.pending for i, p in zip(r.ids, r.pngs)}
        hashes = {i: h for r in self.pending for i, h in zip(r.ids, r.hashes)}
        settings = self.state["settings"]
        meta = [{"id": r.id, "class_id": r.class_id, "class_name": r.class_name, "prompt": r.prompt,
                 "seed": r.seed, "generator": self.plan.config.generator,
                 "cfg": self.plan.config.cfg if r.cfg is None else r.cfg,
                 "scheduler": str(settings.get("scheduler", "")), "steps": int(settings.get("steps", 0))}
                for r in rows]
        table = pd.DataFrame([{**m, "shard": name, "sha256": hashes[m["id"]]} for m in meta])[COLUMNS]
        if self.manifest is not None:
            recorded = self.manifest[self.manifest["shard"] == name].sort_values("id")
            if recorded["sha256"].tolist() != table["sha256"].tolist():
                raise DataError(f"{name}: regenerated images differ from the manifest; the generator "
                                "is not reproducing its earlier output on this machine")
        else:
            write_manifest(self.folder / PARTS / name.replace(".tar", ".parquet"), table)
        write_shard(self.folder / name, (Sample(m["id"], pngs[m["id"]], m) for m in meta))


def resolved_config(config: GenerateConfig, identity: dict[str, Any]) -> dict[str, Any]:
    """What the dataset's digest hashes: options spelled out at their defaults name the same
    dataset, and the same options over new weights or new defaults name a new one."""
    # A dataset without a class plan hashes as it did before plans existed.
    unset = set() if config.class_plan is not None else {"class_plan"}
    return {**config.model_dump(mode="json", exclude={"generator", "generator_options", "steps", *unset}),
            "generator": identity}


def _recorded_rows(folder: Path, complete: bool) -> pd.DataFrame:
    """The manifest rows recorded so far: the manifest of a finished dataset, else the parts."""
    if complete or (folder / MANIFEST_FILE).is_file():
        return read_manifest(folder / MANIFEST_FILE)
    return read_manifests(sorted((folder / PARTS).glob("*.parquet")))


def _read_state(folder: Path) -> dict[str, Any] | None:
    """The state of a started dataset; a file that is not its JSON object is refused (it is
    written atomically, so only something outside synscale can have damaged it)."""
    path = folder / STATE_FILE
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text())
        why = "" if isinstance(state, dict) and {"resolved", "settings"} <= state.keys() else \
            "no resolved config and generator settings"
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        why = f"not JSON: {exc}"
    if why:
        raise WorkspaceError(f"{path} is corrupt ({why}); delete {folder} to start that dataset "
                             "again")
    return state


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write under a hidden temporary name, then rename: a crash never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True))
    os.replace(tmp, path)


def _card(plan: Plan, state: dict[str, Any], digest: str, manifest: pd.DataFrame,
          identity: dict[str, Any]) -> dict[str, Any]:
    config = plan.config
    counts = manifest.groupby("class_id").size()
    return {
        "name": config.dataset_name(), "digest": digest, "world": config.world,
        "config": config.model_dump(mode="json"), "generator_identity": identity,
        "generator_settings": state["settings"],
        "images": len(manifest), "classes": sorted(int(c) for c in counts.index),
        "per_class": config.per_class if config.class_plan is None else None,
        "class_counts": {str(int(c)): int(n) for c, n in counts.items()},
        "class_plan": config.class_rows(),  # each class's count, CFG and prompt strategy, if planned
        "image": state["image"],
        "shards": sorted(manifest["shard"].unique().tolist()), "manifest_columns": COLUMNS,
        "format": "WebDataset tar shards: <id>.png (the image) and <id>.json (its manifest row "
                  "without shard and sha256); manifest.parquet has one row per image",
        "seeds": "image i has seed = first 63 bits of sha256('synscale/image/<seed>/<i>'); "
                 f"batches are ids [k*{config.batch_size}, (k+1)*{config.batch_size})",
    }
