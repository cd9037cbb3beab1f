"""A study's ``advise`` section: the prediction's leave-one-out scores, and adaptive against
uniform allocation at equal budgets (docs/advise.md).

For every budget N the pilot's per-class laws give two allocations of N images of the pilot's
configuration: ``adaptive`` (``allocate``) and ``uniform`` (N / C per class). Both datasets are
made in the same call, so from the same generator weights (checked: their cards' generator
identities must be equal), and a classifier (the study's recipe) is trained on each whole dataset
with every seed. ``adaptive_runs`` holds one row per (budget, arm, seed); ``adaptive_summary``
compares the arms seed by seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from synscale.advise.allocate import Allocation, allocate, uniform
from synscale.advise.config import Adaptive
from synscale.advise.pilot import PilotSource, pilot_source
from synscale.advise.plan import generation_plan
from synscale.advise.predict import MIN_CONFIGS, evaluate
from synscale.advise.table import study_table
from synscale.config import build
from synscale.engine.tasks import TaskPool, run_tasks
from synscale.errors import SynscaleError
from synscale.generators.stage.plan import GenerateConfig
from synscale.scaling.uncertainty import t_quantile
from synscale.store import ResultsStore
from synscale.study.plan import StudyPlan
from synscale.train.runs import RunTask, execute_run
from synscale.train.sources import synthetic_data

Log = Callable[[str], None]
ARMS = ("adaptive", "uniform")


def run_advise(plan: StudyPlan, store: ResultsStore, pool: TaskPool, quiet: bool, log: Log) -> None:
    advise = plan.study.advise
    if advise is None:
        return
    if advise.predict:
        score_predictions(store, plan.study.name, plan.study.analysis.level, log)
    if advise.adaptive is not None:
        run_adaptive(plan, advise.adaptive, store, pool, quiet, log)


def score_predictions(store: ResultsStore, study: str, level: float, log: Log) -> None:
    from synscale.advise.commands import store_evaluation

    table = study_table(store, study)
    if len(table.with_curves) < MIN_CONFIGS:
        log(f"predict: {len(table.with_curves)} configurations have curves; {MIN_CONFIGS} needed")
        return
    result = evaluate(table, level=level)
    store_evaluation(store, table.study, result, level)
    for score in result.scores:
        if score.method == "metrics":
            log(f"predict: {score.target}: leave-one-out Spearman {score.spearman:.3f} "
                f"[{score.spearman_ci[0]:.3f}, {score.spearman_ci[1]:.3f}] over {score.n} configurations")


def run_adaptive(plan: StudyPlan, config: Adaptive, store: ResultsStore, pool: TaskPool, quiet: bool,
                 log: Log) -> None:
    # 1. The allocations of every budget, from the pilot's per-class laws.
    pilot = pilot_source(store, plan.study.name, config.pilot)
    laws = pilot.laws()
    arms: dict[tuple[int, str], Allocation] = {}
    for budget in config.budgets:
        minimum = config.minimum or pilot.default_minimum(budget)
        arms[budget, "adaptive"] = allocate(laws, budget, minimum)
        arms[budget, "uniform"] = uniform(laws, budget)

    # 2. Every arm's dataset, in this one call (the same generator weights for all).
    datasets = _generate(plan, store, pilot, arms, pool, quiet, log)

    # 3. Train on each whole dataset with every seed; the driver stores each run.
    tasks = {(budget, arm, seed): RunTask(plan.study.world, plan.study.world_root,
                                          synthetic_data(path.name, path, budget), budget, seed,
                                          plan.recipe, str(plan.workspace.root),
                                          plan.study.execution.threads_per_run)
             for (budget, arm), path in datasets.items() for seed in config.seeds}
    stored = set(store.query("SELECT run_id FROM runs")["run_id"])
    ready = [t for t in tasks.values() if t.run_id not in stored]
    if ready:
        log(f"adaptive: training {len(ready)} runs ({len(config.budgets)} budgets x 2 arms x "
            f"{len(config.seeds)} seeds)")
    failed = []
    for index, outcome in run_tasks(execute_run, ready, pool):
        if outcome.ok:
            store.add_run(outcome.value)
        else:
            failed.append(f"{ready[index].name}: {outcome.error}")
    if failed:
        raise SynscaleError(f"adaptive: {len(failed)} run(s) failed; first: {failed[0]}")

    # 4. One row per (budget, arm, seed).
    losses = dict(store.query("SELECT run_id, val_loss FROM runs").itertuples(index=False))
    store.replace_rows("adaptive_runs", {"study": plan.study.name}, [
        {"study": plan.study.name, "budget": budget, "arm": arm, "seed": seed,
         "dataset": datasets[budget, arm].name, "run_id": task.run_id,
         "val_loss": losses[task.run_id], "predicted_loss": arms[budget, arm].predicted_loss}
        for (budget, arm, seed), task in tasks.items()])
    for row in adaptive_summary(store, plan.study.name, plan.study.analysis.level):
        log(f"adaptive: N = {row['budget']}: adaptive {row['adaptive_loss']:.4f}, uniform "
            f"{row['uniform_loss']:.4f}, difference {row['difference']:+.4f} "
            f"[{row['difference_lo']:+.4f}, {row['difference_hi']:+.4f}] ({row['seeds']} seeds)")


def _generate(plan: StudyPlan, store: ResultsStore, pilot: PilotSource,
              arms: dict[tuple[int, str], Allocation], pool: TaskPool, quiet: bool,
              log: Log) -> dict[tuple[int, str], Path]:
    from synscale.data.synthetic import SyntheticDataset
    from synscale.engine import make_engine
    from synscale.generators.stage.dataset import generate_dataset

    engine = make_engine(pool.engine, pool.workers if pool.engine == "ray" else None, pool.address)
    out, identities = {}, {}
    for key, allocation in arms.items():
        config = build(GenerateConfig, generation_plan(store, pilot, allocation),
                       f"adaptive arm {key[1]} at N = {key[0]}")
        report = generate_dataset(config, plan.workspace, engine, quiet=quiet)
        if report.made_images:
            log(f"adaptive: generated {report.made_images} images of {report.path.name}")
        card = SyntheticDataset(report.path).card
        store.add_dataset(report.path.name, card)
        out[key], identities[key] = report.path, card["generator_identity"]
    if len({repr(sorted(i.items())) for i in identities.values()}) > 1:
        raise SynscaleError("adaptive: the arms' datasets were made with different generator weights; "
                            "delete them and rerun so that both arms are generated together")
    return out


def adaptive_summary(store: ResultsStore, study: str, level: float = 0.95) -> list[dict[str, object]]:
    """Per budget: each arm's mean validation loss over seeds, and adaptive minus uniform with a
    paired t-interval over the seeds (the same training seed in both arms)."""
    runs = store.query("SELECT budget, arm, seed, val_loss, predicted_loss FROM adaptive_runs "
                       "WHERE study = ? ORDER BY budget, arm, seed", [study])
    return summarise(runs, level)


def summarise(runs: pd.DataFrame, level: float = 0.95) -> list[dict[str, object]]:
    rows = []
    for budget, group in runs.groupby("budget"):
        wide = group.pivot(index="seed", columns="arm", values="val_loss").dropna()
        if not set(ARMS) <= set(wide.columns) or wide.empty:
            continue
        diff = (wide["adaptive"] - wide["uniform"]).to_numpy()
        n = len(diff)
        half = t_quantile(level, n - 1) * diff.std(ddof=1) / math.sqrt(n) if n > 1 else math.inf
        predicted = group.groupby("arm")["predicted_loss"].first()
        rows.append({"budget": int(budget), "seeds": n,
                     "adaptive_loss": float(wide["adaptive"].mean()),
                     "adaptive_sd": float(wide["adaptive"].std(ddof=1)) if n > 1 else float("nan"),
                     "uniform_loss": float(wide["uniform"].mean()),
                     "uniform_sd": float(wide["uniform"].std(ddof=1)) if n > 1 else float("nan"),
                     "difference": float(np.mean(diff)), "difference_lo": float(np.mean(diff) - half),
                     "difference_hi": float(np.mean(diff) + half), "level": level,
                     "predicted_adaptive": float(predicted["adaptive"]),
                     "predicted_uniform": float(predicted["uniform"])})
    return rows
