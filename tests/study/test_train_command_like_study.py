"""``synscale train`` trains a run as a study does: the same run id holds the same weights
whichever command trained it (docs/training.md#throughput)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from synscale.store import RunRecord, SetMetrics
from synscale.threads import torch_threads

SCHEDULE = {"small_scale": 20, "small_iterations": 15, "large_scale": 40, "large_iterations": 25,
            "min_iterations": 10}


def weights(workspace: Path) -> dict[str, bytes]:
    """Every stored run's weights file, by run id."""
    con = duckdb.connect(str(workspace / "results.duckdb"), read_only=True)
    try:
        run_ids = [row[0] for row in con.execute("SELECT run_id FROM runs").fetchall()]
    finally:
        con.close()
    folders = {p.name.rsplit("-", 1)[-1]: p for p in (workspace / "runs").iterdir()}
    return {run_id: (folders[run_id] / "model.safetensors").read_bytes() for run_id in run_ids}


def test_a_run_of_synscale_train_has_the_weights_of_the_same_run_in_a_study(cli, study_writer,
                                                                           tmp_path):
    study = study_writer(tmp_path, name="real", generation={}, recipe={"batch_size": 32,
                                                                        "schedule": SCHEDULE},
                         curves=[{"name": "real", "data": "real", "scales": [20, 30, 40]}])
    # Two threads in this process: what the runs train with must not come from the caller.
    with torch_threads(2):
        result = cli("study", "run", study, "-w", tmp_path / "study", "--workers", "1", "--quiet")
        assert result.code in (0, 1), result.err  # 1: a fit of three tiny runs may fail
        schedule = [a for k, v in SCHEDULE.items() for a in ("--set", f"recipe.schedule.{k}={v}")]
        trained = cli("train", "--world", "mini", "--data", "real", "--scales", "20,30,40",
                      "--set", "recipe.batch_size=32", *schedule, "-w", tmp_path / "train", "--json")
    assert trained.code == 0, trained.err
    assert [r["scale"] for r in trained.json_lines()] == [20, 30, 40]
    by_study, by_train = weights(tmp_path / "study"), weights(tmp_path / "train")
    assert len(by_study) == 3 and by_train.keys() == by_study.keys()
    assert all(by_train[run_id] == by_study[run_id] for run_id in by_study)


def test_a_failed_run_of_a_curve_fails_only_itself_then_the_command(tmp_path, monkeypatch):
    from synscale.engine.tasks import TaskPool
    from synscale.errors import DataError, SynscaleError
    from synscale.train import runs
    from synscale.workspace import Workspace

    def execute(task, quiet=True):
        if task.scale == 20:
            raise DataError("shard 3 is damaged")
        return RunRecord(task.run_id, task.world, task.data.name, task.recipe.model, task.scale,
                         task.seed, task.iterations, 1.0, 0.0, 0.0, task.identity,
                         {"val": SetMetrics(1.0, 0.5, 10, [])}, task.scale, 0)

    monkeypatch.setattr(runs, "execute_run", execute)
    monkeypatch.setattr(runs, "curve_pool", lambda setup: TaskPool())  # in this process
    workspace = Workspace(tmp_path)
    records = runs.run_curve(runs.CurveConfig(scales=[10, 20, 30]), workspace, concurrent=True)
    assert next(records).scale == 10
    with pytest.raises(SynscaleError, match=r"run mini-real-mini_resnet-D20-s0 failed: "
                                            r"DataError: shard 3 is damaged"):
        next(records)
    with workspace.store() as store:  # the runs that did not fail are stored
        assert sorted(store.query("SELECT scale FROM runs")["scale"]) == [10, 30]
