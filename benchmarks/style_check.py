"""The mini generators after the web pool: quality against guidance, style control, and the style
mix of the 80 CLIP templates.

For each family: recognizability and diversity (the reference classifier trained on real
``train``) and the style shares (the style probe trained on the web pool's style labels) of 50
images per class, seeds 0..499,

1. with ``classname`` prompts at each CFG in ``--cfgs`` (the trade-off table);
2. at the family's best CFG (highest ``classname`` recognizability; the lowest such CFG on a
   tie), with the style prompts "a sketch of a <digit>", "a rendering of a <digit>" and
   "<digit>": the share of images in the asked style;
3. at the same CFG with ``clip_templates_80`` prompts: their style mix, next to ``classname``.

Prints ONE JSON line; ``--markdown FILE`` also writes the tables that docs/generation.md shows,
``--grid-dir DIR`` a sample grid per family and style prompt. About 10 minutes on 2 idle cores.

    .venv/bin/python benchmarks/style_check.py --markdown docs/style-tables.md --grid-dir docs/img
        [--families mini-pixel,mini-latent,mini-masked] [--weights-root DIR] [--workspace workspace/bench]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads OpenMP

import argparse
import json
from pathlib import Path

import torch
from generation_quality import save_grid, strategy_prompts
from machine import made_by

from synscale.data.datasets import LabeledImages
from synscale.generators import GENERATORS
from synscale.metrics.measure import measure_images
from synscale.metrics.style import style_probe
from synscale.train.reference import reference_classifier
from synscale.workspace import Workspace
from synscale.worlds import get_world

CFGS = (0.0, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
PER_CLASS = 50
STYLE_PROMPTS = {"sketch": "a sketch of a {}", "rendition": "a rendering of a {}",
                 "handwritten": "{}"}


def score(images: torch.Tensor, labels: torch.Tensor, world, reference, probe) -> dict[str, float]:
    scored = measure_images(LabeledImages(images, labels, "check"), world, reference,
                            ["recognizability", "diversity"])
    return {"recognizability": round(scored["recognizability"], 4),
            "diversity": round(scored["diversity"], 4),
            **{f"share_{s}": round(v, 4) for s, v in probe.shares(images).items()}}


def check_family(name: str, options: dict, cfgs: list[float], world, reference, probe,
                 grid_dir: Path | None) -> dict[str, object]:
    generator = GENERATORS.create(name, **options)
    prompts, labels = strategy_prompts(world, "classname")
    seeds = list(range(len(prompts)))
    # 1. The CFG trade-off with class-name prompts.
    table = [{"cfg": cfg, **score(generator.generate(prompts, seeds, cfg), labels, world,
                                  reference, probe)} for cfg in cfgs]
    best = max(table, key=lambda r: (r["recognizability"], -r["cfg"]))
    cfg = best["cfg"]
    # 2. Style prompts at the best CFG.
    styles = {}
    for style, template in STYLE_PROMPTS.items():
        styled = [template.format(world.classes[int(c)].name) for c in labels]
        images = generator.generate(styled, seeds, cfg)
        row = score(images, labels, world, reference, probe)
        styles[style] = {"prompt": template.format("<digit>"), **row,
                         "asked_style_share": row[f"share_{style}"]}
        if grid_dir is not None:
            save_grid(images, grid_dir / f"{name}-style-{style}.png")
    # 3. The 80 CLIP templates at the best CFG.
    template_prompts, template_labels = strategy_prompts(world, "clip_templates_80")
    templates = score(generator.generate(template_prompts, seeds, cfg), template_labels, world,
                      reference, probe)
    return {"weights_sha256": generator.settings()["weights_sha256"][:16],
            "train_steps": generator.record["train"]["steps"], "table": table, "best_cfg": cfg,
            "styles": styles, "clip_templates_80": templates,
            "classname_at_best": best}


def cfg_table(result: dict[str, object], families: list[str]) -> list[str]:
    """Recognizability and diversity of ``classname`` images at each CFG, the best CFG in bold."""
    lines = ["| CFG | " + " | ".join(f"{f} recognizability | {f} diversity" for f in families) + " |",
             "|---|" + "---|---|" * len(families)]
    tables = {f: {r["cfg"]: r for r in result[f]["table"]} for f in families}
    for cfg in sorted({c for t in tables.values() for c in t}):
        cells = []
        for f in families:
            row = tables[f].get(cfg)
            mark = "**" if result[f]["best_cfg"] == cfg else ""
            cells += ([f"{mark}{row['recognizability']:.3f}{mark}", f"{row['diversity']:.3f}"]
                      if row else ["", ""])
        lines.append(f"| {cfg:g} | " + " | ".join(cells) + " |")
    return lines


def markdown(result: dict[str, object], families: list[str]) -> str:
    lines = [result["made_by"], "",
             "Style probe accuracy on sets it never saw: " + ", ".join(
                 f"`{k}` {v:.3f}" for k, v in result["probe_held_out"].items()) + ".", "",
             *cfg_table(result, families)]
    lines += ["", ("| family (best CFG) | prompt | in the asked style | handwritten | rendition | "
              "sketch | recognizability | diversity |"), "|---|---|---|---|---|---|---|---|"]
    for f in families:
        for row in result[f]["styles"].values():
            lines.append(f"| {f} ({result[f]['best_cfg']:g}) | `{row['prompt']}` | "
                         f"**{row['asked_style_share']:.3f}** | {row['share_handwritten']:.3f} | "
                         f"{row['share_rendition']:.3f} | {row['share_sketch']:.3f} | "
                         f"{row['recognizability']:.3f} | {row['diversity']:.3f} |")
    lines += ["", ("| family (best CFG) | prompts | handwritten | rendition | sketch | "
              "recognizability | diversity |"), "|---|---|---|---|---|---|---|"]
    for f in families:
        for label, row in (("classname", result[f]["classname_at_best"]),
                           ("clip_templates_80", result[f]["clip_templates_80"])):
            lines.append(f"| {f} ({result[f]['best_cfg']:g}) | `{label}` | "
                         f"{row['share_handwritten']:.3f} | {row['share_rendition']:.3f} | "
                         f"{row['share_sketch']:.3f} | {row['recognizability']:.3f} | "
                         f"{row['diversity']:.3f} |")
    return "\n".join(lines) + "\n"


def tradeoff_markdown(result: dict[str, object], families: list[str]) -> str:
    """The README's CFG trade-off table: the CFG table of ``families`` alone."""
    return (f"{result['made_by']}\n\n`classname` prompts, 50 images per class, seeds "
            "0-499; recognizability by the reference classifier trained on real `train`; the best "
            "CFG in bold.\n\n" + "\n".join(cfg_table(result, families)) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default="mini-pixel,mini-latent,mini-masked")
    parser.add_argument("--cfgs", default=",".join(f"{c:g}" for c in CFGS))
    parser.add_argument("--weights-root", default=None,
                        help="Folder with <family>/ weights to check instead of the shipped ones.")
    parser.add_argument("--workspace", default="workspace/bench")
    parser.add_argument("--markdown", default=None)
    parser.add_argument("--grid-dir", default=None)
    parser.add_argument("--tradeoff-markdown", default=None,
                        help="Also write the CFG table of --tradeoff-families to this file.")
    parser.add_argument("--tradeoff-families", default="mini-pixel,mini-latent")
    args = parser.parse_args()
    torch.set_num_threads(2)
    world = get_world("mini")
    workspace = Workspace(args.workspace)
    reference = reference_classifier(world, workspace, quiet=True)
    probe = style_probe(world, workspace, quiet=True)
    families = args.families.split(",")
    cfgs = [float(c) for c in args.cfgs.split(",")]
    grid_dir = Path(args.grid_dir) if args.grid_dir else None


    result: dict[str, object] = {"benchmark": "style_check", "per_class": PER_CLASS,
                                 "probe_held_out": probe.held_out}
    for name in families:
        options = ({"weights": str(Path(args.weights_root) / name.removeprefix("mini-"))}
                   if args.weights_root else {})
        result[name] = check_family(name, options, cfgs, world, reference, probe, grid_dir)
    result["made_by"] = made_by()  # the load average of the run's last minute
    if args.markdown:
        Path(args.markdown).write_text(markdown(result, families))
    if args.tradeoff_markdown:
        chosen = [f for f in args.tradeoff_families.split(",") if f in families]
        Path(args.tradeoff_markdown).write_text(tradeoff_markdown(result, chosen))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
