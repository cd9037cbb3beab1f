"""``synscale study run``: a study's stages in dependency order, each skipping what is done.

1. record the study (its configurations and curves by short name) in the store;
2. generate every configuration's dataset (resumable shards; the generation engine);
3. measure every dataset (recognizability, diversity, FID) with the reference classifier;
4. train every run not in the store (the task engine: processes or Ray tasks), storing each
   record as it arrives;
5. fit every curve on every evaluation set, then the per-class fits and exchange rates;
6. with an ``advise`` section: score the prediction of k and run the adaptive experiment;
7. with a ``clip`` section: synthetic pairs, the CFG sweep, the CLIP curves and their fits
   (``synscale.clip.study``).

A failed item (a dataset, a measurement, a run, a fit) is recorded in ``study_failures`` with its
error and does not stop the others; its dependants wait, and a rerun retries only what failed or
is missing. Only this (driver) process writes the store, one transaction per item, so a study
killed at any moment resumes and ends with the same store as an uninterrupted one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from synscale.engine.tasks import TaskPool, kept_workers, run_tasks
from synscale.errors import SynscaleError
from synscale.progress import track
from synscale.scaling.laws import LAWS
from synscale.store import ResultsStore, RunRecord
from synscale.study.analysis import (
    StoredCurve,
    classes_table,
    exchange_table,
    fit_stored_curve,
    real_reference,
)
from synscale.study.config import StudyConfig
from synscale.study.plan import (
    DatasetItem,
    StudyPlan,
    build_plan,
    measured_datasets,
    stored_run_ids,
)
from synscale.train.runs import execute_run, expected_cost
from synscale.workspace import Workspace

if TYPE_CHECKING:
    from synscale.generators.stage.plan import GenerateConfig

Log = Callable[[str], None]


@dataclass
class StudyReport:
    study: str
    seconds: float = 0.0
    made: dict[str, int] = field(default_factory=dict)  # stage -> items done by this run
    failed: list[dict[str, str]] = field(default_factory=list)

    def count(self, stage: str) -> None:
        self.made[stage] = self.made.get(stage, 0) + 1

    def as_dict(self) -> dict[str, object]:
        return {"study": self.study, "seconds": round(self.seconds, 1), "made": self.made,
                "failed": self.failed}


def run_study(study: StudyConfig, workspace: Workspace, pool: TaskPool, quiet: bool = False,
              log: Log = print, source: str = "") -> StudyReport:
    start = time.perf_counter()
    plan = build_plan(study, workspace)  # every check, before any work
    report = StudyReport(study.name)
    with workspace.store() as store, kept_workers(pool):  # one start-up per worker, all stages
        _record_study(store, plan, source)
        _generate(plan, store, pool, report, quiet, log)
        _measure(plan, store, report, quiet, log)
        _train(plan, store, pool, report, quiet, log)
        _analyse(plan, store, report, log)
        if study.advise is not None:  # beyond the paper (docs/advise.md); needs the fits above
            from synscale.advise.experiment import run_advise

            with _attempt(store, plan, report, "advise", "advise", {}, log):
                run_advise(plan, store, pool, quiet, log)
        if study.clip is not None:  # paper 5 (docs/clip.md)
            _clip(plan, store, pool, report, quiet, log)
    report.seconds = time.perf_counter() - start
    return report


def _clip(plan: StudyPlan, store: ResultsStore, pool: TaskPool, report: StudyReport, quiet: bool,
          log: Log) -> None:
    from synscale.clip.study import run_clip_section

    def attempt(stage: str, item: str, config: dict):
        return _attempt(store, plan, report, stage, item, config, log)

    study = plan.study
    made = run_clip_section(study.clip, study.world, study.world_root, plan.workspace, store, pool,
                            attempt, quiet, log)
    for stage, count in made.items():
        for _ in range(count):
            report.count(stage)


def _record_study(store: ResultsStore, plan: StudyPlan, source: str) -> None:
    study = plan.study
    previous = store.query("SELECT analysed FROM studies WHERE study = ?", [study.name])
    store.replace_rows("studies", {"study": study.name}, [{
        "study": study.name, "config": json.dumps(study.model_dump(mode="json"), sort_keys=True),
        "source": source, "reference_scale": plan.reference_scale,
        "model": plan.recipe.model,
        "analysed": previous["analysed"].iloc[0] if len(previous) else None}])
    store.replace_rows("study_configs", {"study": study.name}, [
        {"study": study.name, "name": name, "dataset": item.name, "generator": item.config.generator,
         "cfg": item.config.cfg, "prompts": item.config.prompts, "seed": item.generate.seed,
         "per_class": item.generate.per_class} for name, item in plan.datasets.items()])
    store.replace_rows("study_curves", {"study": study.name}, [
        {"study": study.name, "name": c.name, "curve": c.key, "world": c.world, "data": c.data.name,
         "model": c.model, "kind": c.kind, "config": c.config, "real_images": c.data.real_images}
        for c in plan.curves])


def _generate(plan: StudyPlan, store: ResultsStore, pool: TaskPool, report: StudyReport,
              quiet: bool, log: Log) -> None:
    from synscale.data.synthetic import SyntheticDataset

    todo = [(name, item) for name, item in plan.datasets.items() if not item.done]
    # On this machine's CPU with several workers, datasets are made side by side, one per
    # single-threaded worker process: small generator ops scale across processes, not threads
    # (docs/generation.md, Speed). An image depends only on its prompt and seed: same bytes.
    beside = [(n, i) for n, i in todo if pool.engine == "local" and pool.workers > 1
              and str(i.generate.generator_options.get("device", "cpu")) == "cpu"]
    if len(beside) < 2:
        beside = []
    if todo:
        log(f"generate: {len(todo)} of {len(plan.datasets)} datasets to make"
            + (f", {len(beside)} side by side in {pool.workers} worker processes" if beside else ""))
    if beside:
        _generate_beside(plan, store, pool, report, beside, quiet, log)
        todo = [t for t in todo if t not in beside]
    engine_workers = pool.workers if pool.engine == "ray" else None
    for name, item in todo:
        with _attempt(store, plan, report, "generate", name, item.generate.model_dump(mode="json"), log):
            make_dataset(item.generate, str(plan.workspace.root), pool.engine, engine_workers,
                         pool.address, quiet=quiet)
            report.count("generate")
    for item in plan.datasets.values():  # the datasets table describes every dataset made
        if item.done:
            store.add_dataset(item.name, SyntheticDataset(item.path).card)


def _generate_beside(plan: StudyPlan, store: ResultsStore, pool: TaskPool, report: StudyReport,
                     todo: list[tuple[str, DatasetItem]], quiet: bool, log: Log) -> None:
    """The datasets in the pool's worker processes, largest first (as runs are trained)."""
    todo = sorted(todo, key=lambda entry: entry[1].images, reverse=True)
    make = partial(make_dataset, workspace=str(plan.workspace.root), threads=pool.threads)
    with track("generate datasets", len(todo), quiet, "dataset") as bar:
        for index, outcome in run_tasks(make, [item.generate for _, item in todo], pool):
            name, item = todo[index]
            if outcome.ok:
                _clear_failure(store, plan.study.name, "generate", name)
                report.count("generate")
            else:
                _fail(store, plan, report, "generate", name, item.generate.model_dump(mode="json"),
                      outcome.error or "", log)
            bar.advance()


