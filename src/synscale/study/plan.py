"""A study file resolved against a workspace: every dataset, measurement and run, and which exist.

Building a plan checks every name (generators, strategies, models, OOD sets) and every scale
against its pool before anything runs, so a bad study file fails in one line with nothing made.
It only names artifacts (a dataset by the digest of its resolved config, a run by the digest of
its identity); it never loads images or generators, so a finished study replans in seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from synscale.config import build
from synscale.errors import ConfigError, SynscaleError
from synscale.generators.stage.dataset import KIND as DATASETS_KIND
from synscale.generators.stage.dataset import resolved_config
from synscale.generators.stage.plan import GenerateConfig
from synscale.store import ResultsStore
from synscale.study.config import Configuration, StudyConfig
from synscale.train.classifier import TrainRecipe
from synscale.train.runs import RunTask, check_scales, resolve_recipe
from synscale.train.sources import TrainingData, real_data, synthetic_data
from synscale.workspace import CONFIG_FILE, Workspace
from synscale.worlds import get_world
from synscale.worlds.base import World

GRID = "grid"  # the pseudo-curve of the runs at D_I of every configuration


@dataclass(frozen=True)
class DatasetItem:
    config: Configuration
    generate: GenerateConfig
    path: Path  # the finished dataset's folder
    images: int

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def done(self) -> bool:
        return (self.path / CONFIG_FILE).is_file()


@dataclass(frozen=True)
class CurveItem:
    name: str
    data: TrainingData
    model: str
    config: str | None  # the generation configuration it trains on
    world: str

    @property
    def kind(self) -> str:
        return self.data.kind  # real, syn or mix

    @property
    def key(self) -> str:
        """The curve's name in the results store (``world/data/model``)."""
        return f"{self.world}/{self.data.name}/{self.model}"


@dataclass
class StudyPlan:
    study: StudyConfig
    workspace: Workspace
    world: World
    reference_scale: int
    recipe: TrainRecipe  # the study's resolved recipe (of the grid runs)
    reference_recipe: TrainRecipe
    datasets: dict[str, DatasetItem]  # by configuration name
    curves: list[CurveItem]
    runs: dict[str, RunTask]  # by run id, in study order
    run_curves: dict[str, list[str]] = field(default_factory=dict)  # run id -> curve names
    ood: list[str] = field(default_factory=list)

    @property
    def reference_key(self) -> str:
        """What identifies the reference classifier of stored measurements."""
        from synscale.train.reference import reference_key

        ref = self.study.reference
        return reference_key(self.reference_recipe.model or "", ref.seed, ref.weights, ref.schedule)

    @property
    def reference_done(self) -> bool:
        from synscale.train.reference import reference_identity

        ref = self.study.reference
        return bool(ref.weights) or self.workspace.find(
            "reference", *reference_identity(self.world, self.reference_recipe, ref.seed)) is not None

    def dataset_of(self, task: RunTask) -> DatasetItem | None:
        return next((d for d in self.datasets.values() if str(d.path) == task.data.synthetic), None)

    def status(self, store: ResultsStore | None) -> dict[str, dict[str, list[str]]]:
        """Per stage: the items done, pending and failed."""
        failed = _failures(store, self.study.name)
        stages: dict[str, dict[str, list[str]]] = {}
        stages["generate"] = _split({n: d.done for n, d in self.datasets.items()}, failed.get("generate", {}))
        measured = measured_datasets(store, self.reference_key, self.study.measure.per_class)
        stages["measure"] = _split({n: d.name in measured for n, d in self.datasets.items()},
                                   failed.get("measure", {}))
        stored = stored_run_ids(store)
        stages["train"] = _split({t.name: rid in stored for rid, t in self.runs.items()},
                                 failed.get("train", {}))
        fitted = _fitted(store)
        stages["fit"] = _split({c.name: c.key in fitted for c in self.curves}, failed.get("fit", {}))
        return stages


