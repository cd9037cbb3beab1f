"""The fastest a study's classifier training could possibly be on this machine: its training FLOPs
against the all-core fp32 matmul peak. Prints ONE JSON line:

- ``models``: per classifier, the study's runs, steps and training images, MFLOP per image
  (forward + backward, torch's FLOP counter: convolutions and matmuls only) and TFLOP in all;
  with ``-w`` a workspace where the study ran, also the stored runs' summed training seconds and
  the GFLOP/s one worker reached in them;
- ``train_tflop`` and ``matmul_peak_gflops`` (2048² ``torch.mm`` on every core, best of samples);
- ``floor_train_s``: the training FLOPs at that peak. No real run can be faster: it would need
  every convolution at the speed of a large matmul and BatchNorm, activations, pooling and the
  optimiser for free. ``floor_study_s`` adds, with ``-w``, the measured time of everything
  else in the study (``--other-s``: generation, measurement, CLIP, fits).

    .venv/bin/python benchmarks/study_floor.py examples/mini-full.yaml [-w workspace/full] [--other-s S]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections import defaultdict
from pathlib import Path

import duckdb
import torch
from machine import MatmulPeak
from train_throughput import flops_per_image

from synscale.study.config import load_study
from synscale.study.plan import build_plan
from synscale.workspace import Workspace


def stored_seconds(workspace: Path, run_ids: list[str]) -> dict[str, float]:
    """Summed training seconds of the study's stored runs, per model."""
    con = duckdb.connect(str(workspace / "results.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT run_id, model, seconds FROM runs").fetchall()
    finally:
        con.close()
    wanted = set(run_ids)
    seconds: dict[str, float] = defaultdict(float)
    for run_id, model, s in rows:
        if run_id in wanted:
            seconds[model] += s
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study")
    parser.add_argument("-w", "--workspace", type=Path, help="where the study ran (its stored runs)")
    parser.add_argument("--other-s", type=float, help="measured seconds of the study's other stages")
    args = parser.parse_args()
    study = load_study(args.study)
    with tempfile.TemporaryDirectory() as scratch:
        plan = build_plan(study, Workspace(args.workspace or Path(scratch)))
    world = plan.world
    models: dict[str, dict] = defaultdict(lambda: {"runs": 0, "steps": 0, "images": 0})
    recipes = {}
    for task in plan.runs.values():
        entry = models[task.recipe.model]
        entry["runs"] += 1
        entry["steps"] += task.iterations
        entry["images"] += task.iterations * task.recipe.batch_size
        recipes[task.recipe.model] = task.recipe
    for model, entry in models.items():
        mflops = flops_per_image(recipes[model], world.channels, world.image_size) / 1e6
        entry["mflops_per_image"] = round(mflops, 3)
        entry["tflop"] = round(entry["images"] * entry["mflops_per_image"] / 1e6, 2)
    if args.workspace:
        seconds = stored_seconds(args.workspace, list(plan.runs))
        for model, entry in models.items():
            entry["stored_run_seconds"] = round(seconds.get(model, 0.0), 1)
            if seconds.get(model):
                entry["gflops_per_worker"] = round(entry["tflop"] * 1e3 / seconds[model], 1)
    peak = MatmulPeak()
    torch.set_num_threads(os.cpu_count() or 1)
    peak.sample(10)
    tflop = sum(e["tflop"] for e in models.values())
    floor = tflop * 1e3 / peak.gflops
    result = {"study": study.name, "models": dict(models), "train_tflop": round(tflop, 2),
              "matmul_peak_gflops": round(peak.gflops, 1), "floor_train_s": round(floor),
              "load_average_1min": round(os.getloadavg()[0], 2)}
    if args.other_s is not None:
        result["other_stages_s"] = args.other_s
        result["floor_study_s"] = round(floor + args.other_s)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
