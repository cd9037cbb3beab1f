"""The ``synscale`` command: each command parses its options, calls one function, prints.

User errors (``SynscaleError``) print one line and exit with code 2; no traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

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
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override a config key: a.b=c.")]


@app.command()
def worlds() -> None:
    """List the worlds."""
    from synscale.worlds import WORLDS

    for name, doc in WORLDS.describe().items():
        out.print(f"[bold]{name}[/bold]  {doc}")


@app.command("world-info")
def world_info(name: str, root: Annotated[Path | None, typer.Option(
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
    out_file: Annotated[Path | None, typer.Option("--out", help="Where to write the PNG.")] = None,
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
    classes: Annotated[str | None, typer.Option(help="Comma-separated class ids (default: all).")] = None,
    per_class: Annotated[int, typer.Option(help="Prompts (images to generate) per class.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the assignment of prompts to images.")] = 0,
    captioner: Annotated[str | None, typer.Option(help="captions: attributes, blip2 or file.")] = None,
    model: Annotated[str | None, typer.Option(help="word2sen T5 / blip2 model: local dir or hub id.")] = None,
    captions_file: Annotated[Path | None, typer.Option(help="captions with --captioner file: CSV/JSONL.")] = None,
    sentences: Annotated[int | None, typer.Option(help="word2sen: sentences per class (100).")] = None,
    root: Annotated[Path | None, typer.Option(help="Data root of worlds that read user data.")] = None,
    workspace: Annotated[Path | None, typer.Option("--workspace", "-w", help="Cache tables and sentences here.")] = None,
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
    curves: Annotated[Path | None, typer.Option(
        help="CSV file with columns curve,D,loss[,seed].")] = None,
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", "-w", help="Fit every curve stored in this workspace.")] = None,
    law: Annotated[list[str] | None, typer.Option(
        help="power, saturating, broken or m4; repeat to fit several. Default: power.")] = None,
    ref_scale: Annotated[float | None, typer.Option(
        "--ref-scale", help="Reference scale D_I of Eq. 2 (default: geometric mean of D).")] = None,
    holdout_last: Annotated[int | None, typer.Option(
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


study_app = typer.Typer(no_args_is_help=True, help="A whole study from one YAML file (see examples/).")
app.add_typer(study_app, name="study")
StudyArg = Annotated[Path, typer.Argument(help="Study file (YAML), e.g. examples/mini.yaml.")]
EngineOpt = Annotated[str, typer.Option(help="local (processes on this machine) or ray.")]
WorkersOpt = Annotated[int | None, typer.Option(
    help="Training runs at once (default: one per core; Ray: as many).")]


@study_app.command("run")
def study_run(
    study_file: StudyArg,
    engine: EngineOpt = "local",
    workers: WorkersOpt = None,
    address: Annotated[str | None, typer.Option(help="Address of a running Ray cluster.")] = None,
    set_: SetOpt = None,
    workspace: WorkspaceOpt = Path("workspace"),
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run a study: generate, measure, train, fit; skips what is done, retries what failed."""
    from synscale.engine.tasks import TaskPool
    from synscale.study import load_study, run_study
    from synscale.workspace import Workspace

    study = load_study(study_file, set_)
    pool = TaskPool.default(engine, workers, address, study.execution.threads_per_run,
                            study.execution.cpus_per_task)
    log = (lambda line: None) if json_ or quiet else (lambda line: out.print(line, highlight=False))
    report = run_study(study, Workspace(workspace), pool, quiet=quiet or json_, log=log,
                       source=str(study_file))
    if json_:
        print_json(report.as_dict())
    else:
        made = ", ".join(f"{v} {k}" for k, v in report.made.items()) or "nothing new (all done)"
        out.print(f"study {report.study}: {made} in {report.seconds:.0f} s"
                  + (f"; {len(report.failed)} FAILED (synscale study status -w {workspace})"
                     if report.failed else ""), highlight=False)
    if report.failed:  # exit 1: the study ran, but not all of it succeeded
        raise typer.Exit(1)


@study_app.command("plan")
def study_plan(
    study_file: StudyArg,
    workers: WorkersOpt = None,
    calibrate: Annotated[bool, typer.Option(
        help="Measure this machine's throughputs for the time estimate (a few seconds).")] = True,
    set_: SetOpt = None,
    workspace: WorkspaceOpt = Path("workspace"),
    json_: JsonOpt = False,
) -> None:
    """What a study will generate and train, what is already done, and how long the rest takes."""
    from synscale.engine.tasks import TaskPool
    from synscale.study import load_study
    from synscale.study.summary import plan_summary
    from synscale.workspace import Workspace

    study = load_study(study_file, set_)
    pool = TaskPool.default("local", workers, None, study.execution.threads_per_run)
    summary = plan_summary(study, Workspace(workspace), pool.workers, calibrate)
    if json_:
        print_json(summary)
        return
    print_table(summary["datasets"], f"datasets of study {summary['study']}")
    print_table(summary["curves"], "curves (grid: every configuration at D_I)")
    totals = summary["totals"]
    out.print(f"to do: {totals['images_to_generate']:,} images to generate, "
              f"{totals['runs_to_train']} of {totals['runs']} runs to train "
              f"({totals['iterations_to_train']:,} iterations)", highlight=False)
    for stage, parts in summary["stages"].items():
        out.print(f"  {stage}: " + ", ".join(f"{v} {k}" for k, v in parts.items()), highlight=False)
    if "estimate_s" in summary:
        est = summary["estimate_s"]
        out.print(f"estimate on this machine ({est['workers']} worker(s)): {est['total']} s "
                  f"(generate {est['generate']}, measure {est['measure']}, train {est['train']}, "
                  f"analyse {est['analyse']}); measured: "
                  + ", ".join(f"{k} {v:,} img/s" for k, v in summary["measured_rates"].items()),
                  highlight=False)


