"""Shared pieces of the ``synscale`` command: the Typer app, common options and output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from synscale.errors import ConfigError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Scaling laws of synthetic images for model training (Fan et al. 2023).")
# Tables in a pipe or log keep their full width instead of rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() else 200)

WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", help="Workspace directory.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object per line on stdout.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override a config key: a.b=c.")]


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

