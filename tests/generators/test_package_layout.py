"""The generators package's import structure: backends never import the generation stage or the
engines, and the engines import only the stage's units of work (plan, render), so there is no
import cycle between the engines and the generators."""

from __future__ import annotations

import ast
from pathlib import Path

import synscale

SRC = Path(synscale.__file__).parent


def imported_modules(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return out


def test_backends_import_neither_the_stage_nor_the_engines() -> None:
    backends = [SRC / "generators" / "base.py", SRC / "generators" / "diffusers_backend.py",
                *sorted((SRC / "generators" / "mini").glob("*.py"))]
    for path in backends:
        bad = {m for m in imported_modules(path)
               if m.startswith(("synscale.engine", "synscale.generators.stage"))}
        assert not bad, f"{path.name} imports {bad}"


def test_engines_import_only_the_stages_units_of_work() -> None:
    for path in sorted((SRC / "engine").glob("*.py")):
        stage = {m for m in imported_modules(path) if m.startswith("synscale.generators")}
        assert stage <= {"synscale.generators.stage.plan", "synscale.generators.stage.render"}, \
            f"{path.name} imports {stage}"
    for unit in ("plan.py", "render.py"):
        assert not {m for m in imported_modules(SRC / "generators" / "stage" / unit)
                    if m.startswith("synscale.engine")}
