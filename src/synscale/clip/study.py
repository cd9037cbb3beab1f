"""The ``clip:`` section of a study file and its stage (paper 5, its Appendix H for the CFG).

```yaml
clip:
  pairs: web                 # or wds:<root>, table:<file>
  generator: mini-pixel
  cfg: 1.5                   # or a sweep: cfg_sweep: [1, 1.5, 2, 4] at sweep_scale
  scales: [125, 250, 500, 1000, 2000, 3000]
  seeds: [0]
  data: [real, syn, mix]
```

The stage runs after the classifier stages: (1) one synthetic image per caption for every CFG
needed (the generation job); (2) with a sweep, one ``syn`` run per CFG at ``sweep_scale`` (default:
the largest scale), and the CFG of the lowest zero-shot validation loss is used for the curves;
(3) every curve's runs not yet stored, on the study's task engine (processes or Ray tasks), each
record stored as it arrives; (4) the fits of every CLIP curve (Figure 8). Everything is named by
its content, so a rerun skips what is done.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import Field, field_validator

from synscale.clip.curves import fit_clip_curves
from synscale.clip.data import KINDS
from synscale.clip.downstream import load_downstream
from synscale.clip.models import default_model, model_config
from synscale.clip.pairs import load_pairs
from synscale.clip.runs import (
    ClipCurveConfig,
    ClipRunRecord,
    ClipRunTask,
    add_clip_run,
    caption_scales,
    execute_clip_run,
    get_clip_run,
    plan_clip_runs,
)
from synscale.clip.synthetic import SyntheticPairsConfig, make_synthetic_pairs, synthetic_pairs_made
from synscale.clip.train import ClipRecipe
from synscale.clip.zeroshot import templates
from synscale.config import FrozenConfig
from synscale.engine.tasks import TaskPool, run_tasks
from synscale.errors import ConfigError
from synscale.store import ResultsStore
from synscale.workspace import Workspace
from synscale.worlds import get_world
from synscale.worlds.base import World

Log = Callable[[str], None]
Attempt = Callable[[str, str, dict[str, Any]], AbstractContextManager[None]]


class ClipSection(FrozenConfig):
    """CLIP curves on real, synthetic and mixed pairs (docs/clip.md)."""

    pairs: str = "web"
    generator: str = "mini-pixel"
    generator_options: dict[str, Any] = Field(default_factory=dict)
    steps: int | None = Field(None, gt=0)
    cfg: float = Field(1.5, ge=0)  # the paper's choice for CLIP
    cfg_sweep: list[float] = Field(default_factory=list)  # non-empty: pick the CFG by a sweep
    sweep_scale: int | None = Field(None, gt=0)  # default: the largest scale
    generation_seed: int = Field(0, ge=0)
    scales: list[int] = Field(default_factory=lambda: [125, 250, 500, 1000, 2000, 3000])
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    data: list[str] = Field(default_factory=lambda: list(KINDS), min_length=1)
    mix_p: float = Field(0.5, gt=0, lt=1)
    recipe: ClipRecipe = ClipRecipe()
    templates: str = "80"
    downstream: list[str] = Field(default_factory=list)  # labelled image folders (docs/clip.md)

    @field_validator("data")
    @classmethod
    def _kinds(cls, data: list[str]) -> list[str]:
        unknown = [d for d in data if d not in KINDS]
        if unknown:
            raise ValueError(f"unknown CLIP data kind {unknown[0]!r}; valid: {', '.join(KINDS)}")
        return data

    @field_validator("scales")
    @classmethod
    def _scales(cls, scales: list[int]) -> list[int]:
        return caption_scales(scales)


def check_clip_section(section: ClipSection, world: World) -> None:
    """Every name and scale, before any work of the study starts."""
    from synscale.generators import GENERATORS

    GENERATORS.get(section.generator)
    templates(section.templates)
    model_config(section.recipe.model or default_model(world.name))
    for path in section.downstream:
        load_downstream(path, world.image_size)
    pairs = load_pairs(world, section.pairs)
    largest = max(section.scales + ([section.sweep_scale] if section.sweep_scale else []))
    if largest > len(pairs):
        raise ConfigError(f"clip: scale {largest} is larger than the pair set {section.pairs!r} "
                          f"({len(pairs)} captions)")


def run_clip_section(section: ClipSection, world: str, world_root: str | None, workspace: Workspace,
                     store: ResultsStore, pool: TaskPool, attempt: Attempt, quiet: bool,
                     log: Log) -> dict[str, int]:
    """The CLIP stage of a study; returns how many items it made per step."""
    from synscale.engine import make_engine

    made = {"clip-generate": 0, "clip-train": 0}
    # 1. Synthetic pairs for every CFG needed.
    sets: dict[float, str] = {}
    for cfg in section.cfg_sweep or [section.cfg]:
        with attempt("clip-generate", f"cfg{cfg:g}", {"cfg": cfg}):
            report = make_synthetic_pairs(_pairs_config(section, world, world_root, cfg), workspace,
                                          make_engine(pool.engine, None, pool.address), quiet=quiet)
            made["clip-generate"] += report.made_shards > 0
            sets[cfg] = str(report.path)

    def curve(data: str, scales: list[int], seed: int) -> ClipCurveConfig:
        return _curve(section, world, world_root, data, scales, seed)

    # 2. The CFG sweep: syn runs at one scale; the lowest zero-shot val loss wins.
    cfg = section.cfg
    if section.cfg_sweep:
        scale = _sweep_scale(section)
        tasks = {c: plan_clip_runs(curve(f"syn:{path}", [scale], section.seeds[0]), workspace,
                                   pool.threads)[0] for c, path in sets.items()}
        made["clip-train"] += _train(list(tasks.values()), store, pool, attempt, log)
        losses = {c: run.sets["val"].loss for c, t in tasks.items() if (run := get_clip_run(store, t.run_id))}
        if not losses:
            return made
        cfg = min(losses, key=losses.get)
        log(f"clip: CFG sweep at {scale} captions, zero-shot val loss "
            + ", ".join(f"cfg {c:g}: {v:.4f}" for c, v in sorted(losses.items())) + f"; using {cfg:g}")
    if cfg not in sets:
        return made

    # 3. Every curve's runs.
    tasks = []
    for kind in section.data:
        data = "real" if kind == "real" else f"{kind}:{sets[cfg]}"
        for seed in section.seeds:
            tasks += plan_clip_runs(curve(data, section.scales, seed), workspace, pool.threads)
    made["clip-train"] += _train(tasks, store, pool, attempt, log)

    # 4. Figure 8's fits.
    with attempt("clip-fit", "clip", {}):
        fit_clip_curves(store)
    return made


@dataclass(frozen=True)
class ClipWork:
    """What a study's CLIP stage has to do, for ``study plan``."""

    runs: int  # every run of the section (the sweep's and the curves')
    runs_to_train: int
    pairs_to_train: int  # pairs drawn by the runs to train: epochs x captions each
    images_to_generate: int  # synthetic pair images still to make


