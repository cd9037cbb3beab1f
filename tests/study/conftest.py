"""A tiny study (seconds) written to a file, and a snapshot of a results store for comparisons."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import yaml

# Two configurations, a real, a synthetic and a mixed curve; runs of 20-40 steps.
TINY_STUDY = {
    "name": "tiny",
    "world": "mini",
    "reference_scale": 200,
    "reference": {"schedule": {"small_iterations": 60, "large_iterations": 60, "min_iterations": 60}},
    "measure": {"per_class": 10},
    "generation": {"batch_size": 100, "shard_size": 200,
                   "grid": [{"generator": ["mini-pixel"], "cfg": [1, 4], "prompts": ["classname"]}]},
    "recipe": {"batch_size": 32, "schedule": {"small_scale": 50, "small_iterations": 20,
                                              "large_scale": 400, "large_iterations": 40,
                                              "min_iterations": 10}},
    "curves": [
        {"name": "real", "data": "real", "scales": [50, 100, 200]},
        {"name": "syn", "data": "pixel-classname-cfg4", "scales": [50, 100, 200, 400]},
        {"name": "mix", "data": "pixel-classname-cfg4", "real": 100, "scales": [0, 100, 200]},
    ],
}
RUNS = 2 + 3 + 3 + 3  # grid (its cfg4 run is also syn's D=200 run), real, syn, mix


def write_study(folder: Path, **changes: object) -> Path:
    study = json.loads(json.dumps(TINY_STUDY)) | changes
    path = folder / f"{study['name']}.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def study_writer():
    """``write_study(folder, **changes)``: the tiny study with top-level keys replaced."""
    return write_study


@pytest.fixture(scope="session")
def snapshot():
    """``store_snapshot(workspace)``: every stored result without timings."""
    return store_snapshot


@pytest.fixture(scope="session")
def tiny_study_file(tmp_path_factory) -> Path:
    return write_study(tmp_path_factory.mktemp("study"))


@pytest.fixture(scope="session")
def tiny_study_workspace(tmp_path_factory, tiny_study_file) -> Path:
    """The tiny study run once, in this process (local engine, one worker)."""
    from synscale.cli import main

    workspace = tmp_path_factory.mktemp("ws") / "tiny"
    try:
        main(["study", "run", str(tiny_study_file), "-w", str(workspace), "--workers", "1",
              "--quiet"])
    except SystemExit as exc:
        assert exc.code in (0, None), f"the tiny study failed ({exc.code})"
    return workspace


def store_snapshot(workspace: Path) -> dict[str, list[tuple]]:
    """Every result a study stores, without timings and timestamps, in a fixed order."""
    con = duckdb.connect(str(workspace / "results.duckdb"), read_only=True)
    queries = {
        "runs": "SELECT run_id, data, model, scale, real_images, synthetic_images, seed, iterations,"
                " val_loss, val_top1 FROM runs ORDER BY run_id",
        "set_metrics": "SELECT * FROM set_metrics ORDER BY run_id, set_name",
        "class_metrics": "SELECT * FROM class_metrics ORDER BY run_id, set_name, class_id",
        "dataset_metrics": "SELECT * FROM dataset_metrics ORDER BY dataset",
        "dataset_class_metrics": "SELECT * FROM dataset_class_metrics ORDER BY dataset, class_id",
        "fits": "SELECT curve, set_name, law, result FROM fits ORDER BY curve, set_name, law",
        "class_fits": "SELECT * FROM class_fits ORDER BY curve, set_name, class_id",
        "exchange_rates": "SELECT * FROM exchange_rates ORDER BY synthetic, set_name, D_real",
        "failures": "SELECT stage, item FROM study_failures ORDER BY stage, item",
    }
    try:
        return {name: con.execute(sql).fetchall() for name, sql in queries.items()}
    finally:
        con.close()