@study_app.command("status")
def study_status(
    workspace: WorkspaceOpt = Path("workspace"),
    name: Annotated[str | None, typer.Option(help="Only this study (default: every one).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Done / pending / failed per stage of every study in a workspace, and why each failed."""
    from synscale.study.summary import status_summary
    from synscale.workspace import Workspace

    for study in status_summary(Workspace(workspace, create=False), name):
        if json_:
            print_json(study)
            continue
        out.print(f"[bold]{study['study']}[/bold]")
        for stage, parts in study["stages"].items():
            out.print(f"  {stage}: " + ", ".join(f"{v} {k}" for k, v in parts.items()), highlight=False)
        for failure in study["failed"]:
            out.print(f"  FAILED {failure['stage']} {failure['item']}: {failure['error']}",
                      markup=False, highlight=False)


@app.command()
def classes(
    curve: Annotated[str, typer.Option(help="Curve: a study's short name or a data value (prefix ok).")],
    set_name: Annotated[str, typer.Option("--set", help="Evaluation set.")] = "val",
    ref_scale: Annotated[float | None, typer.Option(
        "--ref-scale", help="D_I (default: the study's, else the real pool's size).")] = None,
    workspace: WorkspaceOpt = Path("workspace"),
    json_: JsonOpt = False,
    csv: Annotated[Path | None, typer.Option(help="Also write the table to CSV.")] = None,
) -> None:
    """Per-class scaling of a curve: k with its interval, performance at D_I, group, and real k."""
    from synscale.study.commands import per_class
    from synscale.workspace import Workspace

    rows = per_class(Workspace(workspace, create=False), curve, set_name, ref_scale)
    if csv:
        import pandas as pd

        pd.DataFrame(rows).to_csv(csv, index=False)
    if json_:
        for row in rows:
            print_json(row)
        return
    print_table([{k: (" .. ".join(f"{x:.3g}" for x in v) if k.endswith("_ci") else v)
                  for k, v in row.items()} for row in rows], f"classes of {curve} ({set_name})")


@app.command()
def exchange(
    synthetic: Annotated[str, typer.Option(help="Synthetic curve (short name or data value).")],
    real: Annotated[str | None, typer.Option(help="Real curve (default: the real curve of the same model).")] = None,
    set_name: Annotated[str, typer.Option("--set", help="Evaluation set.")] = "val",
    ref_scale: Annotated[float | None, typer.Option(
        "--ref-scale", help="D_I (default: the study's, else the real pool's size).")] = None,
    workspace: WorkspaceOpt = Path("workspace"),
    json_: JsonOpt = False,
) -> None:
    """How many synthetic images match one real image, at every real scale, with an interval."""
    from synscale.study.commands import exchange_rates
    from synscale.workspace import Workspace

    rows = exchange_rates(Workspace(workspace, create=False), synthetic, real, set_name, ref_scale)
    if json_:
        for row in rows:
            print_json(row)
        return
    print_table([{"D_real": r["D_real"], "loss": r["loss"], "D_synthetic": r["D_synthetic"],
                  "rate": r["rate"], "rate_ci": " .. ".join("unreachable" if v is None else f"{v:.3g}"
                                                            for v in r["rate_ci"])} for r in rows],
                f"exchange rate {synthetic} vs {real or 'real'} ({set_name})")


@app.command()
def report(
    workspace: WorkspaceOpt = Path("workspace"),
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="HTML file to write (default: <workspace>/report/report.html).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the findings' verdicts as JSON lines.")] = False,
) -> None:
    """One self-contained HTML page of the paper's figures and findings, from the results store."""
    from synscale.report import build_report

    result = build_report(workspace, out_file)
    if json_:
        for finding in result.findings:
            print_json(finding.as_dict())
        return
    out.print(f"{result.path}: {result.path.stat().st_size / 1e6:.2f} MB, {len(result.figures)} "
              f"figures in {result.seconds:.1f} s", highlight=False)
    for title, reason in result.missing.items():
        out.print(f"  missing {title}: {reason}", markup=False, highlight=False)
    print_table([{"#": f.number, "verdict": f.verdict, "claim": f.claim} for f in result.findings],
                "the paper's findings")


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