def build_plan(study: StudyConfig, workspace: Workspace) -> StudyPlan:
    # 1. The world, its reference scale and recipes; every name is checked here.
    world = get_world(study.world, root=study.world_root)
    recipe = resolve_recipe(study.recipe, world)
    reference_recipe = resolve_recipe(TrainRecipe(model=study.reference.model), world)
    if study.reference.schedule is not None:
        reference_recipe = reference_recipe.model_copy(update={"schedule": study.reference.schedule})
    pool = len(world.pool("train"))
    reference_scale = study.reference_scale or pool
    if reference_scale > pool:
        raise ConfigError(f"reference_scale {reference_scale} is larger than the real pool ({pool} images)")
    if study.reference.weights and not Path(study.reference.weights).is_file():
        raise ConfigError(f"reference.weights: no such file {study.reference.weights}")
    ood = study.ood if study.ood is not None else world.ood_names()
    for name in ood:
        world.ood(name)
    _check_names(study)
    if study.clip is not None:
        from synscale.clip.study import check_clip_section

        check_clip_section(study.clip, world)
    classes = world.num_classes

    # 2. One dataset per configuration, sized for its largest use.
    needs = {c.name: max(reference_scale, study.measure.per_class * classes)
             for c in study.configurations()}
    for curve in study.curves:
        if curve.data != "real":
            needs[curve.data] = max(needs[curve.data], max(curve.scales))
    datasets = {c.name: _dataset(study, c, math.ceil(needs[c.name] / classes), workspace, world)
                for c in study.configurations()}

    # 3. The runs: every configuration at D_I, then every curve.
    plan = StudyPlan(study, workspace, world, reference_scale, recipe, reference_recipe, datasets, [], {},
                     ood=list(ood))
    threads = study.execution.threads_per_run
    for name, item in datasets.items():
        data = synthetic_data(item.name, item.path, item.images)
        for seed in study.grid_seeds:
            _add_run(plan, GRID, RunTask(study.world, study.world_root, data, reference_scale, seed,
                                         recipe, str(workspace.root), threads))
    for curve in study.curves:
        curve_recipe = resolve_recipe(curve.recipe, world) if curve.recipe else recipe
        if curve.model:
            curve_recipe = resolve_recipe(curve_recipe.model_copy(update={"model": curve.model}), world)
        try:
            if curve.data == "real":
                data = real_data(world)
            else:
                item = datasets[curve.data]
                data = synthetic_data(item.name, item.path, item.images, curve.real or 0, world)
            check_scales(data, curve.scales, world)
        except SynscaleError as exc:
            raise ConfigError(f"curve {curve.name!r}: {exc}") from None
        plan.curves.append(CurveItem(curve.name, data, curve_recipe.model or "",
                                     None if curve.data == "real" else curve.data, world.name))
        for seed in curve.seeds:
            for scale in curve.scales:
                _add_run(plan, curve.name, RunTask(study.world, study.world_root, data, scale, seed,
                                                   curve_recipe, str(workspace.root), threads))
    return plan


def _dataset(study: StudyConfig, config: Configuration, per_class: int, workspace: Workspace,
             world: World) -> DatasetItem:
    generation = study.generation
    source = f"configuration {config.name!r}"
    generate = build(GenerateConfig, {
        "world": study.world, "generator": config.generator,
        "generator_options": config.generator_options, "cfg": config.cfg, "steps": generation.steps,
        "prompts": config.prompts, "prompt_options": config.prompt_options, "per_class": per_class,
        "seed": generation.seed, "batch_size": generation.batch_size,
        "shard_size": generation.shard_size}, source)
    try:
        identity = _identity(generate.generator, _frozen(generate.generator_spec().options))
    except SynscaleError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    artifact = workspace.artifact_path(DATASETS_KIND, generate.dataset_name(),
                                       resolved_config(generate, identity))
    return DatasetItem(config, generate, artifact.path, per_class * world.num_classes)


@cache
def _identity(generator: str, options: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """A generator's identity (hashes its weights file): once per process per generator."""
    from synscale.generators.stage.plan import GeneratorSpec

    return GeneratorSpec(generator, dict(options)).identity()


def _frozen(options: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, v if not isinstance(v, (list, dict)) else repr(v)) for k, v in options.items()))


def _check_names(study: StudyConfig) -> None:
    from synscale.generators import GENERATORS
    from synscale.prompts import STRATEGIES

    for config in study.configurations():
        try:
            GENERATORS.get(config.generator)
            STRATEGIES.get(config.prompts)
        except ConfigError as exc:
            raise ConfigError(f"configuration {config.name!r}: {exc}") from None


def _add_run(plan: StudyPlan, curve: str, task: RunTask) -> None:
    run_id = task.run_id
    plan.runs.setdefault(run_id, task)
    plan.run_curves.setdefault(run_id, []).append(curve)


def _split(done: dict[str, bool], failed: dict[str, str]) -> dict[str, list[str]]:
    return {"done": [n for n, ok in done.items() if ok],
            "failed": [n for n, ok in done.items() if not ok and n in failed],
            "pending": [n for n, ok in done.items() if not ok and n not in failed]}


def _failures(store: ResultsStore | None, study: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    if store is None:
        return out
    for row in store.query("SELECT stage, item, error FROM study_failures WHERE study = ?",
                           [study]).itertuples():
        out.setdefault(row.stage, {})[row.item] = row.error
    return out


def measured_datasets(store: ResultsStore | None, reference: str, per_class: int) -> set[str]:
    if store is None:
        return set()
    rows = store.query("SELECT dataset FROM dataset_metrics WHERE reference = ? AND "
                       "measured_per_class = ?", [reference, per_class])
    return set(rows["dataset"])


def stored_run_ids(store: ResultsStore | None) -> set[str]:
    return set() if store is None else set(store.query("SELECT run_id FROM runs")["run_id"])


def _fitted(store: ResultsStore | None) -> set[str]:
    return set() if store is None else set(store.query("SELECT DISTINCT curve FROM fits")["curve"])
