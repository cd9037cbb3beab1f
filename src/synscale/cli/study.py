"""The ``synscale study`` commands: run, plan and status of a study file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synscale.cli.app import (
    Engine,
    JsonOpt,
    QuietOpt,
    SetOpt,
    WorkspaceOpt,
    app,
    out,
    print_json,
    print_table,
)

study_app = typer.Typer(no_args_is_help=True, help="A whole study from one YAML file (see examples/).")
app.add_typer(study_app, name="study")
StudyArg = Annotated[Path, typer.Argument(help="Study file (YAML), e.g. examples/mini.yaml.")]
EngineOpt = Annotated[Engine, typer.Option(help="local (processes on this machine) or ray.")]
WorkersOpt = Annotated[int | None, typer.Option(
    min=1, max=4096, help="Training runs (locally, also datasets being made) at once.", show_default="one per core; Ray: as many")]


@study_app.command("run", epilog="Example: synscale study run examples/mini.yaml -w ws --set measure.per_class=20")
def study_run(
    study_file: StudyArg,
    engine: EngineOpt = "local",
    workers: WorkersOpt = None,
    address: Annotated[str | None, typer.Option(help="Address of a running Ray cluster (--engine ray).")] = None,
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


@study_app.command("plan", epilog="Example: synscale study plan examples/mini.yaml -w ws --no-calibrate")
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
    if "clip" in summary:
        clip = summary["clip"]
        out.print(f"  clip: {clip['runs_to_train']} of {clip['runs']} CLIP runs to train "
                  f"({clip['pairs_to_train']:,} pairs), {clip['images_to_generate']:,} synthetic "
                  "pair images to generate", highlight=False)
    if "estimate_s" in summary:
        est = summary["estimate_s"]
        rates = ", ".join(f"{k} {v:,} {'pairs' if k.startswith('clip:') else 'img'}/s"
                          for k, v in summary["measured_rates"].items())
        out.print(f"estimate on this machine ({est['workers']} worker(s)): {est['total']} s "
                  f"(generate {est['generate']}, measure {est['measure']}, train {est['train']}, "
                  f"analyse {est['analyse']}, clip {est['clip']})"
                  + (f"; measured: {rates}" if rates else ""), highlight=False)


@study_app.command("status", epilog="Example: synscale study status -w ws")
def study_status(
    workspace: WorkspaceOpt = Path("workspace"),
    name: Annotated[str | None, typer.Option(help="Only this study.", show_default="every one")] = None,
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
