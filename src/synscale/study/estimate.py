"""How long the pending work of a study will take, from throughputs measured on this machine now.

Calibration takes a few seconds: a short training run of every classifier the study uses (with
the study's threads per run), one evaluation pass, one generation batch of every generator and,
with a ``clip:`` section, a few CLIP steps;
a spawned worker's start-up, a measurement and an analysis get fixed allowances (measured once,
below). Training time is shared out over the workers (independent runs, one core each, scale
almost linearly), and so is generation when there are several workers (datasets side by side);
measurement runs in the driver. The CLIP stage's synthetic pairs are made in the driver with
every core, its runs shared out over the workers (their zero-shot evaluations are not timed;
mini-full's CLIP stage took 7% less than estimated).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from synscale.study.plan import StudyPlan
from synscale.threads import torch_threads
from synscale.train.classifier import train_classifier
from synscale.train.evaluate import evaluate
from synscale.train.schedule import Schedule

if TYPE_CHECKING:
    from synscale.clip.study import ClipSection, ClipWork

CALIBRATION_STEPS = 40
CALIBRATION_IMAGES = 100  # per generator
CLIP_CALIBRATION_STEPS = 6
MEASURE_SECONDS = 1.5  # per dataset: decode 50 per class, score, FID (measured: 1-2 s)
ANALYSIS_SECONDS_PER_CURVE = 1.0  # fits on every set, per-class fits, exchange rates
WORKER_START_S = 6.0  # a spawned worker imports torch and loads the world
GENERATE_END_TO_END = 0.9  # PNG encoding and shard writing on top of sampling (measured: 531/596)


@dataclass(frozen=True)
class Estimate:
    generate_s: float
    measure_s: float
    train_s: float
    analyse_s: float
    rates: dict[str, float]  # what was measured: images (pairs) per second per model and generator
    clip_s: float = 0.0

    @property
    def total_s(self) -> float:
        return self.generate_s + self.measure_s + self.train_s + self.analyse_s + self.clip_s


def estimate(plan: StudyPlan, status: dict[str, dict[str, list[str]]], workers: int,
             clip: ClipWork | None = None) -> Estimate:
    threads = plan.study.execution.threads_per_run
    pending_runs = [t for t in plan.runs.values() if t.name not in status["train"]["done"]]
    pending_sets = [d for n, d in plan.datasets.items() if n not in status["generate"]["done"]]
    rates: dict[str, float] = {}
    with torch_threads(threads):
        eval_s = _eval_seconds(plan) if pending_runs else 0.0
        for model in sorted({t.recipe.model for t in pending_runs}):
            rates[f"train:{model}"] = _train_rate(plan, model)
    # With several workers the datasets are made side by side, one per worker (study.runner).
    beside = workers > 1 and len(pending_sets) > 1
    with torch_threads(threads if beside else None):
        for generator in sorted({d.config.generator for d in pending_sets}):
            options = next(d.generate.generator_spec().options for d in pending_sets
                           if d.config.generator == generator)
            rates[f"generate:{generator}"] = _generate_rate(plan, generator, options)
    run_seconds = sum(t.iterations * t.recipe.batch_size / rates[f"train:{t.recipe.model}"] + eval_s
                      for t in pending_runs)
    # The workers start once, in the first stage that uses them (study.runner keeps them).
    start = WORKER_START_S if workers > 1 else 0.0
    train_s = run_seconds / max(1, min(workers, len(pending_runs))) + (
        start if pending_runs and not beside else 0.0)
    generate_s = sum(d.images / rates[f"generate:{d.config.generator}"] / GENERATE_END_TO_END
                     for d in pending_sets) / (min(workers, len(pending_sets)) if beside else 1) + (
        start if beside else 0.0)
    measure_s = (len(plan.datasets) - len(status["measure"]["done"])) * MEASURE_SECONDS
    if measure_s and not plan.reference_done:
        model = plan.reference_recipe.model
        rate = rates.get(f"train:{model}") or _train_rate(plan, model)
        pool = len(plan.world.pool("train"))
        measure_s += plan.reference_recipe.schedule.iterations(pool) * plan.reference_recipe.batch_size / rate
    return Estimate(generate_s, measure_s, train_s,
                    ANALYSIS_SECONDS_PER_CURVE * len(plan.curves) if pending_runs else 0.0, rates,
                    _clip_seconds(plan, clip, workers, rates, started=beside or bool(pending_runs))
                    if clip else 0.0)


def _clip_seconds(plan: StudyPlan, clip: ClipWork, workers: int, rates: dict[str, float],
                  started: bool) -> float:
    section = plan.study.clip
    assert section is not None
    seconds = 0.0
    if clip.images_to_generate:
        key = f"generate:{section.generator}"
        # The pairs are made in the driver with every core (clip.study); a grid generator's rate,
        # measured on one thread when datasets go side by side, is reused: a cautious estimate.
        if key not in rates:
            rates[key] = _generate_rate(plan, section.generator, section.generator_options)
        seconds += clip.images_to_generate / rates[key] / GENERATE_END_TO_END
    if clip.runs_to_train:
        from synscale.clip.models import default_model

        model = section.recipe.model or default_model(plan.world.name)
        with torch_threads(plan.study.execution.threads_per_run):
            rate = rates[f"clip:{model}"] = _clip_rate(plan, section, model)
        start = WORKER_START_S if workers > 1 and clip.runs_to_train > 1 and not started else 0.0
        seconds += clip.pairs_to_train / rate / min(workers, clip.runs_to_train) + start
    return seconds


def _train_rate(plan: StudyPlan, model: str) -> float:
    """Training images/s of ``model`` on the real pool, first-step overhead included (as in a
    run)."""
    fixed = Schedule(small_iterations=CALIBRATION_STEPS, large_iterations=CALIBRATION_STEPS,
                     min_iterations=CALIBRATION_STEPS)
    recipe = plan.recipe.model_copy(update={"model": model, "schedule": fixed})
    _, stats = train_classifier(plan.world.pool("train"), plan.world.num_classes, recipe, 0, True)
    return stats.images_per_s


def _eval_seconds(plan: StudyPlan) -> float:
    """One evaluation of a fresh model on val and every OOD set."""
    task = next(iter(plan.runs.values()))
    fixed = Schedule(small_iterations=1, large_iterations=1, min_iterations=1)
    classifier, _ = train_classifier(plan.world.pool("train"), plan.world.num_classes,
                                     task.recipe.model_copy(update={"schedule": fixed}), 0, True)
    start = time.perf_counter()
    for name in ["val", *plan.world.ood_names()]:
        data = plan.world.pool(name) if name == "val" else plan.world.ood(name)
        evaluate(classifier, data, task.recipe.eval_batch_size)
    return time.perf_counter() - start


def _clip_rate(plan: StudyPlan, section: ClipSection, model: str) -> float:
    """Training pairs/s of the section's CLIP on its pair set's real images."""
    from synscale.clip.models import create_clip, get_tokenizer
    from synscale.clip.pairs import load_pairs
    from synscale.clip.train import ClipBatchSource, train_clip

    recipe = section.recipe.model_copy(update={"model": model, "epochs": 1})
    pairs = load_pairs(plan.world, section.pairs)
    count = min(CLIP_CALIBRATION_STEPS * recipe.batch_size, len(pairs))
    data = ClipBatchSource(get_tokenizer(model)(pairs.captions[:count]),
                           pairs.images.load(range(count)), None)
    return train_clip(create_clip(model), data, recipe, seed=0, quiet=True).pairs_per_s


def _generate_rate(plan: StudyPlan, generator: str, options: dict[str, Any]) -> float:
    """Images/s of one guided batch (CFG 2), generator start-up excluded."""
    from synscale.generators.stage.plan import GeneratorSpec

    model = GeneratorSpec(generator, options).build()
    prompts = [plan.world.classes[i % plan.world.num_classes].name for i in range(CALIBRATION_IMAGES)]
    model.generate(prompts[:8], list(range(8)), 2.0)  # warm-up
    start = time.perf_counter()
    model.generate(prompts, list(range(CALIBRATION_IMAGES)), 2.0)
    return CALIBRATION_IMAGES / (time.perf_counter() - start)
