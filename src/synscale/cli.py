"""The ``synscale`` command: each command parses its options, calls one function, prints.

User errors (``SynscaleError``) print one line and exit with code 2; no traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from synscale.errors import ConfigError, SynscaleError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Scaling laws of synthetic images for model training (Fan et al. 2023).")
# Tables in a pipe or log keep their full width instead of rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() else 200)

WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", help="Workspace directory.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object per line on stdout.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="Override a config key: a.b=c.")]


@app.command()
def worlds() -> None:
    """List the worlds."""
    from synscale.worlds import WORLDS

    for name, doc in WORLDS.describe().items():
        out.print(f"[bold]{name}[/bold]  {doc}")


@app.command("world-info")
def world_info(name: str, root: Annotated[Optional[Path], typer.Option(
        help="Data root of the imagenet world (see README).")] = None) -> None:
    """Pool sizes, classes and OOD sets of a world."""
    from synscale.worlds import get_world

    world = get_world(name, root=root)
    info = world.describe()
    out.print(f"[bold]{name}[/bold]: {world.num_classes} classes, {world.channels}x"
              f"{world.image_size}x{world.image_size} images, default model {world.default_model}")
    for pool in world.pool_names():
        out.print(f"  pool {pool}: {len(world.pool(pool))} images")
    for ood in world.ood_names():
        out.print(f"  ood {ood}: {len(world.ood(ood))} images")
    classes = info["classes"]
    shown = ", ".join(classes[:12]) + (f", ... ({len(classes)} in all)" if len(classes) > 12 else "")
    out.print(f"  classes: {shown}")


@app.command()
def train(
    world: Annotated[Optional[str], typer.Option(help="World name (see `synscale worlds`).")] = None,
    data: Annotated[Optional[str], typer.Option(help="Training data: real, or a synthetic dataset.")] = None,
    scales: Annotated[Optional[str], typer.Option(help="Comma-separated dataset sizes D.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Run seed (subsets, init, data order).")] = None,
    model: Annotated[Optional[str], typer.Option(help="Classifier (timm name or mini_resnet/mini_vit).")] = None,
    root: Annotated[Optional[Path], typer.Option(help="Data root of worlds that read user data.")] = None,
    config: Annotated[Optional[Path], typer.Option(help="YAML file of a CurveConfig.")] = None,
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
            csv: Annotated[Optional[Path], typer.Option(help="Also write the table to CSV.")] = None,
            table: Annotated[str, typer.Option(help="runs, set_metrics, class_metrics or fits.")] = "runs",
            ) -> None:
    """Print the stored results of a workspace as a table."""
    from synscale.workspace import Workspace

    with Workspace(workspace, create=False).store() as store:
        frame = store.runs() if table == "runs" else store.table(table)
    if csv:
        frame.to_csv(csv, index=False)
    print_table(frame.to_dict("records"), f"{table} ({workspace})")


@app.command()
def generate(
    world: Annotated[Optional[str], typer.Option(help="World whose classes to generate.")] = None,
    generator: Annotated[Optional[str], typer.Option(help="Generator (mini-pixel, mini-latent, mini-masked, diffusers).")] = None,
    cfg: Annotated[Optional[float], typer.Option(help="Classifier-free guidance scale (>= 0).")] = None,
    prompts: Annotated[Optional[str], typer.Option(help="Prompt strategy (see `synscale strategies`).")] = None,
    per_class: Annotated[Optional[int], typer.Option(help="Images per class.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Dataset seed (prompts and per-image seeds).")] = None,
    steps: Annotated[Optional[int], typer.Option(help="Sampling steps (default: the generator's).")] = None,
    engine: Annotated[str, typer.Option(help="local (one process) or ray (Ray Data actor pool).")] = "local",
    workers: Annotated[Optional[int], typer.Option(help="Ray actors (--engine ray; default: one per GPU, else 1).")] = None,
    address: Annotated[Optional[str], typer.Option(help="Address of a running Ray cluster.")] = None,
    threads: Annotated[Optional[int], typer.Option(help="Torch threads per worker.")] = None,
    config: Annotated[Optional[Path], typer.Option(help="YAML file of a GenerateConfig.")] = None,
    set_: SetOpt = None,
    workspace: WorkspaceOpt = Path("workspace"),
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Generate a synthetic dataset (WebDataset shards + Parquet manifest); resumes after a crash."""
    from synscale.config import load_config
    from synscale.engine import make_engine
    from synscale.generators.job import generate_dataset
    from synscale.generators.plan import GenerateConfig
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
    out_file: Annotated[Optional[Path], typer.Option("--out", help="Where to write the PNG.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Remake one image from its manifest row and check that its bytes match (exit 1 if not)."""
    from synscale.data.synthetic import SyntheticDataset
    from synscale.generators.regenerate import regenerate_image

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
def prompts(
    world: Annotated[str, typer.Option(help="World name (see `synscale worlds`).")] = "mini",
    strategy: Annotated[str, typer.Option(help="Prompt strategy (see `synscale strategies`).")] = "classname",
    classes: Annotated[Optional[str], typer.Option(help="Comma-separated class ids (default: all).")] = None,
    per_class: Annotated[int, typer.Option(help="Prompts (images to generate) per class.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the assignment of prompts to images.")] = 0,
    captioner: Annotated[Optional[str], typer.Option(help="captions: attributes, blip2 or file.")] = None,
    model: Annotated[Optional[str], typer.Option(help="word2sen T5 / blip2 model: local dir or hub id.")] = None,
    captions_file: Annotated[Optional[Path], typer.Option(help="captions with --captioner file: CSV/JSONL.")] = None,
    sentences: Annotated[Optional[int], typer.Option(help="word2sen: sentences per class (100).")] = None,
    root: Annotated[Optional[Path], typer.Option(help="Data root of worlds that read user data.")] = None,
    workspace: Annotated[Optional[Path], typer.Option("--workspace", "-w", help="Cache tables and sentences here.")] = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Print the prompt of every image to generate for the chosen classes."""
    from synscale.prompts.tables import prompt_table

    table = prompt_table(world, strategy, per_class, seed, parse_ints(classes, "--classes"), root,
                         workspace, quiet or json_, captioner=captioner, model=model,
                         file=captions_file, sentences=sentences)
    for row in table.select(["class_id", "class_name", "prompt"]).to_pylist():
        if json_:
            print_json(row)
        else:
            out.print(f"{row['class_id']:>4} {row['class_name']}: {row['prompt']}", markup=False,
                      highlight=False, soft_wrap=True)


@app.command()
def strategies() -> None:
    """List the prompt strategies and captioners."""
    from synscale.prompts import CAPTIONERS, STRATEGIES

    for name, doc in STRATEGIES.describe().items():
        out.print(f"[bold]{name}[/bold]  {doc}", highlight=False)
    out.print(f"captioners (for captions): {', '.join(CAPTIONERS.names())}", highlight=False)


@app.command()
def fit(
    curves: Annotated[Optional[Path], typer.Option(
        help="CSV file with columns curve,D,loss[,seed].")] = None,
    workspace: Annotated[Optional[Path], typer.Option(
        "--workspace", "-w", help="Fit every curve stored in this workspace.")] = None,
    law: Annotated[Optional[list[str]], typer.Option(
        help="power, saturating, broken or m4; repeat to fit several. Default: power.")] = None,
    ref_scale: Annotated[Optional[float], typer.Option(
        "--ref-scale", help="Reference scale D_I of Eq. 2 (default: geometric mean of D).")] = None,
    holdout_last: Annotated[Optional[int], typer.Option(
        "--holdout-last", help="Fit without the last N scales; score them.")] = None,
    choose_range: Annotated[bool, typer.Option(
        "--choose-range", help="Drop small scales when forward validation says so.")] = False,
    boot: Annotated[int, typer.Option(help="Bootstrap refits for nonlinear laws.")] = 1000,
    level: Annotated[float, typer.Option(help="Confidence level of the intervals.")] = 0.95,
    json_: JsonOpt = False,
) -> None:
    """Fit scaling laws, with intervals, to curves from a CSV file or a workspace."""
    from synscale.scaling.run import FitOptions, fit_curves_file, fit_workspace

    if (curves is None) == (workspace is None):
        raise ConfigError("give exactly one of --curves FILE.csv or --workspace DIR")
    laws = law or ["power"]
    options = FitOptions(ref_scale=ref_scale, holdout_last=holdout_last,
                         choose_range=choose_range, level=level, n_boot=boot)
    rows = (fit_curves_file(curves, laws, options) if curves is not None
            else fit_workspace(workspace, laws, options))
    if json_:
        for row in rows:
            print_json(row)
        return
    print_table(_fit_rows(rows), f"fits ({curves or workspace})")


def _fit_rows(rows: list[dict]) -> list[dict[str, object]]:
    """The columns of ``synscale fit`` that some row has; intervals as 'lo .. hi'
    (square brackets would be read as rich markup)."""
    keys = [key for key in ("set", "curve", "law", "k", "k_ci", "converged", "heldout_rmse_log",
                            "break_D", "skipped") if any(key in row for row in rows)]
    return [{key: " .. ".join("unbounded" if v is None else f"{v:.4g}" for v in row[key])
             if key == "k_ci" and key in row else row.get(key, "") for key in keys} for row in rows]


@app.command()
def measure(
    dataset: Annotated[str, typer.Argument(help="Dataset folder or name in the workspace, or real:<pool>.")],
    per_class: Annotated[int, typer.Option(help="Images per class to score (lowest ids).")] = 50,
    world: Annotated[Optional[str], typer.Option(help="World (default: the dataset's).")] = None,
    reference_weights: Annotated[Optional[Path], typer.Option(
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
    minutes: Annotated[Optional[float], typer.Option(help="Time budget (default 15).")] = None,
    steps: Annotated[Optional[int], typer.Option(help="Exact step count (repeats a run).")] = None,
    seed: Annotated[int, typer.Option(help="Training seed.")] = 0,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Weights folder.")] = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Train a mini text-to-image model on the mini world's generator pool (<= 20 minutes)."""
    from synscale.generators.mini_job import train_generator

    folder = out_dir or Path("workspace") / "mini-generators" / family
    summary = train_generator(family, folder, minutes, steps, seed, quiet=quiet or json_)
    if json_:
        print_json(summary)
    else:
        out.print(f"mini-{family}: {summary['steps']} steps in {summary['seconds']} s, final loss "
                  f"{summary['final_loss']} -> {summary['weights']}")


def parse_ints(text: str | None, flag: str) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"{flag} must be comma-separated integers, got {text!r}") from None


def print_table(rows: list[dict[str, object]], title: str) -> None:
    if not rows:
        out.print(f"{title}: nothing stored yet")
        return
    table = Table(title=title)
    for key in rows[0]:
        table.add_column(str(key))
    for row in rows:
        table.add_row(*(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row.values()))
    out.print(table)


def print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    try:
        app(args=argv)
    except SynscaleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