def make_dataset(config: GenerateConfig, workspace: str, engine: str = "local",
                 workers: int | None = None, address: str | None = None, threads: int | None = None,
                 quiet: bool = True) -> None:
    """One dataset of a study, in whichever process calls it (the driver or a pool worker)."""
    from synscale.engine import make_engine
    from synscale.generators.stage.dataset import generate_dataset

    generate_dataset(config, Workspace(workspace), make_engine(engine, workers, address, threads),
                     quiet=quiet)


def _measure(plan: StudyPlan, store: ResultsStore, report: StudyReport, quiet: bool, log: Log) -> None:
    from synscale.data.synthetic import SyntheticDataset
    from synscale.metrics.measure import measure_images
    from synscale.train.reference import reference_classifier

    per_class = plan.study.measure.per_class
    measured = measured_datasets(store, plan.reference_key, per_class)
    todo = [(n, d) for n, d in plan.datasets.items() if d.done and d.name not in measured]
    if not todo:
        return
    log(f"measure: {len(todo)} datasets ({per_class} images per class)")
    ref = plan.study.reference
    reference = reference_classifier(plan.world, plan.workspace, plan.reference_recipe, ref.seed,
                                     Path(ref.weights) if ref.weights else None, quiet)
    world = plan.world
    for name, item in todo:
        with _attempt(store, plan, report, "measure", name, {"dataset": item.name}, log):
            images = SyntheticDataset(item.path).load(per_class, world.channels, world.image_size)
            result = measure_images(images, world, reference)
            store.add_measurement(item.name, per_class, plan.reference_key, result)
            report.count("measure")


