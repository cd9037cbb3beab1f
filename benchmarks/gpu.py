"""GPU checks for whoever has a GPU. Prints ONE JSON line; without CUDA it prints a skip line and
exits 0.

- ``train``: classifier training through synscale's trainer (``train_classifier``) on random
  224x224 images: images/s and peak CUDA memory, in fp32 and with bf16 autocast (the default on
  CUDA), for ``--model`` (default ``vit_base_patch16_224``, the paper's classifier), batch
  ``--batch``; a short warm-up run first (cuDNN autotuning, allocator);
- ``generate`` (with ``--pipeline DIR``, a local diffusers text-to-image pipeline): images/s of
  the pipeline out of the box (fp32, one image per call) against synscale's own settings
  (``synscale generate --generator diffusers`` with float16, ``--chunk`` images per call; PyTorch's
  SDPA attention is diffusers' default), on the same prompts, ``--images`` images each.

    .venv/bin/python benchmarks/gpu.py [--model vit_base_patch16_224] [--batch 64] [--steps 30]
                                       [--pipeline /models/stable-diffusion-v1-5] [--images 16]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time

import torch

from synscale.data.datasets import LabeledImages
from synscale.train.classifier import TrainRecipe, train_classifier
from synscale.train.schedule import Schedule
from synscale.train.setup import TrainSetup


def train_rate(model: str, batch: int, steps: int, precision: str) -> dict[str, float]:
    """Images/s and peak memory of ``steps`` training steps on random images."""
    g = torch.Generator().manual_seed(0)
    n = batch * 4
    images = LabeledImages(torch.randint(0, 256, (n, 3, 224, 224), generator=g, dtype=torch.uint8),
                           torch.randint(0, 1000, (n,), generator=g), "random")
    fixed = Schedule(small_iterations=steps, large_iterations=steps, min_iterations=steps)
    recipe = TrainRecipe(model=model, augment="imagenet", batch_size=batch, schedule=fixed)
    setup = TrainSetup(device="cuda", precision=precision, checkpoint_every=0)
    torch.cuda.reset_peak_memory_stats()
    _, stats = train_classifier(images, 1000, recipe, 0, True, setup)
    return {"images_per_s": round(stats.images_per_s, 1),
            "peak_memory_gb": round(torch.cuda.max_memory_allocated() / 2**30, 2)}


def out_of_the_box(pipeline: str, prompts: list[str]) -> float:
    """diffusers as its README runs it: fp32, one image per call, default scheduler."""
    from diffusers import AutoPipelineForText2Image

    pipe = AutoPipelineForText2Image.from_pretrained(pipeline, use_safetensors=True).to("cuda")
    pipe.set_progress_bar_config(disable=True)
    pipe(prompts[0], generator=torch.Generator().manual_seed(0))  # warm-up
    torch.cuda.synchronize()
    start = time.perf_counter()
    for i, prompt in enumerate(prompts):
        pipe(prompt, generator=torch.Generator().manual_seed(i))
    torch.cuda.synchronize()
    return len(prompts) / (time.perf_counter() - start)


def synscale_rate(pipeline: str, images: int, chunk: int) -> float:
    """``synscale generate`` with float16 and batched calls, as the docs recommend on GPUs."""
    with tempfile.TemporaryDirectory() as workspace:
        out = subprocess.run(
            [sys.executable, "-m", "synscale", "generate", "--world", "imagenet", "--generator",
             "diffusers", "--cfg", "7.5", "--prompts", "classname", "--per-class", "1",
             "--set", f"classes=[{','.join(str(c) for c in range(images))}]", "--quiet", "--json",
             "--set", f"generator_options.model={pipeline}", "--set", "generator_options.dtype=float16",
             "--set", "generator_options.device=cuda", "--set", f"generator_options.chunk={chunk}",
             "--set", f"batch_size={chunk}", "-w", workspace],
            check=True, capture_output=True, text=True)
    return float(json.loads(out.stdout.strip().splitlines()[-1])["images_per_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vit_base_patch16_224")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--pipeline", help="a local diffusers text-to-image pipeline folder")
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--chunk", type=int, default=8)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"benchmark": "gpu", "skipped": "no CUDA device "
                          "(torch.cuda.is_available() is False); run it on a GPU machine"}))
        return
    result: dict[str, object] = {"benchmark": "gpu", "device": torch.cuda.get_device_name(),
                                 "torch": torch.__version__}
    train_rate(args.model, args.batch, 5, "bf16")  # warm-up
    result["train"] = {"model": args.model, "batch": args.batch, "steps": args.steps,
                       "fp32": train_rate(args.model, args.batch, args.steps, "fp32"),
                       "bf16": train_rate(args.model, args.batch, args.steps, "bf16")}
    if args.pipeline:
        from synscale.worlds.imagenet import imagenet_classes

        prompts = [c.name for c in imagenet_classes()[:args.images]]
        base = out_of_the_box(args.pipeline, prompts)
        ours = synscale_rate(args.pipeline, args.images, args.chunk)
        result["generate"] = {"pipeline": args.pipeline, "images": args.images,
                              "out_of_the_box_fp32_batch1_images_per_s": round(base, 3),
                              "synscale_fp16_chunk_images_per_s": round(ours, 3),
                              "chunk": args.chunk, "speedup": round(ours / base, 2)}
    else:
        result["generate"] = {"skipped": "give --pipeline DIR (a local diffusers pipeline)"}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
