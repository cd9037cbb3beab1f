"""CLIP training throughput of the mini world's CLIP as ``synscale clip train`` runs it.
Prints ONE JSON line:

- ``pairs_per_s``: training pairs per second of one run on the web pool's captions (real images),
  best of ``--repeats`` runs of ``--steps`` steps, at the thread count given (``--threads``);
- ``flops_per_pair``: forward + backward FLOPs per pair (torch's FLOP counter);
- ``matmul_peak_fraction``: the achieved FLOP rate over the best fp32 matmul rate seen in the same
  process at the same thread count (sampled between the runs, so both are best cases of the same
  conditions on a shared machine);
- ``cpu_seconds_per_1k_pairs``: process CPU time per 1,000 pairs (comparable under load).

    .venv/bin/python benchmarks/clip_training.py [--steps 20] [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from machine import MatmulPeak
from torch.utils.flop_counter import FlopCounterMode

from synscale.clip.models import create_clip, default_model, get_tokenizer
from synscale.clip.pairs import load_pairs
from synscale.clip.train import ClipBatchSource, ClipRecipe, image_norm, prepare_images, train_clip
from synscale.worlds import get_world


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    world = get_world("mini")
    name = default_model("mini")
    recipe = ClipRecipe(model=name, epochs=1)
    pairs = load_pairs(world, "web")
    count = min(args.steps * recipe.batch_size, len(pairs))  # one epoch = about ``steps`` steps
    tokens = get_tokenizer(name)(pairs.captions[:count])
    data = ClipBatchSource(tokens, pairs.images.load(range(count)), None)

    peak = MatmulPeak()
    rates, cpu = [], []
    for repeat in range(args.repeats):
        peak.sample()
        torch.manual_seed(repeat)
        c0 = time.process_time()
        stats = train_clip(create_clip(name), data, recipe, seed=repeat, quiet=True)
        cpu.append((time.process_time() - c0) / count * 1000)
        rates.append(stats.pairs_per_s)
    peak.sample()

    model = create_clip(name).train()
    batch = torch.arange(recipe.batch_size)
    mean, std = image_norm(model)
    with FlopCounterMode(display=False) as counter:
        image, text, scale = model(prepare_images(data.real[batch], mean, std), tokens[batch])
        ((image @ text.T) * scale).logsumexp(1).mean().backward()
    flops = counter.get_total_flops() / recipe.batch_size
    best = max(rates)
    print(json.dumps({"benchmark": "clip_training", "model": name, "threads": args.threads,
                      "batch_size": recipe.batch_size, "steps": args.steps,
                      "pairs_per_s": round(best, 1), "flops_per_pair": round(flops),
                      "matmul_peak_gflops": round(peak.gflops, 1),
                      "matmul_peak_fraction": round(best * flops / 1e9 / peak.gflops, 4),
                      "cpu_seconds_per_1k_pairs": round(min(cpu), 3)}))


if __name__ == "__main__":
    main()
