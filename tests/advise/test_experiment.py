"""The advise section of a study end to end on the tiny study, and the paired summary."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from synscale.advise.experiment import summarise


def _tiny_study() -> dict:
    path = Path(__file__).parents[1] / "study" / "conftest.py"
    spec = importlib.util.spec_from_file_location("study_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return json.loads(json.dumps(module.TINY_STUDY))


@pytest.mark.slow  # a whole (tiny) study: about a minute of CPU
def test_adaptive_against_uniform_in_a_study(cli, tmp_path):
    study = _tiny_study() | {"name": "tiny-adaptive", "advise": {
        "predict": True, "adaptive": {"pilot": "syn", "budgets": [100], "seeds": [0, 1]}}}
    # one configuration, one seed: the smallest study with a pilot curve and per-class fits
    study["generation"]["grid"][0]["cfg"] = [4]
    study["curves"] = [c | {"scales": [50, 100, 200]} for c in study["curves"] if c["name"] == "syn"]
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(study))
    workspace = tmp_path / "ws"
    result = cli("study", "run", path, "-w", workspace, "--workers", "1", "--quiet")
    assert result.code == 0, result.err + result.out
    con = duckdb.connect(str(workspace / "results.duckdb"), read_only=True)
    # one configuration has a curve: too few to score a prediction, and nothing stored for it
    assert con.execute("SELECT count(*) FROM predict_scores").fetchone()[0] == 0
    runs = con.execute("SELECT budget, arm, seed, dataset, val_loss, predicted_loss FROM adaptive_runs"
                       " ORDER BY arm, seed").df()
    assert runs[["arm", "seed"]].values.tolist() == [["adaptive", 0], ["adaptive", 1],
                                                     ["uniform", 0], ["uniform", 1]]
    assert (runs["budget"] == 100).all() and runs["val_loss"].notna().all()
    cards = {arm: json.loads((workspace / "datasets" / name / "card.json").read_text())
             for arm, name in zip(runs["arm"], runs["dataset"])}
    assert sum(cards["uniform"]["class_counts"].values()) == 100
    assert set(cards["uniform"]["class_counts"].values()) == {10}
    assert sum(cards["adaptive"]["class_counts"].values()) == 100
    assert min(cards["adaptive"]["class_counts"].values()) >= 5  # the pilot's smallest per class
    assert cards["adaptive"]["generator_identity"] == cards["uniform"]["generator_identity"]
    # the runs trained on the whole of each dataset and are in the runs table
    trained = con.execute("SELECT count(*) FROM runs WHERE data LIKE 'syn:%plan100%' AND scale = 100"
                          ).fetchone()[0]
    assert trained == 4
    con.close()
    again = cli("study", "run", path, "-w", workspace, "--workers", "1", "--quiet")
    assert again.code == 0 and "adaptive: training" not in again.out


def test_summary_is_paired_by_seed():
    runs = pd.DataFrame({"budget": [10] * 6, "arm": ["adaptive"] * 3 + ["uniform"] * 3,
                         "seed": [0, 1, 2] * 2, "val_loss": [1.0, 2.0, 3.0, 1.5, 2.5, 3.6],
                         "predicted_loss": [0.9] * 3 + [1.0] * 3})
    (row,) = summarise(runs, level=0.95)
    assert row["difference"] == pytest.approx(-(0.5 + 0.5 + 0.6) / 3)
    # paired: the seeds' large common spread does not widen the interval (sd of differences 0.0577)
    half = 4.302653 * 0.0577350 / 3 ** 0.5
    assert row["difference_hi"] - row["difference"] == pytest.approx(half, rel=1e-4)
    assert row["predicted_adaptive"] == 0.9 and row["seeds"] == 3
