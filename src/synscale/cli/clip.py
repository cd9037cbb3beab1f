"""``synscale clip``: CLIP on real, synthetic and mixed image-text pairs (docs/clip.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synscale.cli.app import (
    JsonOpt,
    QuietOpt,
    SetOpt,
    WorkspaceOpt,
    app,
    out,
    parse_ints,
    print_json,
    print_table,
)

clip_app = typer.Typer(no_args_is_help=True,
                       help="CLIP on real, synthetic and mixed pairs, zero-shot evaluation (paper 5).")
app.add_typer(clip_app, name="clip")

WorldOpt = Annotated[str, typer.Option(help="World name.")]
PairsOpt = Annotated[str, typer.Option(help="Pair set: web (mini), wds:<folder of shards>, "
                                            "table:<file.parquet|csv of path, caption>.")]
RootOpt = Annotated[Path | None, typer.Option(help="Data root of worlds that read user data.")]


@clip_app.command("pairs", epilog="Example: synscale clip pairs --pairs web --show 3")
def pairs(world: WorldOpt = "mini", pairs: PairsOpt = "web", root: RootOpt = None,
          show: Annotated[int, typer.Option(help="Captions to print.")] = 5,
          json_: JsonOpt = False) -> None:
    """Describe a pair set: how many captions, where from, the first few."""
    from synscale.clip.pairs import load_pairs
    from synscale.worlds import get_world

    found = load_pairs(get_world(world, root=str(root) if root else None), pairs)
    summary = {"pairs": found.name, "captions": len(found), "identity": found.identity,
               "first": [{"id": i, "caption": c} for i, c in zip(found.ids[:show], found.captions[:show])]}
    if json_:
        print_json(summary)
    else:
        out.print(f"{found.name}: {len(found)} captions ({found.identity})")
        print_table(summary["first"], "first captions")


@clip_app.command("generate", epilog="Example: synscale clip generate --pairs web --generator mini-pixel --cfg 1.5 -w ws")
def generate(
    world: WorldOpt = "mini",
    pairs: PairsOpt = "web",
    root: RootOpt = None,
    generator: Annotated[str, typer.Option(help="Text-to-image generator.")] = "mini-pixel",
    cfg: Annotated[float, typer.Option(min=0, help="Classifier-free guidance (the paper: 1.5).")] = 1.5,
    steps: Annotated[int | None, typer.Option(min=1, help="Sampling steps (default: the generator's).")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Dataset seed (per-image seeds).")] = 0,
    threads: Annotated[int | None, typer.Option(min=1, help="Torch threads.")] = None,
    workspace: WorkspaceOpt = Path("workspace"),
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """One synthetic image per caption of a pair set (the generation job: shards, manifest, resume)."""
    from synscale.clip.synthetic import SyntheticPairsConfig, make_synthetic_pairs
    from synscale.engine import make_engine
    from synscale.workspace import Workspace

    config = SyntheticPairsConfig(world, str(root) if root else None, pairs, generator, None, cfg,
                                  steps, seed)
    report = make_synthetic_pairs(config, Workspace(workspace), make_engine("local", None, None, threads),
                                  quiet=quiet or json_)
    summary = report.as_dict()
    if json_:
        print_json(summary | {"dataset": report.path.name})
    else:
        out.print(f"{report.path.name}: {report.images} synthetic pairs ({report.made_shards} shards "
                  f"made, {report.kept_shards} kept); train with --data syn:{report.path.name} "
                  f"or --data mix:{report.path.name}")


@clip_app.command("train", epilog="Example: synscale clip train --data real --scales 500,1000 -w ws")
def train(
    world: Annotated[str | None, typer.Option(help="World name.", show_default="mini")] = None,
    data: Annotated[str | None, typer.Option(
        help="real, syn:<synthetic pair set> or mix:<synthetic pair set>.", show_default="real")] = None,
    pairs: Annotated[str | None, typer.Option(help="Pair set (web, wds:<root>, table:<file>).",
                                              show_default="web")] = None,
    scales: Annotated[str | None, typer.Option(help="Comma-separated numbers of captions.")] = None,
    seed: Annotated[int | None, typer.Option(help="Run seed (captions subset, init, order, draws).")] = None,
    mix_p: Annotated[float | None, typer.Option(help="mix: chance of the synthetic image per draw.",
                                                show_default="0.5")] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs at every scale.", show_default="32")] = None,
    templates: Annotated[str | None, typer.Option(help="Zero-shot templates: 80 or 7.",
                                                  show_default="80")] = None,
    model: Annotated[str | None, typer.Option(help="open_clip config name.",
                                              show_default="the world's")] = None,
    root: RootOpt = None,
    downstream: Annotated[list[Path] | None, typer.Option(
        help="A labelled image folder (one sub-folder per class, named by the class) to score "
             "zero-shot with its own class names; repeatable.")] = None,
    threads: Annotated[int | None, typer.Option(min=1, help="Torch threads while training.",
                                                show_default="torch's")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML file of a ClipCurveConfig.")] = None,
    set_: SetOpt = None,
    workspace: WorkspaceOpt = Path("workspace"),
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Train one CLIP per scale (captions) on nested subsets; zero-shot on val and every OOD set."""
    from synscale.clip.runs import ClipCurveConfig, run_clip_curve
    from synscale.config import load_config
    from synscale.workspace import Workspace

    recipe = {k: v for k, v in {"epochs": epochs, "model": model}.items() if v is not None}
    flags = {"world": world, "data": data, "pairs": pairs, "seed": seed, "mix_p": mix_p,
             "templates": templates, "scales": parse_ints(scales, "--scales"),
             "world_root": str(root) if root else None, "recipe": recipe or None,
             "downstream": [str(p) for p in downstream] if downstream else None}
    curve = load_config(ClipCurveConfig, config, set_, {k: v for k, v in flags.items() if v is not None})
    rows = []
    for record in run_clip_curve(curve, Workspace(workspace), quiet or json_, threads):
        summary = record.summary()
        if json_:
            print_json(summary)
        rows.append({k: summary[k] for k in ("data", "scale", "seed", "iterations", "train_loss",
                                             "val_loss", "val_top1", "pairs_per_s")}
                    | {k: v for k, v in summary.items() if k.endswith("_top1") and k != "val_top1"})
    if not json_:
        print_table(rows, f"CLIP runs ({workspace})")


