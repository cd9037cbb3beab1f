"""Speed and memory of the mini generators at their default settings, with guidance (CFG 2).

Prints ONE JSON line: for each family, images/s (best of ``RUNS`` runs of ``IMAGES`` images: the
machine is shared, so the best run is the one least disturbed by other work), FLOPs per image,
the fraction of the machine's fp32 matmul peak that reaches (the peak measured here with a large
``torch.mm``); and the peak resident memory of the process, which streams 10,000 images through
each generator in chunks of 1,000 (nothing held). The 1-minute load average is reported too.

Under ``"layouts"`` (``generation_rates``, also imported by ``study_throughput.py``) the same
work in fresh processes, side by side in one run: one process with 2 threads (``PASSIVE``, the
old default, and ``ACTIVE``), one with 1 thread, and one single-threaded process per core at once
(the local engine's ``--workers`` layout), summed. ``--markdown FILE`` also writes that table.

    .venv/bin/python benchmarks/generation.py [--markdown docs/measured/generation-speed.md]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads OpenMP

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import torch
from machine import MatmulPeak, peak_rss_mb, timed

from synscale.generators import GENERATORS
from synscale.worlds.mini import CLASSES

FAMILIES = ("mini-pixel", "mini-latent", "mini-masked")
THREADS = 2
CFG = 2.0
IMAGES = 2048
RUNS = 3
STREAMED = 10_000
STREAM_CHUNK = 1000
LAYOUT_IMAGES = 2048  # per process and run
LAYOUT_RUNS = 2


def prompts_and_seeds(n: int, offset: int = 0) -> tuple[list[str], list[int]]:
    return [CLASSES[i % 10].name for i in range(n)], list(range(offset, offset + n))


def bench_family(name: str, peak: MatmulPeak) -> dict[str, object]:
    generator = GENERATORS.create(name)
    prompts, seeds = prompts_and_seeds(IMAGES)
    generator.generate(prompts[:256], seeds[:256], CFG)  # warm-up: allocator, oneDNN primitives
    best = float("inf")
    for _ in range(RUNS):
        peak.sample()
        best = min(best, timed(lambda: generator.generate(prompts, seeds, CFG)))
    flops = generator.sampler.flops(CFG)
    rate = IMAGES / best
    # Stream 10,000 images through, keeping only a hash of their bytes.
    digest = hashlib.sha256()
    for start in range(0, STREAMED, STREAM_CHUNK):
        p, s = prompts_and_seeds(STREAM_CHUNK, start)
        digest.update(generator.generate(p, s, CFG).numpy().tobytes())
    return {"images_per_s": round(rate, 1), "steps": generator.sampler_settings.steps,
            "guidance_stop": generator.sampler_settings.guidance_stop,
            "scheduler": generator.sampler_settings.scheduler,
            "mflops_per_image": round(flops / 1e6, 1), "gflops": round(rate * flops / 1e9, 1),
            "streamed_images": STREAMED, "streamed_sha256": digest.hexdigest()[:16]}


def layouts() -> dict[str, tuple[int, int, str]]:
    """Name -> (processes, threads each, OMP wait policy): the ways to spend this machine."""
    cores = os.cpu_count() or 1
    return {"one_process_2_threads_passive": (1, 2, "PASSIVE"),
            "one_process_2_threads_active": (1, 2, "ACTIVE"),
            "one_process_1_thread": (1, 1, "PASSIVE"),
            "workers": (cores, 1, "PASSIVE")}


def generation_rates(families: tuple[str, ...] = FAMILIES, images: int = LAYOUT_IMAGES,
                     runs: int = LAYOUT_RUNS, peak: MatmulPeak | None = None) -> dict[str, object]:
    """Images/s of each family in each layout (``layouts``), summed over a layout's processes,
    which start their timed runs together; each process's rate is ``runs`` x ``images`` over its
    whole timed window (no best-run pick, so summed side-by-side rates are not flattered). Also
    CPU seconds per 1,000 images (robust to other load), the fraction of the fp32 matmul peak
    (sampled between the layouts with every core) and the speedup of one single-threaded process
    per core (``workers``) over the old default (``one_process_2_threads_passive``)."""
    peak = peak or MatmulPeak()
    cores = os.cpu_count() or 1
    out: dict[str, object] = {"images_per_process_run": images, "runs": runs, "cores": cores,
                              "load_average_1min_start": round(os.getloadavg()[0], 2)}
    for family in families:
        row: dict[str, object] = {}
        for layout, (processes, threads, policy) in layouts().items():
            peak.sample()
            row[layout] = _side_by_side(family, processes, threads, policy, images, runs)
        flops = GENERATORS.create(family).sampler.flops(CFG)
        row["mflops_per_image"] = round(flops / 1e6, 1)
        out[family] = row
    peak.sample()
    out["matmul_peak_gflops"] = round(peak.gflops, 1)
    core = one_core_gflops_per_cpu_second()
    out["one_core_matmul_gflops_per_cpu_second"] = round(core, 1)
    for family in families:
        row = out[family]
        for layout in layouts():
            measured = row[layout]
            measured["fraction_of_matmul_peak"] = round(
                measured["images_per_s"] * row["mflops_per_image"] / 1e3 / peak.gflops, 3)
            # Per CPU-second, against one core's matmul per CPU-second: what other load on the
            # machine does not move as much (it takes cores away, not work per CPU-second).
            measured["fraction_of_core_matmul_per_cpu_second"] = round(
                row["mflops_per_image"] / measured["cpu_s_per_1000_images"] / core, 3)
        row["workers_speedup"] = round(row["workers"]["images_per_s"]
                                       / row["one_process_2_threads_passive"]["images_per_s"], 2)
    out["load_average_1min_end"] = round(os.getloadavg()[0], 2)
    return out


def one_core_gflops_per_cpu_second(runs: int = 5) -> float:
    """Best fp32 ``torch.mm`` (2048²) work per CPU-second with one thread."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
        torch.mm(a, b)
        best = float("inf")
        for _ in range(runs):
            start = time.process_time()
            torch.mm(a, b)
            best = min(best, time.process_time() - start)
    finally:
        torch.set_num_threads(previous)
    return 2 * 2048**3 / best / 1e9


