"""Quality of the mini generators against guidance: recognizability and diversity (synscale.metrics,
the paper's definitions) of 50 images per class at each CFG in {1, 1.5, 2, 3, 4, 6, 8} (or
``--cfgs``), for each family and prompt strategy asked for, scored by the reference classifier
(trained once on the real ``train`` pool and cached in the workspace). Also the real ``val``
pool, as the ceiling.

Prints ONE JSON line. About a minute per family and strategy on 2 cores, plus the reference
classifier's training the first time.

    .venv/bin/python benchmarks/generation_quality.py [--strategies classname,clip_templates_80]
        [--families mini-pixel,mini-latent,mini-masked] [--cfgs 1,2,4] [--workspace workspace/bench]
        [--grid-dir docs/img] [--option guidance_stop=0] [--markdown docs/measured/NAME.md]

``--markdown FILE`` also writes the table (one row per family and strategy, recognizability /
diversity at each CFG) with the command, date and load that made it, for docs/measured/.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads OpenMP

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import yaml
from machine import made_by

from synscale.data.datasets import LabeledImages
from synscale.generators import GENERATORS
from synscale.metrics.measure import measure_images
from synscale.prompts import get_strategy
from synscale.train.reference import reference_classifier
from synscale.workspace import Workspace
from synscale.worlds import get_world

CFGS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
PER_CLASS = 50
SEED = 0


def strategy_prompts(world, strategy_name: str) -> tuple[list[str], torch.Tensor]:
    strategy = get_strategy(strategy_name)
    strategy.prepare(world)
    prompts, labels = [], []
    for cls in world.classes:
        prompts += strategy.prompts(cls, world, PER_CLASS, SEED)
        labels += [cls.id] * PER_CLASS
    return prompts, torch.tensor(labels)


def save_grid(images: torch.Tensor, path: Path, per_class: int = 4) -> None:
    """``per_class`` rows of the ten classes (images are ordered class by class)."""
    from PIL import Image

    chosen = images.view(10, -1, 16, 16)[:, :per_class]  # [class, k, H, W]
    grid = chosen.permute(1, 2, 0, 3).reshape(per_class * 16, 10 * 16).numpy()
    Image.fromarray(grid).resize((10 * 16 * 3, per_class * 16 * 3), Image.NEAREST).save(path)


def markdown(result: dict[str, object], cfgs: list[float]) -> str:
    lines = [result["made_by"], "",
             "| family | prompts | " + " | ".join(f"CFG {c:g} rec. / div." for c in cfgs) + " |",
             "|---|---|" + "---|" * len(cfgs)]
    for key, value in result.items():
        if isinstance(value, dict) and "table" in value:
            family, strategy = key.split("/", 1)
            cells = [f"{r['recognizability']:.3f} / {r['diversity']:.3f}" for r in value["table"]]
            lines.append(f"| {family} | `{strategy}` | " + " | ".join(cells) + " |")
    real = result["real_val"]
    lines += ["", (f"Real `val` images: recognizability {real['recognizability']:.3f}, diversity "
              f"{real['diversity']:.3f}.")]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default="mini-pixel,mini-latent,mini-masked")
    parser.add_argument("--strategies", default="classname")
    parser.add_argument("--workspace", default="workspace/bench")
    parser.add_argument("--cfgs", default=",".join(f"{c:g}" for c in CFGS))
    parser.add_argument("--grid-dir", default=None, help="Save a sample grid per family and CFG.")
    parser.add_argument("--markdown", default=None, help="Also write the table to this file.")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="A sampler option of every family (e.g. guidance_stop=0), repeatable.")
    args = parser.parse_args()
    options = {key: yaml.safe_load(value) for key, value in (o.split("=", 1) for o in args.option)}
    torch.set_num_threads(2)
    world = get_world("mini")
    reference = reference_classifier(world, Workspace(args.workspace), quiet=True)
    val = world.pool("val")
    real = measure_images(val, world, reference, ["recognizability", "diversity"])
    result: dict[str, object] = {"benchmark": "generation_quality", "per_class": PER_CLASS,
                                 "seed": SEED, "real_val": {k: round(real[k], 4) for k in
                                                            ("recognizability", "diversity")},
                                 "options": options}
    cfgs = [float(c) for c in args.cfgs.split(",")]
    for name in args.families.split(","):
        generator = GENERATORS.create(name, **options)
        for strategy in args.strategies.split(","):
            prompts, labels = strategy_prompts(world, strategy)
            seeds = list(range(len(prompts)))
            rows = []
            for cfg in cfgs:
                images = generator.generate(prompts, seeds, cfg)
                scored = measure_images(LabeledImages(images, labels, f"{name}-cfg{cfg}"), world,
                                        reference, ["recognizability", "diversity"])
                rows.append({"cfg": cfg, "recognizability": round(scored["recognizability"], 4),
                             "diversity": round(scored["diversity"], 4)})
                if args.grid_dir and strategy == "classname":
                    save_grid(images, Path(args.grid_dir) / f"{name}-cfg{cfg:g}.png")
            best = max(rows, key=lambda r: r["recognizability"])
            rec = np.array([r["recognizability"] for r in rows])
            div = np.array([r["diversity"] for r in rows])
            result[f"{name}/{strategy}"] = {
                "table": rows, "best_cfg": best["cfg"],
                "best_recognizability": best["recognizability"],
                # The paper's trade-off, counted over the steps between neighbouring CFGs.
                "recognizability_rises_steps": int((np.diff(rec) >= 0).sum()),
                "diversity_falls_steps": int((np.diff(div) < 0).sum()), "steps": len(cfgs) - 1}
    result["made_by"] = made_by()  # the load average of the run's last minute
    if args.markdown:
        Path(args.markdown).write_text(markdown(result, cfgs))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