def clip_work(section: ClipSection, world: str, world_root: str | None, workspace: Workspace,
              store: ResultsStore | None) -> ClipWork:
    """The runs the stage trains and which of them the store lacks. Before the sweep has scored
    every CFG, the curves' CFG is unknown and their synthetic runs count as pending (a run's cost
    does not depend on its CFG)."""
    cfgs = section.cfg_sweep or [section.cfg]
    sets = {c: synthetic_pairs_made(_pairs_config(section, world, world_root, c), workspace)
            for c in cfgs}

    @cache  # the sweep's runs are looked up for the winner and again for what is pending
    def stored(kind: str, cfg: float | None, scale: int, seed: int) -> ClipRunRecord | None:
        if store is None or (kind != "real" and (cfg is None or sets[cfg] is None)):
            return None
        data = "real" if kind == "real" else f"{kind}:{sets[cfg]}"
        task = plan_clip_runs(_curve(section, world, world_root, data, [scale], seed), workspace)[0]
        return get_clip_run(store, task.run_id)

    runs: set[tuple[str, float | None, int, int]] = set()  # (kind, cfg, captions, seed)
    cfg: float | None = section.cfg
    if section.cfg_sweep:
        sweep = {c: ("syn", c, _sweep_scale(section), section.seeds[0]) for c in cfgs}
        runs |= set(sweep.values())
        losses = {c: run.sets["val"].loss for c, key in sweep.items() if (run := stored(*key))}
        cfg = min(losses, key=losses.get) if len(losses) == len(cfgs) else None
    curves = {(kind, None if kind == "real" else cfg, scale, seed)
              for kind in section.data for seed in section.seeds for scale in section.scales}
    if cfg is None:  # the winner's sweep run is also the syn curve's run at the sweep scale
        curves.discard(("syn", None, _sweep_scale(section), section.seeds[0]))
    runs |= curves
    pending = [key for key in runs if stored(*key) is None]
    return ClipWork(len(runs), len(pending), sum(section.recipe.epochs * key[2] for key in pending),
                    sum(path is None for path in sets.values())
                    * len(load_pairs(get_world(world, root=world_root), section.pairs)))


def _pairs_config(section: ClipSection, world: str, world_root: str | None,
                  cfg: float) -> SyntheticPairsConfig:
    return SyntheticPairsConfig(world, world_root, section.pairs, section.generator,
                                section.generator_options, cfg, section.steps, section.generation_seed)


def _curve(section: ClipSection, world: str, world_root: str | None, data: str, scales: list[int],
           seed: int) -> ClipCurveConfig:
    return ClipCurveConfig(world=world, world_root=world_root, pairs=section.pairs, data=data,
                           mix_p=section.mix_p, scales=scales, seed=seed, recipe=section.recipe,
                           templates=section.templates, downstream=section.downstream)


def _sweep_scale(section: ClipSection) -> int:
    return section.sweep_scale or max(section.scales)


def _train(tasks: list[ClipRunTask], store: ResultsStore, pool: TaskPool, attempt: Attempt,
           log: Log) -> int:
    ready = [t for t in tasks if get_clip_run(store, t.run_id) is None]
    if not ready:
        return 0
    # Longest first, so that no long run starts last while the other workers idle. The runs of
    # a section share one recipe: a run's steps grow with its captions (epochs x scale / batch).
    ready.sort(key=lambda t: t.scale * t.recipe.epochs, reverse=True)
    log(f"clip: {len(ready)} of {len(tasks)} CLIP runs to train on {pool.engine}, "
        f"{pool.workers} worker(s) x {pool.threads} thread(s)")
    done = 0
    for index, outcome in run_tasks(execute_clip_run, ready, pool):
        task = ready[index]
        with attempt("clip-train", task.name, {"data": task.data.name, "scale": task.scale,
                                               "seed": task.seed}):
            if not outcome.ok:
                raise RuntimeError(outcome.error or "failed")
            add_clip_run(store, outcome.value)
            done += 1
    return done