def _side_by_side(family: str, processes: int, threads: int, policy: str, images: int,
                  runs: int) -> dict[str, object]:
    env = {**os.environ, "OMP_WAIT_POLICY": policy}
    children = [subprocess.Popen([sys.executable, __file__, "--process", family, str(threads),
                                  str(images), str(runs), str(k * images)], env=env,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                for k in range(processes)]
    for child in children:  # each has loaded torch and its generator and warmed up
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    measured = [json.loads(child.communicate("go\n")[0]) for child in children]
    done = runs * images * processes
    return {"processes": processes, "threads": threads, "omp_wait_policy": policy,
            "images_per_s": round(sum(runs * images / m["seconds"] for m in measured), 1),
            "cpu_s_per_1000_images": round(sum(m["cpu_seconds"] for m in measured) / done * 1e3, 3),
            "sha256": sorted({m["sha256"] for m in measured})}


def _one_process(family: str, threads: int, images: int, runs: int, offset: int) -> None:
    """A layout's process: warm up, say ready, wait for the go (all start together), time
    ``runs`` x ``images``."""
    torch.set_num_threads(threads)
    generator = GENERATORS.create(family)
    prompts, seeds = prompts_and_seeds(images, offset)
    generator.generate(prompts[:256], seeds[:256], CFG)
    print("ready", flush=True)
    sys.stdin.readline()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(runs):
        made = generator.generate(prompts, seeds, CFG)
    print(json.dumps({"seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu,
                      "sha256": hashlib.sha256(made.numpy().tobytes()).hexdigest()[:16]}))


def markdown(rates: dict[str, object], command: str) -> str:
    names = {"one_process_2_threads_passive": "1 process, 2 threads, `PASSIVE` (the default)",
             "one_process_2_threads_active": "1 process, 2 threads, `ACTIVE`",
             "one_process_1_thread": "1 process, 1 thread",
             "workers": f"{rates['cores']} processes, 1 thread each"}
    families = [f for f in FAMILIES if f in rates]
    lines = [(f"<!-- made by: `{command}` ({time.strftime('%Y-%m-%d')}, {rates['cores']} CPU cores, load average "
             f"{rates['load_average_1min_start']} at the start, {rates['load_average_1min_end']} "
             "at the end) -->"), "",
             "| layout | " + " | ".join(f"`{f}` images/s (of peak; per CPU-s)" for f in families) + " |",
             "|---|" + "---|" * len(families)]
    for layout, label in names.items():
        cells = [f"{rates[f][layout]['images_per_s']:,.0f} ({rates[f][layout]['fraction_of_matmul_peak']:.2f}; "
                 f"{rates[f][layout]['fraction_of_core_matmul_per_cpu_second']:.2f})" for f in families]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| processes / default | " + " | ".join(
        f"**{rates[f]['workers_speedup']:.2f}x**" for f in families) + " |")
    lines += ["", (f"CFG 2, default sampler settings, {rates['runs']} x "
                   f"{rates['images_per_process_run']:,} images per process, processes started "
                   f"together; fp32 matmul peak {rates['matmul_peak_gflops']} GFLOP/s (2048² "
                   "`torch.mm`, every core, sampled between the layouts); one core's matmul "
                   f"{rates['one_core_matmul_gflops_per_cpu_second']} GFLOP per CPU-second. "
                   "In brackets: the fraction of that peak the images/s reach; then the FLOPs "
                   "done per CPU-second as a fraction of one core's matmul per CPU-second (less "
                   "moved by other load). MFLOPs per image: "
                   + ", ".join(f"`{f}` {rates[f]['mflops_per_image']:g}" for f in families) + ".")]
    return "\n".join(lines) + "\n"


def main() -> None:
    if sys.argv[1:2] == ["--process"]:
        family, threads, images, runs, offset = sys.argv[2:7]
        _one_process(family, int(threads), int(images), int(runs), int(offset))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", default=None, help="Also write the layouts table to this file.")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    peak = MatmulPeak()
    result: dict[str, object] = {"benchmark": "generation", "threads": THREADS, "cfg": CFG,
                                 "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
                                 "images_per_run": IMAGES, "runs": RUNS, "statistic": "best run",
                                 "load_average_1min": round(os.getloadavg()[0], 2)}
    for name in FAMILIES:
        result[name] = bench_family(name, peak)
    peak.sample()
    result["matmul_peak_gflops"] = round(peak.gflops, 1)
    for name in FAMILIES:
        family = result[name]
        family["fraction_of_matmul_peak"] = round(family["gflops"] / peak.gflops, 3)
    # Peak resident memory of this whole process: both models, timing runs, 2 x 10,000 streamed.
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    result["layouts"] = generation_rates(peak=peak)
    if args.markdown:
        command = "python benchmarks/generation.py " + " ".join(sys.argv[1:])
        Path(args.markdown).write_text(markdown(result["layouts"], command.strip()))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
