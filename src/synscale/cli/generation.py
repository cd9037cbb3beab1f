"""Commands that make and judge synthetic images: generate, regenerate, measure, mini."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from synscale.cli.app import (
    Engine,
    JsonOpt,
    QuietOpt,
    SetOpt,
    WorkspaceOpt,
    app,
    choices,
    out,
    print_json,
    print_table,
)

if TYPE_CHECKING:
    from synscale.workspace import Workspace


@app.command(epilog="Example: synscale generate --generator mini-pixel --cfg 2 --prompts classname "
                       "--per-class 100 -w ws")
def generate(
    world: Annotated[str | None, typer.Option(
        help=f"World whose classes to generate: {choices('world')}.", show_default="mini")] = None,
    generator: Annotated[str | None, typer.Option(
        help=f"Generator: {choices('generator')}.", show_default="mini-pixel")] = None,
    cfg: Annotated[float | None, typer.Option(
        min=0, help="Classifier-free guidance scale.", show_default="2")] = None,
    prompts: Annotated[str | None, typer.Option(
        help=f"Prompt strategy: {choices('prompts')} (see `synscale strategies`).",
        show_default="classname")] = None,
    per_class: Annotated[int | None, typer.Option(
        min=1, help="Images per class.", show_default="1000")] = None,
    seed: Annotated[int | None, typer.Option(
        min=0, help="Dataset seed (prompts and per-image seeds).", show_default="0")] = None,
    steps: Annotated[int | None, typer.Option(
        min=1, help="Sampling steps.", show_default="the generator's")] = None,
    engine: Annotated[Engine, typer.Option(help="local (worker processes on this machine) or ray (Ray Data actor pool).")] = "local",
    workers: Annotated[int | None, typer.Option(
        min=1, max=4096, help="Worker processes (local) or Ray actors (ray).",
        show_default="local: 1; ray: one per GPU, else 1")] = None,
    address: Annotated[str | None, typer.Option(help="Address of a running Ray cluster (--engine ray).")] = None,
    threads: Annotated[int | None, typer.Option(
        min=1, max=1024, help="Torch threads per worker.", show_default="cores / workers")] = None,
    config: Annotated[Path | None, typer.Option(
        help="YAML file of a GenerateConfig (flags and --set override its keys).")] = None,
    set_: SetOpt = None,
    workspace: WorkspaceOpt = Path("workspace"),
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Generate a synthetic dataset (WebDataset shards + Parquet manifest); resumes after a crash."""
    from synscale.config import load_config
    from synscale.engine import make_engine
    from synscale.generators.stage.dataset import generate_dataset
    from synscale.generators.stage.plan import GenerateConfig
    from synscale.workspace import Workspace

    flags = {"world": world, "generator": generator, "cfg": cfg, "prompts": prompts,
             "per_class": per_class, "seed": seed, "steps": steps}
    settings = load_config(GenerateConfig, config, set_, flags)
    report = generate_dataset(settings, Workspace(workspace), make_engine(engine, workers, address, threads),
                              quiet=quiet or json_)
    for line in report.repaired:
        print(f"warning: {line}: regenerated", file=sys.stderr)
    if json_:
        print_json(report.as_dict())
    else:
        summary = report.as_dict()
        out.print(f"{summary['path']}: {report.images} images in {report.shards} shards "
                  f"({report.made_shards} made, {report.kept_shards} kept"
                  + (f", {summary['images_per_s']} images/s" if summary["images_per_s"] else "") + ")")


@app.command(epilog="Example: synscale regenerate ws/datasets/mini-pixel-classname-cfg2-n100-s0-<digest> 7")
def regenerate(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder (workspace/datasets/<name>).")],
    image_id: Annotated[int, typer.Argument(metavar="ID", min=0, help="Image id (the manifest's id).")],
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Where to write the PNG.",
        show_default="<workspace>/regenerated/<dataset>/<ID>.png")] = None,
    json_: JsonOpt = False,
) -> None:
    """Remake one image from its manifest row and check that its bytes match (exit 1 if not)."""
    from synscale.data.synthetic import DATASETS_KIND, SyntheticDataset
    from synscale.generators.stage.regenerate import regenerate_image
    from synscale.workspace import writable_file

    found = SyntheticDataset.resolve(dataset)
    if out_file is None:  # beside the dataset's workspace, never silently into the cwd
        root = found.folder.parent.parent if found.folder.parent.name == DATASETS_KIND else found.folder.parent
        out_file = root / "regenerated" / found.name / f"{image_id}.png"
    result = regenerate_image(found, image_id, writable_file(out_file, "--out"))
    if json_:
        print_json(result)
    else:
        verdict = "identical to" if result["identical"] else "DIFFERENT from"
        out.print(f"image {image_id} -> {result['path']}: sha256 {result['sha256'][:16]}..., "
                  f"{verdict} the manifest")
    if not result["identical"]:
        raise typer.Exit(1)


