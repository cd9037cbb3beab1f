"""Training throughput of the default mini classifier: images/s and the share of step time spent
waiting for data (goal < 5%). Prints one JSON line.

    .venv/bin/python benchmarks/train_throughput.py [--iterations 300]
"""

from __future__ import annotations

import argparse
import json
import os

import torch

from synscale.train.classifier import TrainRecipe, train_classifier
from synscale.train.runs import resolve_recipe
from synscale.train.schedule import Schedule
from synscale.worlds import get_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300)
    args = parser.parse_args()
    world = get_world("mini")
    n = args.iterations
    recipe = resolve_recipe(TrainRecipe(schedule=Schedule(small_iterations=n, large_iterations=n,
                                                          min_iterations=n)), world)
    _, stats = train_classifier(world.pool("train"), world.num_classes, recipe, seed=0, quiet=True)
    print(json.dumps({"benchmark": "train_throughput", "model": recipe.model,
                      "batch_size": recipe.batch_size, "iterations": stats.iterations,
                      "images_per_s": round(stats.images_per_s, 1),
                      "data_wait_fraction": round(stats.data_wait_fraction, 4),
                      "threads": torch.get_num_threads(),
                      "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "")}))


if __name__ == "__main__":
    main()
