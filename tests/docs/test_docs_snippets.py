"""Documentation that cannot go stale (issue 17): every ``synscale ...`` command line in the README
and docs/*.md parses against the real command (each option exists, each value converts), and
every Python block runs against a tiny workspace, in a namespace that gives its free names
(``world``, ``workspace``, ``D``, ``loss``, ...) tiny values. The files are read when the tests
run, so a page another helper adds is covered without touching this file."""

from __future__ import annotations

import ast
import builtins
import re
import shlex
from pathlib import Path

import pytest
from typer._click.exceptions import UsageError

from synscale.cli.app import command
from synscale.errors import SynscaleError

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\s*\n(.*?)^```", re.DOTALL | re.MULTILINE)
INLINE = re.compile(r"(?<!`)`(synscale [^`]+)`(?!`)")
def _blocks(page: Path) -> list[tuple[str, str, int]]:
    text = page.read_text()
    return [(m.group(1), m.group(2), text[:m.start()].count("\n") + 1) for m in FENCE.finditer(text)]


def _command_lines() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        text = page.read_text()
        for lang, body, line in _blocks(page):
            if lang in ("bash", "sh", "shell", "console", ""):
                joined = re.sub(r"\\\n\s*", " ", body)
                for n, raw in enumerate(joined.splitlines()):
                    raw = raw.strip().removeprefix("$ ")
                    if raw.startswith("synscale ") or raw == "synscale":
                        found.append((f"{page.name}:{line + n}", raw))
        for m in INLINE.finditer(text):
            found.append((f"{page.name}:{text[:m.start()].count(chr(10)) + 1}", m.group(1)))
    return found


def _python_blocks() -> list[tuple[str, str]]:
    return [(f"{page.name}:{line}", body) for page in PAGES for lang, body, line in _blocks(page)
            if lang in ("python", "py")]


def _tokens(line: str) -> list[str]:
    """The arguments of one documented command line, placeholders made concrete: optional
    ``[...]`` parts dropped, ``a|b`` alternatives take the first, ``<name>``, ``...`` and
    UPPERCASE placeholders become a value every option type accepts."""
    line = re.sub(r"\s*\[[^\]]*\]", "", line.split(" #")[0])
    line = re.split(r"\s+(?:\||&&|;|>)\s+", line)[0]
    line = re.sub(r"<[^>]*>", "x", line)
    tokens = []
    for token in shlex.split(line)[1:]:
        if token == "...":
            continue
        token = token.split("|")[0] if "|" in token and not token.startswith("--set") else token
        tokens.append("1" if re.fullmatch(r"[A-Z][A-Z0-9_]*", token) else token)
    return tokens


@pytest.mark.parametrize("where, line", _command_lines(), ids=lambda v: v if ":" in str(v) else "")
def test_documented_command_parses(where, line):
    tokens = _tokens(line)
    cmd, path = command(), ["synscale"]
    while getattr(cmd, "commands", None) and tokens and tokens[0] in cmd.commands:
        path.append(tokens[0])
        cmd = cmd.commands[tokens.pop(0)]
    if getattr(cmd, "commands", None) and tokens and not tokens[0].startswith("-"):
        pytest.fail(f"{where}: {line!r}: no command {tokens[0]!r} in {' '.join(path)}")
    if not tokens:  # a mention of the command by name ("`synscale study run` makes it")
        return
    try:
        cmd.make_context(" ".join(path), tokens)
    except UsageError as exc:
        pytest.fail(f"{where}: {line!r}: {exc.format_message()}")
    except SynscaleError as exc:  # an option callback refused a value
        pytest.fail(f"{where}: {line!r}: {exc}")
    except Exception as exc:  # --help and friends exit after printing
        if type(exc).__name__ not in ("Exit",):
            raise


def _free_names(code: str) -> set[str]:
    tree = ast.parse(code)
    bound = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound


@pytest.mark.parametrize("where, code", _python_blocks(), ids=lambda v: v if ":" in str(v) else "")
def test_documented_python_runs(where, code, doc_namespace, tmp_path, monkeypatch):
    monkeypatch.chdir(doc_namespace["__cwd__"])
    missing = _free_names(code) - set(doc_namespace)
    assert not missing, f"{where}: the block uses {sorted(missing)}, which neither it nor the " \
                        "test's namespace (tests/docs/conftest.py) defines"
    exec(compile(code, where, "exec"), dict(doc_namespace))  # noqa: S102  (the docs' own code)


def test_every_page_is_scanned():
    """The extraction finds blocks at all (a changed fence style would silently test nothing)."""
    assert len(_command_lines()) >= 20 and len(_python_blocks()) >= 3


def _include_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("include_measured", ROOT / "scripts" / "include_measured.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_measured_tables_are_the_files_the_benchmarks_wrote():
    """A page's measured block equals its file in docs/measured/ (run
    ``python scripts/include_measured.py`` after a benchmark), and each file says how, where
    and when it was measured."""
    include = _include_script()
    blocks = [(page, name, copy) for page in PAGES for name, copy in include.included(page.read_text())]
    assert blocks, "no page includes a measured table"
    for page, name, copy in blocks:
        source = include.MEASURED / f"{name}.md"
        assert source.is_file(), f"{page.name} includes {name}, but {source} does not exist"
        assert copy == source.read_text(), (f"{page.name}: the {name} table differs from {source}; "
                                            "run python scripts/include_measured.py")
    for source in include.MEASURED.glob("*.md"):
        first = source.read_text().splitlines()[0]
        assert re.search(r"`python (benchmarks|scripts)/\S+\.py[^`]*`", first), source
        assert re.search(r"\d{4}-\d{2}-\d{2}", first) and "CPU" in first, source
