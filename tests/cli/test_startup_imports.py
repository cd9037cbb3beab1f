"""Heavy imports happen only where they are used (issue 17): informational commands and a rerun
of finished work start without torch and its model libraries. Each command runs in a fresh
interpreter, and the test reads which modules it imported; no timing is involved."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("torch", "timm", "torchvision", "diffusers", "open_clip", "transformers", "sklearn",
         "webdataset", "scipy", "pandas", "pyarrow", "matplotlib")
MANIFEST_READERS = ("pandas", "pyarrow")  # the generate rerun reads the Parquet manifest
PROBE = f"""
import json, sys
from synscale.cli.app import run
code = run(sys.argv[1:])
print(json.dumps({{"code": code, "heavy": sorted(m for m in {HEAVY!r} if m in sys.modules)}}))
"""


def imported_heavy(args: list[str]) -> list[str]:
    """The heavy modules ``synscale ARGS`` imported, in a fresh interpreter (it must succeed)."""
    done = subprocess.run([sys.executable, "-c", f"import synscale.cli\n{PROBE}", *args],
                          capture_output=True, text=True, check=False)
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["code"] == 0, done.stderr
    return last["heavy"]


@pytest.mark.parametrize("args", [["--help"], ["train", "--help"], ["worlds"], ["strategies"],
                                  ["world-info", "mini"]])
def test_informational_commands_import_no_heavy_library(args):
    assert imported_heavy(args) == []


def test_results_of_a_workspace_import_no_heavy_library(tiny_workspace: Path):
    assert imported_heavy(["results", "-w", str(tiny_workspace)]) == []


def test_a_rerun_of_a_finished_curve_imports_no_heavy_library(tiny_workspace: Path):
    fast = ["--set", "recipe.schedule.small_iterations=10", "--set", "recipe.schedule.large_iterations=12",
            "--set", "recipe.schedule.min_iterations=5"]
    assert imported_heavy(["train", "--scales", "20,40", "-w", str(tiny_workspace), "--quiet", *fast]) == []


def test_a_rerun_of_a_finished_dataset_imports_no_model_library(tiny_workspace: Path):
    """The rerun checks every shard against the manifest's hashes (plain tar and sha256) and
    names the dataset from the generator's identity (weights hash and sampler settings): no
    torch, webdataset or diffusers. Reading the manifest still takes pandas and pyarrow."""
    heavy = imported_heavy(["generate", "--per-class", "2", "--set", "batch_size=10",
                            "--set", "shard_size=20", "-w", str(tiny_workspace), "--quiet"])
    assert [m for m in heavy if m not in MANIFEST_READERS] == []


def test_the_probe_sees_a_heavy_import():
    """The check above is not vacuous: a command that does load images reports torch."""
    assert "torch" in imported_heavy(["prompts", "--strategy", "captions", "--classes", "0",
                                      "--per-class", "1", "--quiet"])