@clip_app.command("fit", epilog="Example: synscale clip fit -w ws")
def fit(workspace: WorkspaceOpt = Path("workspace"), json_: JsonOpt = False) -> None:
    """Fit every stored CLIP curve (zero-shot loss and top-1 error, each set): Figure 8."""
    from synscale.clip.curves import fit_clip_curves
    from synscale.workspace import Workspace

    with Workspace(workspace, create=False).store() as store:
        rows = fit_clip_curves(store)
    if json_:
        for row in rows:
            print_json(row)
    else:
        print_table(rows, f"CLIP fits ({workspace})")


@clip_app.command("table", epilog="Example: synscale clip table -w ws --csv clip.csv")
def table(workspace: WorkspaceOpt = Path("workspace"),
          csv: Annotated[Path | None, typer.Option(help="Also write the table to CSV.")] = None,
          json_: JsonOpt = False) -> None:
    """Zero-shot top-1 on every set x scale x data (Table 1's analogue)."""
    from synscale.clip.curves import top1_table
    from synscale.workspace import Workspace

    with Workspace(workspace, create=False).store() as store:
        frame = top1_table(store)
    if csv:
        frame.to_csv(csv, index=False)
    if json_:
        for row in frame.to_dict("records"):
            print_json(row)
    else:
        print_table(frame.to_dict("records"), f"zero-shot top-1 ({workspace})")
