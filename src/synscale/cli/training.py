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
    choices,
    parse_ints,
    print_json,
    print_table,
)


@app.command(epilog="Example: synscale train --world mini --data real --scales 125,250,500 -w ws")
def train(
    world: Annotated[str | None, typer.Option(
        help=f"World name: {choices('world')}.", show_default="mini")] = None,
    data: Annotated[str | None, typer.Option(
        help="Training data: real, syn:<dataset> (a generated set in the workspace), or "
             "real<R>+syn:<dataset> (R real images plus D synthetic).", show_default="real")] = None,
    scales: Annotated[str | None, typer.Option(
        help="Comma-separated dataset sizes D.", show_default="125,250,500,1000,2000")] = None,
    seed: Annotated[int | None, typer.Option(
        min=0, help="Run seed (subsets, init, data order).", show_default="0")] = None,
    model: Annotated[str | None, typer.Option(
        help=f"Classifier: {choices('mini_model')} or a timm name.",
        show_default="the world's default")] = None,
    root: Annotated[Path | None, typer.Option(help="Data root of worlds that read user data (imagenet).")] = None,
    config: Annotated[Path | None, typer.Option(
        help="YAML file of a CurveConfig (flags and --set override its keys).")] = None,
    device: Annotated[str | None, typer.Option(
        help="auto (CUDA when there is one), cpu, cuda or cuda:<i>; bf16 autocast on CUDA "
             "(--set setup.precision=fp32|bf16).", show_default="auto")] = None,
    engine: Annotated[str | None, typer.Option(
        help="Where the workers of one run go: local (processes here) or ray (Ray Train).",
        show_default="local")] = None,
    workers_per_run: Annotated[int | None, typer.Option(
        min=1, help="Data-parallel (DDP) workers per run; the batch size is global.",
        show_default="1")] = None,
    address: Annotated[str | None, typer.Option(help="Ray cluster address (with --engine ray).")] = None,
    checkpoint_every: Annotated[int | None, typer.Option(
        min=0, help="Steps between checkpoints of a run (0: none); a killed run resumes.",
        show_default="500")] = None,
    set_: SetOpt = None,
    workspace: WorkspaceOpt = Path("workspace"),
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Train a scaling curve: one classifier per scale on nested subsets; skip stored runs.

    On the CPU the runs train as a study's: one single-threaded worker process per core, so a
    run has the same weights whichever command trained it."""
    from synscale.config import load_config
    from synscale.train.runs import CurveConfig, run_curve
    from synscale.workspace import Workspace

    flags = {"world": world, "data": data, "seed": seed, "scales": parse_ints(scales, "--scales"),
             "world_root": str(root) if root else None, "recipe.model": model,
             "setup.device": device, "setup.engine": engine, "setup.workers_per_run": workers_per_run,
             "setup.address": address, "setup.checkpoint_every": checkpoint_every}
    curve = load_config(CurveConfig, config, set_, flags,
                        flag_names={"world_root": "--root", "recipe.model": "--model"}
                        | {f"setup.{k}": f"--{k.replace('_', '-')}" for k in
                           ("device", "engine", "workers_per_run", "address", "checkpoint_every")})
    rows = []
    for record in run_curve(curve, Workspace(workspace), quiet=quiet or json_, concurrent=True):
        summary = record.summary()
        if json_:
            print_json(summary)
        rows.append({k: summary[k] for k in ("data", "model", "scale", "seed", "iterations",
                                             "val_loss", "val_top1", "train_images_per_s")}
                    | {f"{k}_top1": v["top1"] for k, v in summary["ood"].items()})
    if not json_:
        print_table(rows, f"runs ({workspace})")


@app.command(epilog="Example: synscale results -w ws --table fits --csv fits.csv")
def results(workspace: WorkspaceOpt = Path("workspace"),
            csv: Annotated[Path | None, typer.Option(help="Also write the table to CSV.")] = None,
            table: Annotated[str, typer.Option(help="A table or view of the store: runs, set_metrics, "
                                                    "class_metrics, fits, datasets, dataset_metrics, "
                                                    "class_fits, exchange_rates, study_grid, study_fits, "
                                                    "...")] = "runs",
            ) -> None:
    """Print the stored results of a workspace as a table."""
    from csv import DictWriter

    from synscale.errors import WorkspaceError
    from synscale.workspace import Workspace, writable_file

    ws = Workspace(workspace, create=False)
    if not ws.store_path.is_file():  # said, not answered with an empty store left behind
        raise WorkspaceError(f"workspace {workspace} has no results store yet; train a curve or "
                             "run a study first")
    with ws.store() as store:
        columns, rows = store.records(table)
    if csv:
        with writable_file(csv, "--csv").open("w", newline="") as handle:
            writer = DictWriter(handle, columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    print_table(rows, f"{table} ({workspace})")
