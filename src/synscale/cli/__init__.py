"""The ``synscale`` command: each command parses its options, calls one function, prints.

One module per group of commands registers them on the shared Typer ``app``. User errors
(``SynscaleError``) print one line and exit with code 2; no traceback.
"""

from __future__ import annotations

import sys
from importlib import import_module

from synscale.cli.app import app
from synscale.errors import SynscaleError

# Each module registers its commands on ``app`` when imported, in the order --help lists them.
COMMAND_MODULES = ("world", "generation", "training", "study", "scaling", "report")
for _module in COMMAND_MODULES:
    import_module(f"synscale.cli.{_module}")

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    try:
        app(args=argv)
    except SynscaleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
