"""Fuzz every command (issue 15): generated arguments never give a traceback.

The commands are discovered by walking the real Typer/click app, so a command added later is
fuzzed too. Each example draws options of the command with values at and beyond the edges
(random text, NaN, infinities, huge and negative numbers, paths of every kind, malformed YAML and
CSV files), sometimes drops a required argument or adds an unknown option, and runs it in-process.
It must exit 0 or 2 (1 only where documented), print at most 3 lines of error, name only options
the command has, and leave no partial artifact in the workspace. Heavy work is stopped where it
would start (conftest.HEAVY), after every check of the input.
"""

from __future__ import annotations

import math
import re
import shutil
import signal
from pathlib import Path

import pytest
from cli_harness import SLOW_S, dataset_folder, invoke, leaf_commands
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

COMMANDS = leaf_commands()
# Exit 1 is documented for these: regenerate's byte mismatch, a study whose runs failed.
EXIT_1_OK = {"regenerate", "study run"}
# Values that start remote or multi-process machinery are not drawn (a Ray cluster per example).
NEVER = {"ray"}
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")

TOKENS = ["mini", "imagenet", "real", "syn:x", "real100+syn:mini", "real5+syn:", "mini-pixel",
          "mini-latent", "diffusers", "classname", "word2sen", "captions", "power", "broken", "val",
          "sketch", "runs", "fits", "0,1", "1,2,3", "20,40", "-1,5", "", " ", "*", "[", "**/x",
          "../..", "a=b", "recipe.lr=0.1", "recipe.lr=.nan", "scales=[20]", "cfg=.inf", "x.y=1",
          "per_class=0", "-1", "nan", "inf", "1e400", "0x10", "✓", "a\nb", "pixel", "latent"]
# Plausible values by parameter name, drawn two times in three, so that examples get past the
# first check and reach the deeper ones (a path key names a file of ``_files``).
SANE = {"workspace": ["@ws"], "dataset": ["@dataset", "mini-pixel", "real:val"], "study_file": ["@study"],
        "curves": ["@csv"], "config": ["@ok-yaml"], "out_file": ["@new"], "csv": ["@new"],
        "out_dir": ["@new"], "world": ["mini"], "generator": ["mini-pixel"], "prompts": ["classname"],
        "strategy": ["classname"], "data": ["real", "syn:mini-pixel"], "scales": ["20", "20,40"],
        "seed": ["0"], "per_class": ["1", "2"], "cfg": ["1.0"], "steps": ["2"], "law": ["power"],
        "table": ["runs", "fits"], "curve": ["real"], "synthetic": ["real"], "real": ["real"],
        "set_": ["recipe.lr=0.1", "cfg=1"], "set_name": ["val"], "name": ["tiny"], "family": ["pixel"],
        "minutes": ["0.01"], "level": ["0.9"], "ref_scale": ["20"], "holdout_last": ["1"],
        "boot": ["5"], "workers": ["1"], "threads": ["1"], "image_id": ["0", "3"], "classes": ["0,1"],
        "model": ["mini_resnet"], "captioner": ["attributes"], "pairs": ["web"], "show": ["2"]}
INTS = [-(2**63), -1, 0, 1, 2, 3, 20, 2**31, 2**63, 10**30]
FLOATS = [math.nan, math.inf, -math.inf, -0.0, 0.0, 1e-300, 0.5, 1.0, 2.0, 1e308, -3.0]