@app.command(epilog="Example: synscale measure mini-pixel-classname-cfg2 -w ws")
def measure(
    dataset: Annotated[str, typer.Argument(help="Dataset folder or name in the workspace, or real:<pool>.")],
    per_class: Annotated[int | None, typer.Option(
        min=1, help="Images per class to score (lowest ids); by default 50, or all a smaller set has.",
        show_default="50")] = None,
    world: Annotated[str | None, typer.Option(
        help=f"World: {choices('world')}.", show_default="the dataset's")] = None,
    reference_weights: Annotated[Path | None, typer.Option(
        help="Local weights of a pretrained reference classifier (ImageNet).",
        show_default="train one")] = None,
    workspace: WorkspaceOpt = Path("workspace"),
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Recognizability, diversity and FID of a generated set, from a reference classifier."""
    from synscale.metrics import measure as measure_dataset
    from synscale.metrics.measure import DEFAULT_PER_CLASS
    from synscale.workspace import Workspace

    ws = Workspace(workspace)
    if per_class is None:  # the paper's 50, or what a smaller set has (said, not refused)
        available = _smallest_class(dataset, ws)
        per_class = min(DEFAULT_PER_CLASS, available)
        if per_class < DEFAULT_PER_CLASS:
            print(f"note: {dataset} has {available} images in its smallest class, fewer than the "
                  f"default {DEFAULT_PER_CLASS}; measuring {available} per class", file=sys.stderr)
    result = measure_dataset(dataset, ws, per_class, reference_weights=reference_weights,
                             world=world, quiet=quiet or json_)
    if json_:
        print_json(result)
        return
    out.print(f"{result['dataset']}: {result['images']} images; recognizability "
              f"{result['recognizability']:.4f}, diversity {result['diversity']:.4f}, fid {result['fid']:.4g}")
    print_table(result["per_class"], "per class")


def _smallest_class(dataset: str, workspace: Workspace) -> int:
    """Images in the smallest class of a synthetic dataset (a real pool: no limit here)."""
    from synscale.data.synthetic import SyntheticDataset
    from synscale.metrics.measure import REAL_PREFIX

    if dataset.startswith(REAL_PREFIX):
        return sys.maxsize
    return int(SyntheticDataset.resolve(dataset, workspace).manifest.groupby("class_id").size().min())


Family = Literal["pixel", "latent", "masked"]
mini_app = typer.Typer(no_args_is_help=True, help="The mini world's own text-to-image models.")
app.add_typer(mini_app, name="mini")


@mini_app.command("train-generator", epilog="Example: synscale mini train-generator --family pixel --minutes 5")
def mini_train_generator(
    family: Annotated[Family, typer.Option(help="pixel (like Imagen), latent (like SD) or masked (like Muse).")],
    minutes: Annotated[float | None, typer.Option(
        min=0, help="Time budget.", show_default="15")] = None,
    steps: Annotated[int | None, typer.Option(min=1, help="Exact step count (repeats a run).")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Training seed.")] = 0,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Weights folder.", show_default="workspace/mini-generators/<family>")] = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Train a mini text-to-image model on the mini world's web pool (<= 20 minutes)."""
    from synscale.generators.mini.train_generator import train_generator

    folder = out_dir or Path("workspace") / "mini-generators" / family
    summary = train_generator(family, folder, minutes, steps, seed, quiet=quiet or json_)
    if json_:
        print_json(summary)
    else:
        out.print(f"mini-{family}: {summary['steps']} steps in {summary['seconds']} s, final loss "
                  f"{summary['final_loss']} -> {summary['weights']}")
