"""A CLIP scaling curve: one CLIP per number of captions, zero-shot evaluation, the store.

Like the classifier runs (``synscale.train.runs``): a run is an artifact (its weights) named by
the hash of everything that decides it (world and its data, pairs and their captions, data kind
and synthetic set, scale, seed, recipe, model config, templates), so a stored run is never
trained again and a stopped curve resumes; a ``ClipRunTask`` names its data, and only the caller
writes the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
from pydantic import Field, field_validator
from safetensors.torch import save_file

from synscale.clip.data import (
    ClipData,
    batch_source,
    caption_subset,
    check_synthetic,
    resolve_clip_data,
)
from synscale.clip.downstream import load_downstream
from synscale.clip.models import create_clip, default_model, get_tokenizer, model_config
from synscale.clip.pairs import PairSet, load_pairs
from synscale.clip.train import ClipRecipe, train_clip
from synscale.clip.zeroshot import class_embeddings, evaluate_zero_shot, templates
from synscale.config import FrozenConfig
from synscale.errors import DataError
from synscale.store import ResultsStore, SetMetrics
from synscale.threads import torch_threads
from synscale.workspace import Workspace
from synscale.worlds import World, get_world

KIND = "clip_runs"


def caption_scales(scales: list[int]) -> list[int]:
    """Scales (numbers of captions) of a CLIP curve, checked, in order, each once."""
    if not scales or min(scales) < 1:
        raise ValueError("give at least one scale, each at least 1 caption")
    return sorted(set(scales))


class ClipCurveConfig(FrozenConfig):
    """One CLIP curve: world, pairs, data kind, scales (captions), seed, recipe, templates."""

    world: str = "mini"
    world_root: str | None = None
    pairs: str = "web"
    data: str = "real"
    mix_p: float = 0.5  # mix: the chance of the synthetic image of a caption at each draw
    scales: list[int] = Field(default_factory=lambda: [125, 250, 500, 1000, 2000])
    seed: int = 0
    recipe: ClipRecipe = ClipRecipe()
    templates: str = "80"
    downstream: list[str] = Field(default_factory=list)  # labelled image folders, class names by folder

    @field_validator("scales")
    @classmethod
    def _scales(cls, scales: list[int]) -> list[int]:
        return caption_scales(scales)


@dataclass(frozen=True)
class ClipRunTask:
    world: str
    world_root: str | None
    pairs: str
    pairs_identity: dict[str, Any]
    data: ClipData
    scale: int
    seed: int
    recipe: ClipRecipe  # resolved (model set)
    templates: str
    workspace: str
    threads: int | None = None
    downstream: tuple[str, ...] = ()

    @property
    def identity(self) -> dict[str, Any]:
        world = get_world(self.world, root=self.world_root)
        return {"world": self.world, "world_data": world.fingerprint(), "pairs": self.pairs_identity,
                "data": self.data.identity, "scale": self.scale, "seed": self.seed,
                "recipe": self.recipe.model_dump(mode="json"), "templates": self.templates,
                "model_config": model_config(self.recipe.model)} | ({"downstream": [
                    load_downstream(p, world.image_size).identity for p in self.downstream]}
                    if self.downstream else {})

    @property
    def name(self) -> str:
        return f"{self.world}-clip-{self.data.name}-{self.recipe.model}-C{self.scale}-s{self.seed}"

    @property
    def run_id(self) -> str:
        return Workspace(self.workspace).artifact_path(KIND, self.name, self.identity).digest


@dataclass
class ClipRunRecord:
    run_id: str
    world: str
    pairs: str
    data: str
    model: str
    scale: int
    seed: int
    epochs: int
    iterations: int
    real_draws: int
    synthetic_draws: int
    train_loss: float
    pairs_per_s: float
    seconds: float
    config: dict[str, Any]
    sets: dict[str, SetMetrics] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("config", "sets")}
        return out | {f"{name}_{key}": getattr(m, key) for name, m in self.sets.items()
                      for key in ("loss", "top1")}


def plan_clip_runs(config: ClipCurveConfig, workspace: Workspace,
                   threads: int | None = None) -> list[ClipRunTask]:
    """The runs of a curve; every name, the data and the scales are checked before any work."""
    world = get_world(config.world, root=config.world_root)
    templates(config.templates)
    recipe = config.recipe.model_copy(update={"model": config.recipe.model or default_model(world.name)})
    model_config(recipe.model)
    pairs = _pairs(config.world, config.world_root, config.pairs)
    data = resolve_clip_data(config.data, config.mix_p, workspace)
    check_synthetic(data, pairs)
    for path in config.downstream:  # checked (and read) before any work
        load_downstream(path, world.image_size)
    too_big = [s for s in config.scales if s > len(pairs)]
    if too_big:
        raise DataError(f"scale {too_big[0]} is larger than the pair set {config.pairs!r} "
                        f"({len(pairs)} captions)")
    return [ClipRunTask(config.world, config.world_root, config.pairs, pairs.identity, data, scale,
                        config.seed, recipe, config.templates, str(workspace.root), threads,
                        tuple(config.downstream))
            for scale in config.scales]


@lru_cache(maxsize=2)
def _pairs(world: str, root: str | None, spec: str) -> PairSet:
    """A pair set, read once per process (the runs of a curve share it)."""
    return load_pairs(get_world(world, root=root), spec)


_SYNTHETIC: dict[str, torch.Tensor] = {}  # decoded synthetic pair images, per process


def execute_clip_run(task: ClipRunTask, quiet: bool = True) -> ClipRunRecord:
    """Train one CLIP, evaluate zero-shot on val and every OOD set, save the weights."""
    with torch_threads(task.threads):
        # 1. The captions of this scale, tokenized, and their images of the run's kind.
        world = get_world(task.world, root=task.world_root)
        pairs = _pairs(task.world, task.world_root, task.pairs)
        indices = caption_subset(pairs, task.scale, task.seed)
        tokenizer = get_tokenizer(task.recipe.model)
        tokens = tokenizer([pairs.captions[i] for i in indices])
        data = batch_source(task.data, pairs, world, indices, tokens, _SYNTHETIC)
        # 2. A fresh model from the run seed, trained.
        torch.manual_seed(task.seed)
        model = create_clip(task.recipe.model)
        stats = train_clip(model, data, task.recipe, task.seed, quiet)
        # 3. Zero-shot on val and every OOD set of the world.
        sets = zero_shot_sets(model, tokenizer, world, task.templates, task.recipe.eval_batch_size,
                              task.downstream)
        # 4. Weights (atomically); the caller stores the record.
        with Workspace(task.workspace).building(KIND, task.name, task.identity) as folder:
            save_file({k: v.contiguous() for k, v in model.state_dict().items()},
                      str(Path(folder) / "model.safetensors"))
            (Path(folder) / "model.json").write_text(json.dumps(
                {"model": task.recipe.model, "config": model_config(task.recipe.model)}, indent=2))
    return ClipRunRecord(task.run_id, task.world, task.pairs, task.data.name, task.recipe.model,
                         task.scale, task.seed, task.recipe.epochs, stats.iterations,
                         stats.real_draws, stats.synthetic_draws, stats.final_loss,
                         stats.pairs_per_s, stats.seconds, task.identity, sets)


def zero_shot_sets(model: torch.nn.Module, tokenizer: Any, world: World, template_set: str,
                   batch_size: int, downstream: tuple[str, ...] = ()) -> dict[str, SetMetrics]:
    """Zero-shot on ``val``, every OOD set of the world (its classes) and every downstream set
    (its own class names)."""
    weights = class_embeddings(model, tokenizer, [c.name for c in world.classes], template_set)
    eval_sets = {"val": world.pool("val"), **{n: world.ood(n) for n in world.ood_names()}}
    out = {name: evaluate_zero_shot(model, weights, ds, batch_size) for name, ds in eval_sets.items()}
    for path in downstream:
        found = load_downstream(path, world.image_size)
        own = class_embeddings(model, tokenizer, found.classnames, template_set)
        out[f"downstream/{found.name}"] = evaluate_zero_shot(model, own, found.images, batch_size)
    return out


def run_clip_curve(config: ClipCurveConfig, workspace: Workspace, quiet: bool = False,
                   threads: int | None = None) -> Iterator[ClipRunRecord]:
    """Yield one record per scale, training only the runs the store does not have yet."""
    tasks = plan_clip_runs(config, workspace, threads)
    with workspace.store() as store:
        for task in tasks:
            stored = get_clip_run(store, task.run_id)
            if stored is None:
                stored = execute_clip_run(task, quiet)
                add_clip_run(store, stored)
            yield stored


# --- the store's CLIP tables -------------------------------------------------------------------

_COLUMNS = ("run_id", "world", "pairs", "data", "model", "scale", "seed", "epochs", "iterations",
            "real_draws", "synthetic_draws", "train_loss", "pairs_per_s", "seconds")


def add_clip_run(store: ResultsStore, run: ClipRunRecord) -> None:
    """All of a run's rows land together or not at all."""
    val = run.sets["val"]
    row = {c: getattr(run, c) for c in _COLUMNS} | {
        "val_loss": val.loss, "val_top1": val.top1, "config": json.dumps(run.config, sort_keys=True)}
    with store.transaction():
        store.replace_rows("clip_runs", {"run_id": run.run_id}, [row])
        store.replace_rows("clip_set_metrics", {"run_id": run.run_id}, [
            {"run_id": run.run_id, "set_name": name, "loss": m.loss, "top1": m.top1, "n": m.n}
            for name, m in run.sets.items()])
        store.replace_rows("clip_class_metrics", {"run_id": run.run_id}, [
            {"run_id": run.run_id, "set_name": name, **c}
            for name, m in run.sets.items() for c in m.per_class])


def get_clip_run(store: ResultsStore, run_id: str) -> ClipRunRecord | None:
    rows = store.query(f"SELECT {', '.join(_COLUMNS)}, config FROM clip_runs WHERE run_id = ?",
                       [run_id]).to_dict("records")
    if not rows:
        return None
    row = rows[0]
    sets = {r["set_name"]: SetMetrics(r["loss"], r["top1"], int(r["n"])) for r in store.query(
        "SELECT set_name, loss, top1, n FROM clip_set_metrics WHERE run_id = ? ORDER BY set_name",
        [run_id]).to_dict("records")}
    for r in store.query("SELECT set_name, class_id, loss, top1, n FROM clip_class_metrics"
                         " WHERE run_id = ? ORDER BY set_name, class_id", [run_id]).to_dict("records"):
        sets[r["set_name"]].per_class.append({k: r[k] for k in ("class_id", "loss", "top1", "n")})
    config = json.loads(row.pop("config"))
    return ClipRunRecord(**{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()},
                         config=config, sets=sets)
