"""A scaling curve: train one classifier per scale D on nested subsets, evaluate, store.

Each run is an artifact (its trained weights) named by the hash of everything that decides it,
so a run already in the store is never trained again and a stopped curve resumes. A run is a
``RunTask`` (picklable: it names its data, it does not hold it) executed by ``execute_run`` in any
process; only the caller writes the store. ``synscale train`` and a study's engines call the same
two functions. Inside a run, a checkpoint every ``setup.checkpoint_every`` steps
(``<workspace>/checkpoints/<run>/``) lets a killed run continue where it stopped; with
``setup.workers_per_run`` > 1 the run trains over data-parallel workers (``synscale.train.parallel``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from synscale.config import FrozenConfig
from synscale.errors import ConfigError, DataError, SynscaleError, require_extra
from synscale.store import RunRecord, SetMetrics
from synscale.threads import torch_threads
from synscale.train.augment import AUGMENTS
from synscale.train.models import check_model_name
from synscale.train.recipe import TrainRecipe
from synscale.train.setup import TrainSetup
from synscale.train.sources import TrainingData, resolve_training_data
from synscale.workspace import Workspace
from synscale.worlds import get_world
from synscale.worlds.base import World

if TYPE_CHECKING:
    from synscale.engine.tasks import TaskPool
    from synscale.train.classifier import TrainedClassifier, TrainStats


class CurveConfig(FrozenConfig):
    """One learning curve: a world, a training set, scales, a seed and a recipe."""

    world: str = "mini"
    world_root: str | None = None  # data root, for worlds that read user data (imagenet)
    data: str = "real"
    scales: list[int] = Field(default_factory=lambda: [125, 250, 500, 1000, 2000])
    seed: int = 0
    recipe: TrainRecipe = TrainRecipe()
    setup: TrainSetup = TrainSetup()  # where and how the runs execute; not part of their identity

    @field_validator("scales")
    @classmethod
    def _not_negative(cls, scales: list[int]) -> list[int]:
        if not scales:
            raise ValueError("give at least one scale")
        if min(scales) < 0:
            raise ValueError(f"scales must not be negative, got {min(scales)}")
        return sorted(set(scales))


def resolve_recipe(recipe: TrainRecipe, world: World) -> TrainRecipe:
    """Fill the world's defaults and check every name, before any work starts."""
    resolved = recipe.model_copy(update={"model": recipe.model or world.default_model,
                                         "augment": recipe.augment or world.augment})
    check_model_name(resolved.model)
    AUGMENTS.get(resolved.augment)
    return resolved


@dataclass(frozen=True)
class RunTask:
    """Everything one training run needs, by name: cheap to send to another process."""

    world: str
    world_root: str | None
    data: TrainingData
    scale: int  # D; for a mix, the synthetic images S added to the R real ones
    seed: int
    recipe: TrainRecipe  # resolved
    workspace: str
    threads: int | None = None  # torch threads while training (None: leave as is)
    setup: TrainSetup = field(default_factory=TrainSetup)  # device, streaming, checkpoints, workers

    @property
    def identity(self) -> dict[str, object]:
        identity = {"world": self.world, "data": self.data.identity, "scale": self.scale,
                    "seed": self.seed, "recipe": self.recipe.model_dump(mode="json")}
        # A world reading user data (imagenet) adds its root and a digest of its files: the
        # training pool, val and OOD sets all decide the run. Embedded data (mini) adds nothing.
        if fingerprint := world_fingerprint(self.world, self.world_root):
            identity["world_data"] = fingerprint
        return identity

    @property
    def name(self) -> str:
        return f"{self.world}-{self.data.name}-{self.recipe.model}-D{self.scale}-s{self.seed}"

    @property
    def run_id(self) -> str:
        return Workspace(self.workspace).artifact_path("runs", self.name, self.identity).digest

    @property
    def checkpoint(self) -> Path:
        """Where this run keeps its checkpoint until its weights are saved."""
        from synscale.train.checkpoint import CHECKPOINT_FILE

        folder = Workspace(self.workspace).artifact_path("runs", self.name, self.identity).path.name
        return Path(self.workspace) / "checkpoints" / folder / CHECKPOINT_FILE

    @property
    def iterations(self) -> int:
        return self.recipe.schedule.iterations(self.data.sizes(self.scale)[0])


