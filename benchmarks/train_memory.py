"""Peak memory of training on a 32,000-image synthetic set, held in memory and streamed from its
shards, next to the same at 2,000 images (does memory grow with the dataset?). Prints ONE JSON line.

Each measurement is a fresh process that first loads what every run holds (imports, the world's
pools and OOD sets, a model: ``baseline_rss_mb``), then runs one training run of ``--iterations``
steps and its evaluation, as a study does (``execute_run``). ``peak_rss_mb`` is that process's
peak resident memory; streamed runs also report the largest peak of their DataLoader worker
processes (forked: most of their pages are shared with the parent, so the two do not add up).
Goal: peak < 1.5 GB. ``--dataset DIR`` names a finished synthetic dataset of at least 32,000
images (e.g. one from ``examples/mini-full.yaml``); without it one is generated first.

    .venv/bin/python benchmarks/train_memory.py [--dataset DIR] [--iterations 100]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from machine import make_synthetic_dataset, peak_rss_mb, rss_mb

from synscale.train.classifier import TrainRecipe
from synscale.train.models import create_classifier
from synscale.train.runs import RunTask, execute_run, resolve_recipe
from synscale.train.schedule import Schedule
from synscale.train.setup import TrainSetup
from synscale.train.sources import synthetic_data
from synscale.worlds import get_world

IMAGES = 32_000
SMALL = 2_000
GOAL_MB = 1536


def child(dataset: str, scale: int, stream: str, iterations: int) -> dict[str, object]:
    world = get_world("mini")
    for name in world.pool_names():
        world.pool(name)
    for name in world.ood_names():
        world.ood(name)
    fixed = Schedule(small_iterations=iterations, large_iterations=iterations, min_iterations=iterations)
    recipe = resolve_recipe(TrainRecipe(schedule=fixed), world)
    create_classifier(recipe.model, world.num_classes, world.channels)
    baseline = rss_mb()
    data = synthetic_data(Path(dataset).name, dataset, IMAGES)
    setup = TrainSetup(device="cpu", stream=stream, checkpoint_every=0)
    with tempfile.TemporaryDirectory() as workspace:
        record = execute_run(RunTask("mini", None, data, scale, 0, recipe, workspace, 1, setup))
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"images": scale, "baseline_rss_mb": round(baseline, 1), "peak_rss_mb": round(peak_rss_mb(), 1),
            "loader_worker_peak_rss_mb": round(workers, 1) if stream == "always" else None,
            "loader_workers": min(recipe.loader_workers, os.cpu_count() or 1) if stream == "always" else 0,
            "train_images_per_s": round(record.train_images_per_s, 1),
            "data_wait_fraction": round(record.data_wait_fraction, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", help="a finished synthetic dataset of >= 32,000 images")
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        dataset, scale, stream = args.child
        print(json.dumps(child(dataset, int(scale), stream, args.iterations)))
        return
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        dataset = args.dataset or make_synthetic_dataset(Path(scratch), IMAGES)
        for stream, label in (("never", "in_memory"), ("always", "streamed")):
            for scale in (SMALL, IMAGES):
                out = subprocess.run([sys.executable, __file__, "--iterations", str(args.iterations),
                                      "--child", dataset, str(scale), stream],
                                     check=True, capture_output=True, text=True)
                results[f"{label}_{scale}"] = json.loads(out.stdout.strip().splitlines()[-1])
    peak = max(float(r["peak_rss_mb"]) for r in results.values())
    print(json.dumps({"benchmark": "train_memory", "dataset": Path(dataset).name,
                      "iterations": args.iterations, "runs": results, "max_peak_rss_mb": peak,
                      "goal_mb": GOAL_MB, "under_goal": peak < GOAL_MB,
                      "load_average_1min": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
