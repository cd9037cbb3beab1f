"""The ``synscale`` command: each command parses its options, calls one function, prints.

One module per group of commands registers them on the shared Typer ``app``. User errors
(``SynscaleError``) and usage errors print one line and exit with code 2; no traceback
(``app.run``; docs/cli.md).
"""

from __future__ import annotations

import sys
from importlib import import_module

from synscale.cli.app import app, run

# Each module registers its commands on ``app`` when imported, in the order --help lists them.
COMMAND_MODULES = ("world", "generation", "training", "study", "scaling", "report", "clip", "advise")
for _module in COMMAND_MODULES:
    import_module(f"synscale.cli.{_module}")

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    sys.exit(run(argv))
