"""Shared pieces of the ``synscale`` command: the Typer app, common options, output, and the
entry point that turns every user error into one line (docs/cli.md)."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table
from typer._click import Command, Context
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.exceptions import Abort

from synscale.errors import ConfigError, SynscaleError, missing_extra

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Scaling laws of synthetic images for model training (Fan et al. 2023).")
# Tables in a pipe or log keep their full width instead of rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() else 200)

def choices(kind: str) -> str:
    """The names of one registered kind, for a help text: read from the registry itself, which
    lists its names without importing the components (docs/cli.md)."""
    return ", ".join(_registered(kind))


def _registered(kind: str) -> list[str]:
    if kind == "mini_model":
        from synscale.train.models import MINI_MODELS

        return sorted(MINI_MODELS)
    module, attr = REGISTRIES[kind].split(":")
    return getattr(import_module(module), attr).names()


# Where the names of each kind shown in help texts come from.
REGISTRIES = {"world": "synscale.worlds:WORLDS", "generator": "synscale.generators:GENERATORS",
              "prompts": "synscale.prompts:STRATEGIES", "captioner": "synscale.prompts:CAPTIONERS",
              "law": "synscale.scaling:LAWS"}


Engine = Literal["local", "ray"]
WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", help="Workspace directory.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object per line on stdout.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", metavar="KEY=VALUE", show_default=False,
    help="Override a config key (dotted, e.g. recipe.lr=0.1); repeatable; beats the file and flags.")]


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


def command() -> Command:
    """The click command tree of ``app``, with flags shown as flags (typer labels them <bool>)."""
    root = typer.main.get_command(app)
    _polish(root)
    return root


def run(argv: list[str] | None = None) -> int:
    """Run ``synscale ARGV``; a usage or user error is one line on stderr and exit code 2."""
    try:
        code = command().main(args=argv, prog_name="synscale", standalone_mode=False)
    except NoArgsIsHelpError as exc:
        if exc.message:  # typer's rich help has been printed already; plain help has not
            print(exc.message, file=sys.stderr)
        return 2
    except UsageError as exc:
        where = f" (see: {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
        print(f"error: {_one_line(exc.format_message())}{where}", file=sys.stderr)
        return 2
    except Abort:
        print("error: aborted", file=sys.stderr)
        return 1
    except SynscaleError as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # an optional extra's package, imported where it is used
        if (missing := missing_extra(exc)) is None:
            raise
        print(f"error: {missing}", file=sys.stderr)
        return 2
    except ValueError as exc:  # a config built from user values outside config.load_config
        from pydantic import ValidationError

        from synscale.config import validation_message

        if not isinstance(exc, ValidationError):
            raise
        print(f"error: {_one_line(validation_message(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:  # the file system said no (not a directory, no space, no permission)
        print(f"error: {_one_line(os_error(exc))}", file=sys.stderr)
        return 2
    return code if isinstance(code, int) else 0


def os_error(exc: OSError) -> str:
    """One line naming the path and the cause of a file-system error."""
    cause = exc.strerror or str(exc)
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{' -> '.join(paths)}: {cause}" if paths else cause


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _polish(cmd: Command) -> None:
    """Conventions every command gets, including commands added later: flags show no type, every
    float option refuses NaN and infinities (before its range check, so the message says so),
    and a refused value is quoted in the message."""
    ctx = Context(cmd, info_name=cmd.name)
    for param in [*cmd.params, cmd.get_help_option(ctx)]:
        if getattr(param, "is_flag", False):
            param.metavar = ""  # a flag takes no value: show none
        elif hasattr(param, "process_value"):
            param.process_value = _checked(param, param.process_value)
    for sub in getattr(cmd, "commands", {}).values():
        _polish(sub)


def _takes_floats(param: object) -> bool:
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    return annotation is float or annotation == list[float]


def _checked(param: object, process: Callable[[Context, Any], Any]) -> Callable[[Context, Any], Any]:
    floats = _takes_floats(param)

    def process_value(ctx: Context, value: Any) -> Any:
        items = value if isinstance(value, list | tuple) else [value]
        for item in items if floats else []:
            try:
                number = float(item) if isinstance(item, str) else None
            except ValueError:
                continue  # not a number at all: the option's own conversion says so
            if number is not None and not math.isfinite(number):
                raise typer.BadParameter(f"must be a finite number, got {item}", ctx=ctx, param=param)
        try:
            return process(ctx, value)
        except typer.BadParameter as exc:
            given = ", ".join(str(i) for i in items if isinstance(i, str))
            exc.message = exc.message.removeprefix("Value error, ")
            if given and given not in exc.message:
                exc.message = f"{exc.message.rstrip('.')}; got {given!r}"
            raise

    return process_value
