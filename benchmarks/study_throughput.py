"""Training throughput of a study, side by side with one process. Prints ONE JSON line:

- ``single``: images/s of one mini_resnet run (batch 64, real pool) in a fresh process per setting:
  1 and 2 torch threads, ``OMP_WAIT_POLICY`` PASSIVE and ACTIVE (set before torch loads), best of
  ``--repeats`` interleaved rounds. ``old_default`` is 2 threads, PASSIVE (what ``make`` ran a
  single run with before studies ran runs concurrently); ``best`` is the fastest setting;
- ``study``: training images/s of a small study (mini-full's real curve: scales 125-2,000,
  ``--seeds`` 0,1,2) as ``synscale study run`` executes it with its default pool (one
  single-threaded worker per core):
  every image of every run over the train stage's wall time, worker start-up, evaluation on val
  and the OOD sets, weights and store writes included; ``in_steps`` is the share of the workers'
  time spent in training steps;
- ``gflops`` and ``fraction_of_matmul_peak`` of each, against the all-core fp32 matmul peak
  measured in the same run (sampled between the timed parts: ``machine.MatmulPeak``);
- ``generation``: images/s of each mini generator family (CFG 2) in the same process layouts,
  from ``benchmarks/generation.py``'s ``generation_rates`` (``--no-generation`` skips it).
- ``other_processes_cores``: how many cores other processes kept busy on average meanwhile
  (``machine.OtherCpu``; above ~0.1 the ratios are not those of an idle machine).

    .venv/bin/python benchmarks/study_throughput.py [--iterations 300] [--repeats 2] [--write-doc]

``--write-doc`` also writes the table to docs/measured/study-throughput.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import MatmulPeak, OtherCpu, cpu_name
from train_throughput import flops_per_image, recipe, train_rate

from synscale.engine.tasks import TaskPool
from synscale.study.config import StudyConfig
from synscale.study.plan import build_plan
from synscale.study.runner import run_study
from synscale.threads import torch_threads
from synscale.workspace import Workspace

SETTINGS = [(1, "PASSIVE"), (1, "ACTIVE"), (2, "PASSIVE"), (2, "ACTIVE")]
OLD_DEFAULT = (2, "PASSIVE")
DOC = Path(__file__).resolve().parents[1] / "docs" / "measured" / "study-throughput.md"


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def single_rate(threads: int, policy: str, iterations: int) -> dict[str, float]:
    """One run in a fresh process whose OpenMP reads ``policy`` when torch loads: images per
    second of wall time and per CPU-second (every thread's, spinning included)."""
    env = {**os.environ, "OMP_WAIT_POLICY": policy}
    out = subprocess.run([sys.executable, __file__, "--single", str(threads), str(iterations)],
                         env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def study_rate(seeds: list[int]) -> dict[str, float]:
    """A real curve as ``synscale study run`` trains it: images over the train stage's wall time."""
    study = StudyConfig.model_validate({
        "name": "throughput", "world": "mini",
        "curves": [{"name": "real", "data": "real", "scales": [125, 250, 500, 1000, 2000],
                    "seeds": seeds}]})
    marks: dict[str, tuple[float, float]] = {}

    def log(line: str) -> None:  # the runner logs the start of each stage
        marks.setdefault(line.split(":")[0], (time.perf_counter(), cpu_seconds()))

    pool = TaskPool.default()
    with tempfile.TemporaryDirectory() as scratch:
        workspace = Workspace(Path(scratch))
        tasks = list(build_plan(study, workspace).runs.values())
        images = sum(t.iterations * t.recipe.batch_size for t in tasks)
        workers_cpu = cpu_seconds(resource.RUSAGE_CHILDREN)
        run_study(study, workspace, pool, quiet=True, log=log)  # workers are reaped in the train stage
        workers_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - workers_cpu
        with workspace.store() as store:
            step_seconds = float(store.query("SELECT sum(seconds) AS s FROM runs")["s"].iloc[0])
    wall = marks["fit"][0] - marks["train"][0]
    cpu = workers_cpu + marks["fit"][1] - marks["train"][1]  # the workers' and the driver's
    return {"runs": len(tasks), "images": images, "workers": pool.workers,
            "threads_per_worker": pool.threads, "seconds": round(wall, 1),
            "images_per_s": images / wall, "images_per_cpu_s": images / cpu,
            "in_steps": step_seconds / (wall * pool.workers)}


def generation(peak: MatmulPeak) -> dict[str, object]:
    """The generation half (benchmarks/generation.py): every family in every process layout."""
    from generation import generation_rates

    return generation_rates(peak=peak)


def table(result: dict) -> str:
    single, study = result["single"], result["study"]
    peak = result["matmul_peak_gflops"]
    lines = [
        ("| how (mini_resnet, batch 64) | images/s | GFLOP/s | of the matmul peak | vs old default "
         "| images per CPU-second |"),
        "|---|---|---|---|---|---|"]
    old = single["rates"][f"{OLD_DEFAULT[0]}t-{OLD_DEFAULT[1]}"]
    for name, rate in single["rates"].items():
        threads, policy = name.split("-")
        label = f"one run, {threads[:-1]} thread(s), {policy}"
        if name == single["old_default"]:
            label += " (old default)"
        if name == single["best"]:
            label += " (best single process)"
        lines.append(_row(label, rate, result["mflops_per_image"], peak, old)
                     + f" {single['per_cpu_s'][name]:,.0f} |")
    lines.append(_row(f"study: {study['runs']} runs, {study['workers']} workers x "
                      f"{study['threads_per_worker']} thread, end to end", study["images_per_s"],
                      result["mflops_per_image"], peak, old) + f" {study['images_per_cpu_s']:,.0f} |")
    header = (f"Measured by `python benchmarks/study_throughput.py --write-doc` on "
              f"{datetime.date.today().isoformat()}: {cpu_name()}, {os.cpu_count()} logical CPUs, "
              f"all-core fp32 matmul peak {peak:.0f} GFLOP/s, {result['mflops_per_image']} MFLOP "
              "per training image; other processes kept "
              f"{result['other_processes_cores']:.2f} of the cores busy on average while it ran.")
    best = single["rates"][single["best"]]
    summary = (f"The study trained {study['images_per_s'] / best:.2f}x as many images per second "
               f"as the best single process and {study['images_per_s'] / old:.2f}x the old "
               f"default; its workers spent {study['in_steps']:.0%} of their time in training "
               "steps (the rest: start-up, evaluation, saving).")
    return "\n".join([header, "", *lines, "", summary, "", *generation_table(result), ""])


def generation_table(result: dict) -> list[str]:
    made = result["generation"]
    if not made:
        return []
    layouts = [k for k, v in made[next(iter(_families(made)))].items() if isinstance(v, dict)]
    title = ("Generation (CFG 2, images/s summed over a layout's processes; fraction of the "
             "matmul peak in brackets):")
    head = " | ".join(k.replace("_", " ") for k in layouts)
    lines = [title, "", f"| family | {head} | workers vs old default |",
             "|---" * (len(layouts) + 2) + "|"]
    for family in _families(made):
        row = made[family]
        cells = [f"{row[k]['images_per_s']:,.0f} ({row[k]['fraction_of_matmul_peak']:.0%})"
                 for k in layouts]
        lines.append(f"| {family} | " + " | ".join(cells) + f" | {row['workers_speedup']:.2f}x |")
    return lines


def _families(made: dict) -> list[str]:
    return [k for k, v in made.items() if isinstance(v, dict) and "mflops_per_image" in v]


def _row(label: str, rate: float, mflops: float, peak: float, old: float) -> str:
    gflops = rate * mflops / 1e3
    return f"| {label} | {rate:,.0f} | {gflops:.1f} | {gflops / peak:.0%} | {rate / old:.2f}x |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300, help="steps of each single run")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved rounds (best counts)")
    parser.add_argument("--seeds", default="0,1,2", help="seeds of the study's real curve (mini-full's)")
    parser.add_argument("--no-generation", action="store_true")
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--single", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        threads, iterations = args.single
        with torch_threads(threads):
            began = cpu_seconds()
            rate = train_rate(iterations)["images_per_s"]
            cpu = cpu_seconds() - began  # the model's creation and the first step included
        print(json.dumps({"images_per_s": rate, "images_per_cpu_s": iterations * recipe(iterations).batch_size / cpu}))
        return

    other = OtherCpu()
    cores = os.cpu_count() or 1
    flops = flops_per_image(recipe(args.iterations))
    peak = MatmulPeak()
    rates: dict[str, float] = {}
    cpu_rates: dict[str, float] = {}
    with torch_threads(cores):
        peak.sample()
    for _ in range(args.repeats):
        for threads, policy in SETTINGS:
            name = f"{threads}t-{policy}"
            measured = single_rate(threads, policy, args.iterations)
            rates[name] = max(rates.get(name, 0.0), measured["images_per_s"])
            cpu_rates[name] = max(cpu_rates.get(name, 0.0), measured["images_per_cpu_s"])
            with torch_threads(cores):
                peak.sample(1)
    study = study_rate([int(s) for s in args.seeds.split(",")])
    with torch_threads(cores):
        peak.sample()
    best = max(rates, key=rates.get)
    made = None if args.no_generation else generation(peak)  # samples the peak again
    old = f"{OLD_DEFAULT[0]}t-{OLD_DEFAULT[1]}"
    result = {
        "benchmark": "study_throughput", "cores": cores, "iterations": args.iterations,
        "mflops_per_image": round(flops / 1e6, 2), "matmul_peak_gflops": round(peak.gflops, 1),
        "single": {"rates": {k: round(v, 1) for k, v in rates.items()},
                   "per_cpu_s": {k: round(v, 1) for k, v in cpu_rates.items()}, "old_default": old,
                   "best": best,
                   "best_fraction_of_matmul_peak": round(rates[best] * flops / 1e9 / peak.gflops, 3)},
        "study": {**{k: round(v, 3) if isinstance(v, float) else v for k, v in study.items()},
                  "fraction_of_matmul_peak": round(study["images_per_s"] * flops / 1e9 / peak.gflops, 3),
                  "vs_best_single": round(study["images_per_s"] / rates[best], 2),
                  "vs_old_default": round(study["images_per_s"] / rates[old], 2)},
        "generation": made,
        "omp_wait_policy_of_study": os.environ.get("OMP_WAIT_POLICY", ""),
        "other_processes_cores": round(other.cores(), 3)}
    if args.write_doc:
        DOC.write_text(table(result))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
