"""Training throughput of the default mini classifier as a study runs it, and the memory of a
32,000-image synthetic run. Prints ONE JSON line:

- ``one_run``: images/s of one run with one thread (a study's default: one single-threaded run
  per core), FLOPs per image (forward + backward, torch's FLOP counter), the fraction of the
  one-thread fp32 matmul peak, and the share of step time spent waiting for data;
- ``machine``: images/s of one run per core at once, through the study's task engine, against
  the all-core matmul peak;
- ``synthetic_32k``: peak resident memory of a run on 32,000 synthetic images (in a fresh
  process) above that process's baseline (imports, the world's pools and OOD sets, a model),
  next to the bytes of the images it trains on. ``--dataset DIR`` names a finished dataset of at least 32,000 images
  (e.g. from ``examples/mini-full.yaml``); without it one is generated first (about a minute).

    .venv/bin/python benchmarks/train_throughput.py [--iterations 300] [--dataset DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from machine import MatmulPeak, make_synthetic_dataset, peak_rss_mb, rss_mb
from torch.utils.flop_counter import FlopCounterMode

from synscale.engine.tasks import TaskPool, run_tasks
from synscale.train.classifier import TrainRecipe, train_classifier
from synscale.train.models import create_classifier
from synscale.train.runs import RunTask, execute_run, resolve_recipe
from synscale.train.schedule import Schedule
from synscale.train.sources import synthetic_data
from synscale.worlds import get_world

SYNTHETIC_IMAGES = 32_000
MEMORY_ITERATIONS = 100  # memory does not grow with steps; keep the child short


def recipe(iterations: int) -> TrainRecipe:
    fixed = Schedule(small_iterations=iterations, large_iterations=iterations,
                     min_iterations=iterations)
    return resolve_recipe(TrainRecipe(schedule=fixed), get_world("mini"))


def train_rate(iterations: int) -> dict[str, float]:
    """One run on the real pool, in the calling process's thread setting."""
    world = get_world("mini")
    _, stats = train_classifier(world.pool("train"), world.num_classes, recipe(iterations), 0, True)
    return {"images_per_s": stats.images_per_s, "data_wait_fraction": stats.data_wait_fraction}


def flops_per_image(r: TrainRecipe, channels: int = 1, size: int = 16) -> float:
    """Training FLOPs (forward + backward) per image of ``r.model`` on the mini world's images
    unless told another shape."""
    model = create_classifier(r.model, 10, channels).train()
    x = torch.randn(r.batch_size, channels, size, size)
    with FlopCounterMode(display=False) as counter:
        model(x).sum().backward()
    return counter.get_total_flops() / r.batch_size


def memory_child(dataset: str) -> None:
    """In a fresh process: baseline RSS, then a 32,000-image synthetic run's peak RSS."""
    world = get_world("mini")
    for name in world.pool_names():  # the baseline holds what every run holds: pools, OOD sets
        world.pool(name)
    for name in world.ood_names():
        world.ood(name)
    r = recipe(MEMORY_ITERATIONS)
    create_classifier(r.model, world.num_classes, world.channels)
    baseline = rss_mb()
    data = synthetic_data(Path(dataset).name, dataset, SYNTHETIC_IMAGES)
    with tempfile.TemporaryDirectory() as workspace:
        record = execute_run(RunTask("mini", None, data, SYNTHETIC_IMAGES, 0, r, workspace, 1))
    image_bytes = SYNTHETIC_IMAGES * world.channels * world.image_size**2  # one uint8 tensor
    print(json.dumps({"baseline_rss_mb": round(baseline, 1), "peak_rss_mb": round(peak_rss_mb(), 1),
                      "trained_images": record.scale, "images_mb": round(image_bytes / 2**20, 1)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--dataset", help="a finished synthetic dataset of >= 32,000 images")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return

    cores = os.cpu_count() or 1
    r = recipe(args.iterations)
    flops = flops_per_image(r)
    # 1. One run, one thread, against the one-thread matmul peak.
    torch.set_num_threads(1)
    peak_one = MatmulPeak()
    peak_one.sample()
    one = train_rate(args.iterations)
    peak_one.sample()
    # 2. One single-threaded run per core at once, as a study runs them.
    torch.set_num_threads(cores)
    peak_all = MatmulPeak()
    peak_all.sample()
    pool = TaskPool("local", cores, 1)
    rates = [outcome.value["images_per_s"] for _, outcome in
             run_tasks(train_rate, [args.iterations] * cores, pool)]
    peak_all.sample()
    machine_rate = sum(rates)
    # 3. Memory of a 32,000-image synthetic run, in a fresh process.
    with tempfile.TemporaryDirectory() as scratch:
        dataset = args.dataset or make_synthetic_dataset(Path(scratch), SYNTHETIC_IMAGES)
        child = subprocess.run([sys.executable, __file__, "--memory-child", dataset], check=True,
                               capture_output=True, text=True)
    memory = json.loads(child.stdout.strip().splitlines()[-1])
    print(json.dumps({
        "benchmark": "train_throughput", "model": r.model, "batch_size": r.batch_size,
        "iterations": args.iterations, "mflops_per_image": round(flops / 1e6, 2),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
        "one_run": {"threads": 1, "images_per_s": round(one["images_per_s"], 1),
                    "gflops": round(one["images_per_s"] * flops / 1e9, 2),
                    "matmul_peak_gflops": round(peak_one.gflops, 1),
                    "fraction_of_matmul_peak": round(one["images_per_s"] * flops / 1e9 / peak_one.gflops, 3),
                    "data_wait_fraction": round(one["data_wait_fraction"], 4)},
        "machine": {"runs_at_once": cores, "threads_per_run": 1,
                    "images_per_s": round(machine_rate, 1),
                    "gflops": round(machine_rate * flops / 1e9, 2),
                    "matmul_peak_gflops": round(peak_all.gflops, 1),
                    "fraction_of_matmul_peak": round(machine_rate * flops / 1e9 / peak_all.gflops, 3)},
        "synthetic_32k": memory,
        "load_average_1min": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