@lru_cache(maxsize=8)
def world_fingerprint(world: str, root: str | None) -> dict[str, object]:
    """A world's data fingerprint, computed once per process (it lists every split's files)."""
    return get_world(world, root=root).fingerprint()


def plan_runs(config: CurveConfig, workspace: Workspace, threads: int | None = None) -> list[RunTask]:
    """The runs of a curve; names, data and scales are checked here, before any work."""
    world = get_world(config.world, root=config.world_root)
    recipe = resolve_recipe(config.recipe, world)
    data = resolve_training_data(world, config.data, workspace)
    check_scales(data, config.scales, world)
    workers = config.setup.workers_per_run
    if recipe.batch_size % workers:
        raise ConfigError(f"batch size {recipe.batch_size} does not split evenly over {workers} "
                          "workers per run; choose a batch size divisible by it")
    config.setup.check_device()  # a device that is not there is refused before any work
    if config.setup.engine == "ray" and workers > 1:
        require_extra("ray")
    return [RunTask(config.world, config.world_root, data, scale, config.seed, recipe,
                    str(workspace.root), threads, config.setup) for scale in config.scales]


def check_scales(data: TrainingData, scales: list[int], world: World) -> None:
    if data.kind != "mix" and 0 in scales:
        raise DataError(f"scale 0 is only meaningful for a real+synthetic mix, not {data.name}")
    limit = data.pool_size(world)
    too_big = [s for s in scales if s > limit]
    if too_big:
        what = "synthetic images added" if data.kind == "mix" else "scale"
        raise DataError(f"{what} {too_big[0]} is larger than the {data.name} pool ({limit} images)")


# The trainer and the evaluator import torch and timm: loaded when a run trains, so that planning
# a curve and finding its runs in the store import neither (a finished curve reruns in a second).
def train_classifier(*args: Any, **kwargs: Any) -> tuple[TrainedClassifier, TrainStats]:
    from synscale.train.classifier import train_classifier as train

    return train(*args, **kwargs)


def evaluate(*args: Any, **kwargs: Any) -> SetMetrics:
    from synscale.train.evaluate import evaluate as score

    return score(*args, **kwargs)


def execute_run(task: RunTask, quiet: bool = True) -> RunRecord:
    """Train, evaluate on val and every OOD set, save the weights; return the record to store."""
    with torch_threads(task.threads):
        # 1. Train: in this process, or over data-parallel workers that each call train_task.
        world = get_world(task.world, root=task.world_root)
        if task.setup.workers_per_run > 1:
            from synscale.train.parallel import train_data_parallel

            classifier, stats = train_data_parallel(task, quiet)
        else:
            classifier, stats = train_task(task, quiet)
        # 2. Evaluate on val and every OOD set.
        classifier.to(task.setup.torch_device())
        eval_sets = {"val": world.pool("val"), **{n: world.ood(n) for n in world.ood_names()}}
        sets = {name: evaluate(classifier, ds, task.recipe.eval_batch_size, task.recipe.loader_workers)
                for name, ds in eval_sets.items()}
        # 3. Weights first (atomically), with how they were trained; the caller stores the record.
        workspace = Workspace(task.workspace)
        with workspace.building("runs", task.name, task.identity) as folder:
            classifier.save(Path(folder))
            write_training_json(Path(folder), task.setup, stats)
        shutil.rmtree(task.checkpoint.parent, ignore_errors=True)
    total, real, synthetic = task.data.sizes(task.scale)
    return RunRecord(task.run_id, world.name, task.data.name, task.recipe.model or "", total,
                     task.seed, stats.iterations, stats.images_per_s, stats.data_wait_fraction,
                     stats.seconds, task.identity, sets, real, synthetic)


def train_task(task: RunTask, quiet: bool = True) -> tuple[TrainedClassifier, TrainStats]:
    """The run's training alone (its subset, then the trainer, checkpointing as it goes): what one
    process, or each data-parallel worker, does."""
    world = get_world(task.world, root=task.world_root)
    images = task.data.subset(world, task.scale, task.seed, task.setup)
    return train_classifier(images, world.num_classes, task.recipe, task.seed, quiet, task.setup,
                            task.checkpoint)


