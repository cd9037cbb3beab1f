"""Commands that fit and compare scaling curves: fit, classes, exchange."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synscale.cli.app import JsonOpt, WorkspaceOpt, app, choices, print_json, print_table
from synscale.errors import ConfigError

# D_I of the per-class and exchange commands: a study's own reference scale unless given.
StudyRefScaleOpt = Annotated[float | None, typer.Option(
    "--ref-scale", min=0, help="D_I (> 0).", show_default="the study's, else the real pool's size")]


@app.command(epilog="Example: synscale fit -w ws --law power --law broken")
def fit(
    curves: Annotated[Path | None, typer.Option(
        help="CSV file with columns curve,D,loss[,seed].")] = None,
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", "-w", help="Fit every curve stored in this workspace.")] = None,
    law: Annotated[list[str] | None, typer.Option(
        help=f"Scaling law: {choices('law')}; repeat to fit several.", show_default="power")] = None,
    ref_scale: Annotated[float | None, typer.Option(
        "--ref-scale", min=0, help="Reference scale D_I of Eq. 2 (> 0).",
        show_default="geometric mean of D")] = None,
    holdout_last: Annotated[int | None, typer.Option(
        "--holdout-last", min=1, help="Fit without the last N scales; score them.")] = None,
    choose_range: Annotated[bool, typer.Option(
        "--choose-range", help="Drop small scales when forward validation says so.")] = False,
    boot: Annotated[int, typer.Option(min=0, help="Bootstrap refits for nonlinear laws.")] = 1000,
    level: Annotated[float, typer.Option(
        min=0, max=1, help="Confidence level of the intervals (between 0 and 1).")] = 0.95,
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


@app.command(epilog="Example: synscale classes -w ws --curve syn-best --json")
def classes(
    curve: Annotated[str, typer.Option(help="Curve: a study's short name or a data value (prefix ok).")],
    set_name: Annotated[str, typer.Option("--set", help="Evaluation set.")] = "val",
    ref_scale: StudyRefScaleOpt = None,
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

        from synscale.workspace import writable_file

        pd.DataFrame(rows).to_csv(writable_file(csv, "--csv"), index=False)
    if json_:
        for row in rows:
            print_json(row)
        return
    print_table([{k: (" .. ".join(f"{x:.3g}" for x in v) if k.endswith("_ci") else v)
                  for k, v in row.items()} for row in rows], f"classes of {curve} ({set_name})")


@app.command(epilog="Example: synscale exchange -w ws --synthetic syn-best")
def exchange(
    synthetic: Annotated[str, typer.Option(help="Synthetic curve (short name or data value).")],
    real: Annotated[str | None, typer.Option(
        help="Real curve.", show_default="the real curve of the same model")] = None,
    set_name: Annotated[str, typer.Option("--set", help="Evaluation set.")] = "val",
    ref_scale: StudyRefScaleOpt = None,
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
