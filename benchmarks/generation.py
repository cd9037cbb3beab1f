"""Speed and memory of the mini generators at their default settings, with guidance (CFG 2).

Prints ONE JSON line: for each family, images/s (best of ``RUNS`` runs of ``IMAGES`` images: the
machine is shared, so the best run is the one least disturbed by other work), FLOPs per image,
the fraction of the machine's fp32 matmul peak that reaches (the peak measured here with a large
``torch.mm``); and the peak resident memory of the process, which streams 10,000 images through
each generator in chunks of 1,000 (nothing held). The 1-minute load average is reported too.

    .venv/bin/python benchmarks/generation.py    # OMP_WAIT_POLICY=ACTIVE: dedicated-machine speed
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads OpenMP

import hashlib
import json

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


def main() -> None:
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
    print(json.dumps(result))


if __name__ == "__main__":
    main()
