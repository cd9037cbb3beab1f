import duckdb
import pytest

from synscale.store import ResultsStore, RunRecord, SetMetrics


def record(run_id: str, scale: int, loss: float, per_class: bool = True) -> RunRecord:
    classes = [{"class_id": c, "loss": loss + c, "top1": 0.5, "n": 10} for c in range(2)] if per_class else []
    sets = {"val": SetMetrics(loss, 0.9, 20, classes), "sketch": SetMetrics(2 * loss, 0.5, 20, [])}
    return RunRecord(run_id, "mini", "real", "mini_resnet", scale, 0, 100, 1000.0, 0.01, 1.0,
                     {"scale": scale}, sets)


def test_round_trip_curves_and_class_curves(tmp_path):
    with ResultsStore(tmp_path / "r.duckdb") as store:
        store.add_run(record("a", 100, 0.5))
        store.add_run(record("b", 200, 0.3, per_class=False))  # a set without per-class rows
        assert store.has_run("a") and not store.has_run("c")
        back = store.get_run("a")
        assert back is not None and back.summary() == record("a", 100, 0.5).summary()
        assert back.sets["val"].per_class[1]["loss"] == 1.5
        curves = store.curves("sketch")
        assert curves[["curve", "D", "loss"]].values.tolist() == [
            ["mini/real/mini_resnet", 100, 1.0], ["mini/real/mini_resnet", 200, 0.6]]
        assert len(store.class_curves("val")) == 2
    with ResultsStore(tmp_path / "r.duckdb") as store:  # persisted
        assert store.runs()["scale"].tolist() == [100, 200]


def test_a_failed_insert_leaves_no_partial_run(tmp_path):
    with ResultsStore(tmp_path / "r.duckdb") as store:
        store.add_run(record("a", 100, 0.5))
        with pytest.raises(duckdb.ConstraintException):
            store.add_run(record("a", 100, 0.5))  # duplicate primary key
        assert len(store.table("set_metrics")) == 2 and len(store.table("class_metrics")) == 2