def _train(plan: StudyPlan, store: ResultsStore, pool: TaskPool, report: StudyReport, quiet: bool,
           log: Log) -> None:
    stored = stored_run_ids(store)
    ready = []
    for run_id, task in plan.runs.items():
        dataset = plan.dataset_of(task)
        if run_id not in stored and (dataset is None or dataset.done):
            ready.append(task)
    if not ready:
        return
    # Longest first: started last, a long run would leave the other workers idle at the end.
    ready.sort(key=expected_cost, reverse=True)  # stable: equal costs keep the plan's order
    images = sum(t.iterations * t.recipe.batch_size for t in ready)
    log(f"train: {len(ready)} of {len(plan.runs)} runs ({images:,} training images) on "
        f"{pool.engine}, {pool.workers} worker(s) x {pool.threads} thread(s)")
    with track("train runs", len(ready), quiet, "run") as bar:
        for index, outcome in run_tasks(execute_run, ready, pool):
            task = ready[index]
            if outcome.ok:
                record: RunRecord = outcome.value
                store.add_run(record)
                _clear_failure(store, plan.study.name, "train", task.name)
                report.count("train")
            else:
                _fail(store, plan, report, "train", task.name,
                      {"data": task.data.name, "scale": task.scale, "seed": task.seed,
                       "recipe": task.recipe.model_dump(mode="json")}, outcome.error or "", log)
            bar.advance()


def _analyse(plan: StudyPlan, store: ResultsStore, report: StudyReport, log: Log) -> None:
    """Fits, per-class fits and exchange rates of every curve whose runs are all stored; skipped
    when the stored runs have not changed since the last analysis that had no failure."""
    stored = stored_run_ids(store)
    complete = [c for c in plan.curves
                if all(rid in stored for rid, names in plan.run_curves.items() if c.name in names)]
    digest = json.dumps(sorted(rid for rid in plan.runs if rid in stored))
    previous = store.query("SELECT analysed FROM studies WHERE study = ?", [plan.study.name])
    if not complete or (len(previous) and previous["analysed"].iloc[0] == digest):
        return
    analysis = plan.study.analysis
    sets = ["val", *plan.ood]
    log(f"fit: {len(complete)} curves x {len(sets)} sets")
    curves = {c.name: StoredCurve(c.key, c.name, c.world, c.data.name, c.model, plan.study.name)
              for c in complete}
    failures = len(report.failed)
    for item in complete:
        curve = curves[item.name]
        with _attempt(store, plan, report, "fit", item.name, {"curve": curve.key}, log):
            for set_name in sets:
                fit_stored_curve(store, curve, set_name, analysis.laws, plan.reference_scale,
                                 analysis.level)
            # Per-class fits are power laws: a curve with fewer scales has none (no failure).
            if analysis.per_class and _scales(plan, item.name) >= LAWS.create("power").min_scales:
                classes_table(store, curve, "val", plan.reference_scale, analysis.level,
                              plan.study.measure.per_class)
            real = real_reference(store, curve)
            if analysis.exchange and item.kind == "syn" and real is not None:
                for set_name in sets:
                    exchange_table(store, curve, real, set_name, plan.reference_scale, analysis.level)
    if len(report.failed) == failures:  # a failed analysis is retried by the next run
        store.execute("UPDATE studies SET analysed = ? WHERE study = ?", [digest, plan.study.name])


def _scales(plan: StudyPlan, curve: str) -> int:
    return len(next(c for c in plan.study.curves if c.name == curve).scales)


@contextmanager
def _attempt(store: ResultsStore, plan: StudyPlan, report: StudyReport, stage: str, item: str,
             config: dict, log: Log) -> Iterator[None]:
    """Run one item; a failure is recorded (with its config) instead of raised. Only
    ``Exception``s: an interrupt still stops the study."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - one failed item must not stop the others
        message = str(exc) if isinstance(exc, SynscaleError) else f"{type(exc).__name__}: {exc}"
        _fail(store, plan, report, stage, item, config, message, log)
    else:
        _clear_failure(store, plan.study.name, stage, item)


def _fail(store: ResultsStore, plan: StudyPlan, report: StudyReport, stage: str, item: str,
          config: dict, error: str, log: Log) -> None:
    key = {"study": plan.study.name, "stage": stage, "item": item}
    store.replace_rows("study_failures", key, [{**key, "config": json.dumps(config, sort_keys=True),
                                                "error": error}])
    report.failed.append({"stage": stage, "item": item, "error": error})
    log(f"FAILED {stage} {item}: {error}")


def _clear_failure(store: ResultsStore, study: str, stage: str, item: str) -> None:
    store.replace_rows("study_failures", {"study": study, "stage": stage, "item": item}, [])
