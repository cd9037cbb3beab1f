"""The ``synscale report`` command: the study's HTML report and the paper's findings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synscale.cli.app import WorkspaceOpt, app, out, print_json, print_table


@app.command(epilog="Example: synscale report -w ws")
def report(
    workspace: WorkspaceOpt = Path("workspace"),
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="HTML file to write.", show_default="<workspace>/report/report.html")] = None,
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