def write_training_json(folder: Path, setup: TrainSetup, stats: TrainStats) -> None:
    """How a run was trained: its setup and statistics, with the loss of every step."""
    payload = {"setup": setup.model_dump(mode="json"), "stats": stats.to_json()}
    (folder / "training.json").write_text(json.dumps(payload, indent=1, sort_keys=True))


# Training time per image relative to mini_resnet (one thread, batch 64): the median images/s
# of a full mini study's runs (mini_resnet 5,272, mini_resnet_wide 2,586) and mini_vit's CPU time
# per step beside mini_resnet's (24 against 12 ms). Only orders the runs; a guess may be rough.
RELATIVE_COST_PER_IMAGE = {"mini_resnet": 1.0, "mini_resnet_wide": 2.0, "mini_vit": 2.0}


def expected_cost(task: RunTask) -> float:
    """A run's expected training time in mini_resnet images: steps x batch x the model's
    relative cost per image (1 for a model not in the table)."""
    return (task.iterations * task.recipe.batch_size
            * RELATIVE_COST_PER_IMAGE.get(task.recipe.model or "", 1.0))


def run_curve(config: CurveConfig, workspace: Workspace, quiet: bool = False,
              concurrent: bool = False) -> Iterator[RunRecord]:
    """Yield one record per scale, in scale order, training only the runs the store does not
    have yet; each record is stored as its run ends. ``concurrent`` (``synscale train``): the
    runs train as a study's do, in ``curve_pool``; otherwise one after another in this process,
    with its thread count."""
    tasks = plan_runs(config, workspace)
    with workspace.store() as store:
        records = {t.run_id: store.get_run(t.run_id) for t in tasks}
        pending = [t for t in tasks if records[t.run_id] is None]
        finished = None
        if pending:  # only now: choosing the pool imports torch, a rerun of stored runs does not
            finished = _train_runs(pending, curve_pool(config.setup) if concurrent else None, quiet)
        for task in tasks:
            while records[task.run_id] is None:  # store the runs that end before it meanwhile
                done, record = next(finished)
                store.add_run(record)
                records[done.run_id] = record
            yield records[task.run_id]


def curve_pool(setup: TrainSetup) -> TaskPool | None:
    """Where ``run_curve`` trains on this machine. On the CPU like a study: one single-threaded
    worker process per core, since a run's weights depend on its thread count (not part of its
    identity), so a run has the same bytes whichever command trained it. On a GPU (threads
    decide nothing there) or over data-parallel workers (each run spreads over its own): None,
    one run after another in this process."""
    if setup.workers_per_run > 1 or setup.torch_device().type != "cpu":
        return None
    from synscale.engine.tasks import TaskPool

    return TaskPool.default()


def _train_runs(tasks: list[RunTask], pool: TaskPool | None,
                quiet: bool) -> Iterator[tuple[RunTask, RunRecord]]:
    """(task, record) of every run as it ends. In a pool, a failed run fails only itself: the
    others go on and are yielded, then its error is raised."""
    if pool is None:
        for task in tasks:
            yield task, execute_run(task, quiet)
        return
    from synscale.engine.tasks import run_tasks
    from synscale.progress import track

    # Longest first, as in a study, so that no long run starts last.
    tasks = sorted((replace(t, threads=pool.threads) for t in tasks), key=expected_cost, reverse=True)
    # A run trained in this process shows its own steps (one progress display at a time).
    here = pool.engine == "local" and (pool.workers == 1 or len(tasks) == 1)
    failed = []
    with track("train runs", len(tasks), quiet or here, "run") as bar:
        for index, outcome in run_tasks(partial(execute_run, quiet=quiet or not here), tasks, pool):
            if outcome.ok:
                yield tasks[index], outcome.value
            else:
                failed.append((tasks[index], outcome))
            bar.advance()
    if failed:
        task, outcome = failed[0]
        message = f"run {task.name} failed: {outcome.error}" + (
            f" (and {len(failed) - 1} other run(s))" if len(failed) > 1 else "")
        raise (SynscaleError if outcome.user_error else RuntimeError)(message)
