"""Commands that make and judge synthetic images: generate, regenerate, measure, mini."""

from __future__ import annotations

import sys
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
    print_json,
    print_table,
)


@app.command()
def generate(
    world: Annotated[str | None, typer.Option(help="World whose classes to generate.")] = None,
    generator: Annotated[str | None, typer.Option(help="Generator (mini-pixel, mini-latent, mini-masked, diffusers).")] = None,
    cfg: Annotated[float | None, typer.Option(help="Classifier-free guidance scale (>= 0).")] = None,
    prompts: Annotated[str | None, typer.Option(help="Prompt strategy (see `synscale strategies`).")] = None,
    per_class: Annotated[int | None, typer.Option(help="Images per class.")] = None,
    seed: Annotated[int | None, typer.Option(help="Dataset seed (prompts and per-image seeds).")] = None,
    steps: Annotated[int | None, typer.Option(help="Sampling steps (default: the generator's).")] = None,
    engine: Annotated[str, typer.Option(help="local (one process) or ray (Ray Data actor pool).")] = "local",
    workers: Annotated[int | None, typer.Option(help="Ray actors (--engine ray; default: one per GPU, else 1).")] = None,
    address: Annotated[str | None, typer.Option(help="Address of a running Ray cluster.")] = None,
    threads: Annotated[int | None, typer.Option(help="Torch threads per worker.")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML file of a GenerateConfig.")] = None,
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
    settings = load_config(GenerateConfig, config, set_, {k: v for k, v in flags.items() if v is not None})
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


@app.command()
def regenerate(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder (workspace/datasets/<name>).")],
    image_id: Annotated[int, typer.Argument(metavar="ID", help="Image id (the manifest's id).")],
    out_file: Annotated[Path | None, typer.Option("--out", help="Where to write the PNG.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Remake one image from its manifest row and check that its bytes match (exit 1 if not)."""
    from synscale.data.synthetic import SyntheticDataset
    from synscale.generators.stage.regenerate import regenerate_image

    result = regenerate_image(SyntheticDataset.resolve(dataset), image_id, out_file)
    if json_:
        print_json(result)
    else:
        verdict = "identical to" if result["identical"] else "DIFFERENT from"
        out.print(f"image {image_id} -> {result['path']}: sha256 {result['sha256'][:16]}..., "
                  f"{verdict} the manifest")
    if not result["identical"]:
        raise typer.Exit(1)


@app.command()
def measure(
    dataset: Annotated[str, typer.Argument(help="Dataset folder or name in the workspace, or real:<pool>.")],
    per_class: Annotated[int, typer.Option(help="Images per class to score (lowest ids).")] = 50,
    world: Annotated[str | None, typer.Option(help="World (default: the dataset's).")] = None,
    reference_weights: Annotated[Path | None, typer.Option(
        help="Local weights of a pretrained reference classifier (ImageNet); default: train one.")] = None,
    workspace: WorkspaceOpt = Path("workspace"),
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Recognizability, diversity and FID of a generated set, from a reference classifier."""
    from synscale.metrics import measure as measure_dataset
    from synscale.workspace import Workspace

    result = measure_dataset(dataset, Workspace(workspace), per_class, reference_weights=reference_weights,
                             world=world, quiet=quiet or json_)
    if json_:
        print_json(result)
        return
    out.print(f"{result['dataset']}: {result['images']} images; recognizability "
              f"{result['recognizability']:.4f}, diversity {result['diversity']:.4f}, fid {result['fid']:.4g}")
    print_table(result["per_class"], "per class")


mini_app = typer.Typer(no_args_is_help=True, help="The mini world's own text-to-image models.")
app.add_typer(mini_app, name="mini")


@mini_app.command("train-generator")
def mini_train_generator(
    family: Annotated[str, typer.Option(help="pixel (like Imagen), latent (like SD) or masked (like Muse).")],
    minutes: Annotated[float | None, typer.Option(help="Time budget (default 15).")] = None,
    steps: Annotated[int | None, typer.Option(help="Exact step count (repeats a run).")] = None,
    seed: Annotated[int, typer.Option(help="Training seed.")] = 0,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Weights folder.")] = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Train a mini text-to-image model on the mini world's generator pool (<= 20 minutes)."""
    from synscale.generators.mini.train_generator import train_generator

    folder = out_dir or Path("workspace") / "mini-generators" / family
    summary = train_generator(family, folder, minutes, steps, seed, quiet=quiet or json_)
    if json_:
        print_json(summary)
    else:
        out.print(f"mini-{family}: {summary['steps']} steps in {summary['seconds']} s, final loss "
                  f"{summary['final_loss']} -> {summary['weights']}")