def _files(root: Path, ws: Path) -> dict[str, Path]:
    """Paths of every kind, made fresh for one example under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "file.txt").write_text("hello\n")
    (root / "dir").mkdir(exist_ok=True)
    (root / "bad.yaml").write_text("a: [1,\n")
    (root / "list.yaml").write_text("- 1\n- 2\n")
    (root / "keys.yaml").write_text("recipe:\n  learning_rate: x\nscales: [20]\n")
    (root / "inf.yaml").write_text("cfg: .inf\nper_class: 1\n")
    (root / "ok.yaml").write_text("seed: 0\n")
    (root / "study.yaml").write_text(
        "name: tiny\nreference_scale: 20\nmeasure:\n  per_class: 2\ngeneration:\n  grid:\n"
        "    - generator: [mini-pixel]\n      cfg: [1]\n      prompts: [classname]\n"
        "curves:\n  - name: r\n    data: real\n    scales: [20]\n")
    (root / "curves.csv").write_text("curve,D,loss\na,10,2.0\na,20,1.5\na,40,1.2\na,80,1.0\n")
    (root / "bad.csv").write_text("curve,D\nx,notanumber\n")
    (root / "empty.csv").write_text("")
    return {"ws": ws, "dataset": dataset_folder(ws), "new": root / "new" / "x", "file": root / "file.txt",
            "through-file": root / "file.txt" / "sub", "dir": root / "dir", "bad-yaml": root / "bad.yaml",
            "list-yaml": root / "list.yaml", "keys-yaml": root / "keys.yaml",
            "inf-yaml": root / "inf.yaml", "ok-yaml": root / "ok.yaml",
            "study": root / "study.yaml", "csv": root / "curves.csv", "bad-csv": root / "bad.csv",
            "empty-csv": root / "empty.csv", "glob": root / "dir" / "**" / "[x", "dev-full": Path("/dev/full"),
            "dev-null": Path("/dev/null")}


def _value(draw, param, paths: dict[str, Path]) -> list[str]:
    """One drawn value (as command-line text) for ``param``."""
    desc = param.type_descriptor
    annotation = str(desc.annotation)
    if param.name in SANE and draw(st.integers(0, 2)) > 0:
        value = draw(st.sampled_from(SANE[param.name]))
        return [str(paths[value[1:]]) if value.startswith("@") else value]
    if getattr(desc, "choices", None):
        pool = [c for c in desc.choices if c not in NEVER]
        return [draw(st.sampled_from(pool) | st.sampled_from(TOKENS))]
    if "Path" in annotation:
        return [str(draw(st.sampled_from(sorted(paths.values()))))]
    if "int" in annotation:
        return [str(draw(st.sampled_from(INTS) | st.integers(-3, 60)))]
    if "float" in annotation:
        return [repr(draw(st.sampled_from(FLOATS) | st.floats(-10, 1e4)))]
    return [draw(st.sampled_from(TOKENS) | st.text(max_size=10) | st.sampled_from(
        [str(p) for p in paths.values()]))]


def _args(draw, cmd, paths: dict[str, Path]) -> list[str]:
    args: list[str] = []
    for param in cmd.params:
        # Sometimes a required argument is missing.
        if param.param_type_name == "argument" and draw(st.integers(0, 9)) > 0:
            args += _value(draw, param, paths)
    options = [p for p in cmd.params if p.param_type_name == "option"]
    for param in draw(st.lists(st.sampled_from(options), unique_by=id, max_size=6)) if options else []:
        flag = param.opts[-1] if len(param.opts[-1]) > 2 else param.opts[0]
        if getattr(param, "is_flag", False):
            args.append(draw(st.sampled_from([*param.opts, *param.secondary_opts])))
            continue
        for _ in range(draw(st.integers(1, 2)) if param.multiple else 1):
            args += [flag, *_value(draw, param, paths)]
    if draw(st.integers(0, 7)) == 0:  # an option the command does not have, or a stray value
        args.insert(draw(st.integers(0, len(args))), draw(st.sampled_from(["--bogus", "extra", "-x"])))
    return args


class TooSlow(BaseException):
    pass


def _too_slow(signum, frame):
    raise TooSlow(f"one command ran over {SLOW_S} s: it does real work that conftest.HEAVY "
                  "does not stop; add the function where its work starts")


def _listing(root: Path) -> dict[str, int]:
    """Every path under ``root`` with its size (the store's size too: a refused command writes
    nothing, not even an empty store)."""
    return {str(p.relative_to(root)): p.stat().st_size if p.is_file() else -1 for p in root.rglob("*")}


def _leftovers(root: Path) -> list[Path]:
    """Temporary (half-built) artifacts, and artifact folders without their completion marker."""
    bad = [p for p in root.rglob(".tmp-*")]
    for kind in ("datasets", "runs", "references"):
        if (root / kind).is_dir():
            bad += [p for p in (root / kind).iterdir() if p.is_dir() and not p.name.startswith(".")
                    and not (p / "config.json").is_file()]
    return bad


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_fuzz_command(name, tiny_workspace, heavy_work_stopped, tmp_path, monkeypatch):
    cmd = COMMANDS[name]
    allowed = {opt for p in cmd.params for opt in [*p.opts, *p.secondary_opts]} | {"--help"}
    monkeypatch.chdir(tmp_path)  # default output paths (e.g. mini train-generator --out) land here
    counter = iter(range(10**6))

    # No shrinking: a failure is reported as drawn, and make test stays bounded.
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def check(data):
        root = tmp_path / f"e{next(counter)}"
        ws = root / "ws"
        shutil.copytree(tiny_workspace, ws)
        paths = _files(root, ws)
        args = [*name.split(), *_args(data.draw, cmd, paths)]
        before = _listing(root)
        signal.signal(signal.SIGALRM, _too_slow)
        signal.alarm(SLOW_S)
        try:
            result = invoke(args)
        finally:
            signal.alarm(0)
        allowed_codes = {0, 2} | ({1} if name in EXIT_1_OK else set())
        assert result.code in allowed_codes, (args, result.code, result.err[-2000:])
        assert "Traceback" not in result.err, (args, result.err[-2000:])
        if result.code == 2:
            lines = [line for line in result.err.splitlines() if line.strip()]
            assert 1 <= len(lines) <= 3, (args, result.err)
            assert lines[-1].startswith("error: ") or "Usage" in result.err, (args, result.err)
            named = set(OPTION.findall(lines[-1])) - allowed - set(args)
            assert not named, (args, f"error names options {named} that {name!r} lacks", lines[-1])
            assert _listing(root) == before, (args, "a refused command changed the files",
                                              sorted(set(_listing(root)) ^ set(before)))
        assert not _leftovers(ws), (args, _leftovers(ws))
        shutil.rmtree(root, ignore_errors=True)

    check()
