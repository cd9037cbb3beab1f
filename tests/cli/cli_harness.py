"""Running ``synscale`` in-process for the command-line tests, and finding its commands."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

from synscale.cli import main
from synscale.cli.app import command

# The functions where a command's real work starts: every check of the command's input has run
# before any of them is called. The fuzz test replaces them with one that raises ``Stopped``, so a
# valid command line costs milliseconds, not minutes.
HEAVY = ("synscale.train.classifier:train_classifier", "synscale.generators.stage.render:render_batch",
         "synscale.generators.mini.training:train_mini", "synscale.engine.tasks:run_tasks",
         "synscale.clip.train:train_clip")
# An example that runs longer than this did real work that HEAVY does not stop: add its function.
SLOW_S = 60


class Stopped(BaseException):
    """Raised where heavy work would start; a BaseException so no 'record the failure and go on'
    handler of a study swallows it."""


@dataclass
class Result:
    code: int
    out: str
    err: str
    stopped: bool


def invoke(args: list[str]) -> Result:
    """``synscale ARGS`` in-process through the real entry point; ``Stopped`` counts as exit 0."""
    out, err = io.StringIO(), io.StringIO()
    code, stopped = 0, False
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except Stopped:
            stopped = True
    return Result(code, out.getvalue(), err.getvalue(), stopped)


def leaf_commands() -> dict[str, object]:
    """Every command of the real app, by its path ("study run"), found by walking the tree."""
    found: dict[str, object] = {}

    def walk(cmd: object, path: list[str]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
        else:
            found[" ".join(path)] = cmd

    walk(command(), [])
    return found




def stop(*args: object, **kwargs: object) -> None:
    raise Stopped


def dataset_folder(ws: Path) -> Path:
    return next((ws / "datasets").iterdir())
