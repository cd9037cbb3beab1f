"""Commands that train classifiers and show stored results: train, results."""

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
    parse_ints,
    print_json,
    print_table,
)


@app.command()
def train(
    world: Annotated[str | None, typer.Option(help="World name (see `synscale worlds`).")] = None,
    data: Annotated[str | None, typer.Option(help="Training data: real, or a synthetic dataset.")] = None,
    scales: Annotated[str | None, typer.Option(help="Comma-separated dataset sizes D.")] = None,
    seed: Annotated[int | None, typer.Option(help="Run seed (subsets, init, data order).")] = None,
    model: Annotated[str | None, typer.Option(help="Classifier (timm name or mini_resnet/mini_vit).")] = None,
    root: Annotated[Path | None, typer.Option(help="Data root of worlds that read user data.")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML file of a CurveConfig.")] = None,
    set_: SetOpt = None,
    workspace: WorkspaceOpt = Path("workspace"),
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Train a scaling curve: one classifier per scale on nested subsets; skip stored runs."""
    from synscale.config import load_config
    from synscale.train.runs import CurveConfig, run_curve
    from synscale.workspace import Workspace

    flags = {"world": world, "data": data, "seed": seed, "scales": parse_ints(scales, "--scales"),
             "world_root": str(root) if root else None, "recipe": {"model": model} if model else None}
    curve = load_config(CurveConfig, config, set_, {k: v for k, v in flags.items() if v is not None})
    rows = []
    for record in run_curve(curve, Workspace(workspace), quiet=quiet or json_):
        summary = record.summary()
        if json_:
            print_json(summary)
        rows.append({k: summary[k] for k in ("data", "model", "scale", "seed", "iterations",
                                             "val_loss", "val_top1", "train_images_per_s")}
                    | {f"{k}_top1": v["top1"] for k, v in summary["ood"].items()})
    if not json_:
        print_table(rows, f"runs ({workspace})")


@app.command()
def results(workspace: WorkspaceOpt = Path("workspace"),
            csv: Annotated[Path | None, typer.Option(help="Also write the table to CSV.")] = None,
            table: Annotated[str, typer.Option(help="A table or view of the store: runs, set_metrics, "
                                                    "class_metrics, fits, datasets, dataset_metrics, "
                                                    "class_fits, exchange_rates, study_grid, study_fits, "
                                                    "...")] = "runs",
            ) -> None:
    """Print the stored results of a workspace as a table."""
    from synscale.workspace import Workspace

    with Workspace(workspace, create=False).store() as store:
        frame = store.runs() if table == "runs" else store.table(table)
    if csv:
        frame.to_csv(csv, index=False)
    print_table(frame.to_dict("records"), f"{table} ({workspace})")
