"""A study's entries: each planned run has its own identity, and the store holds exactly the runs
asked for, each under its own id, seed and scale.

The planning tests build plans only (no image is made or trained). The runner tests run real
studies in which training is replaced by a stand-in whose validation loss follows a known power
law (k = 0.3, with a per-seed factor): so the runner's bookkeeping, store and fits are tested in
seconds, and a fit that does not return k = 0.3 means the runner fed it the wrong runs.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from types import SimpleNamespace

import pandas as pd
import pytest
import torch

from synscale.config import build
from synscale.engine import tasks as tasks_module
from synscale.engine.tasks import TaskPool
from synscale.errors import ConfigError, SynscaleError
from synscale.store import RunRecord, SetMetrics
from synscale.study import runner
from synscale.study.config import StudyConfig
from synscale.study.plan import build_plan
from synscale.train import runs
from synscale.train.recipe import TrainRecipe
from synscale.train.runs import CurveConfig, plan_runs
from synscale.train.setup import TrainSetup
from synscale.workspace import Workspace

K = 0.3
BASE = {
    "name": "inv", "world": "mini", "reference_scale": 20, "ood": [],
    "measure": {"per_class": 2},
    "reference": {"schedule": {"small_iterations": 1, "large_iterations": 1, "min_iterations": 1}},
    "generation": {"steps": 1, "batch_size": 10, "shard_size": 10,
                   "grid": [{"generator": ["mini-pixel"], "cfg": [2], "prompts": ["classname"]}]},
    "recipe": {"batch_size": 8},
    "analysis": {"exchange": False},
    "curves": [{"name": "real", "data": "real", "scales": [50, 100, 200], "seeds": [0, 1]},
               {"name": "syn", "data": "pixel-classname-cfg2", "scales": [10, 20, 40]}],
}


def study(**changes: object) -> StudyConfig:
    data = json.loads(json.dumps(BASE))
    for key, value in changes.items():  # "a.b" keys reach into sections
        node, *path = data, *key.split(".")
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    return build(StudyConfig, data)


def runs_by_curve(config: StudyConfig, workspace: Workspace) -> dict[str, set[str]]:
    plan = build_plan(config, workspace)
    out: dict[str, set[str]] = {}
    for run_id, curves in plan.run_curves.items():
        for curve in curves:
            out.setdefault(curve, set()).add(run_id)
    return out


# --- planning ---------------------------------------------------------------------------------

def test_every_planned_run_is_its_own_entry(tmp_path):
    plan = build_plan(study(), Workspace(tmp_path))
    keys = {(t.data.name, t.scale, t.seed) for t in plan.runs.values()}
    # real x 2 seeds, syn x 3 scales; the grid's run at D_I = 20 is syn's run at 20
    assert len(keys) == len(plan.runs) == 3 * 2 + 3
    assert ["grid", "syn"] in [sorted(curves) for curves in plan.run_curves.values()]
    assert all(t.run_id == rid for rid, t in plan.runs.items())
    assert {t.seed for t in plan.runs.values() if t.data.name == "real"} == {0, 1}


@pytest.mark.parametrize(("change", "moved", "kept"), [
    ({"curves": [dict(BASE["curves"][0], seeds=[2, 3]), BASE["curves"][1]]}, {"real"}, {"syn", "grid"}),
    ({"grid_seeds": [1]}, {"grid"}, {"real", "syn"}),
    ({"reference_scale": 80}, {"grid", "syn"}, {"real"}),  # a larger D_I: a larger dataset
    ({"generation.seed": 1}, {"grid", "syn"}, {"real"}),
    ({"generation.steps": 2}, {"grid", "syn"}, {"real"}),
    ({"generation.grid": [dict(BASE["generation"]["grid"][0], prompts=["clip_templates_7"])],
      "curves": [BASE["curves"][0], dict(BASE["curves"][1], data="pixel-clip_templates_7-cfg2")]},
     {"grid", "syn"}, {"real"}),
    ({"recipe.lr": 0.01}, {"grid", "syn", "real"}, set()),
    ({"curves": [dict(BASE["curves"][0], recipe={"batch_size": 8, "lr": 0.01}), BASE["curves"][1]]},
     {"real"}, {"grid", "syn"}),
])
def test_a_change_moves_exactly_the_entries_it_decides(tmp_path, change, moved, kept):
    """Changing a study moves the runs it decides to new ids and leaves every other run (and so
    its stored result) where it was."""
    workspace = Workspace(tmp_path)
    before = runs_by_curve(study(), workspace)
    after = runs_by_curve(study(**change), workspace)
    for curve in moved:
        assert not before[curve] & after[curve], curve
    for curve in kept:
        assert before[curve] == after[curve], curve


def test_datasets_follow_seed_cfg_and_steps(tmp_path):
    workspace = Workspace(tmp_path)
    base = build_plan(study(), workspace).datasets["pixel-classname-cfg2"].path
    for change in ({"generation.seed": 3}, {"generation.steps": 2}):
        assert build_plan(study(**change), workspace).datasets["pixel-classname-cfg2"].path != base
    cfg = {"generation.grid": [dict(BASE["generation"]["grid"][0], cfg=[3])],
           "curves": [BASE["curves"][0], dict(BASE["curves"][1], data="pixel-classname-cfg3")]}
    assert build_plan(study(**cfg), workspace).datasets["pixel-classname-cfg3"].path != base
    assert build_plan(study(), Workspace(tmp_path)).datasets["pixel-classname-cfg2"].path == base


def test_measurements_are_keyed_by_the_reference_that_made_them(tmp_path):
    workspace = Workspace(tmp_path)
    keys = {build_plan(study(**c), workspace).reference_key for c in (
        {}, {"reference.seed": 1},
        {"reference.schedule": {"small_iterations": 2, "large_iterations": 2, "min_iterations": 1}})}
    assert len(keys) == 3


# --- running ----------------------------------------------------------------------------------

def loss_of(scale: int, seed: int) -> float:
    return 2.0 * (scale / 100) ** -K * (1 + 0.01 * seed)


def fake_run(task) -> RunRecord:
    """A run's record without training: the loss law above, per-class losses around it."""
    total, real, synthetic = task.data.sizes(task.scale)
    loss = loss_of(total, task.seed)
    per_class = [{"class_id": c, "loss": loss * (1 + 0.05 * c), "top1": 0.5, "n": 10}
                 for c in range(10)]
    sets = {"val": SetMetrics(loss, 0.5, 100, per_class)}
    return RunRecord(task.run_id, task.world, task.data.name, task.recipe.model or "", total,
                     task.seed, task.iterations, 1.0, 0.0, 0.0, task.identity, sets, real, synthetic)


@pytest.fixture
def trained(monkeypatch):
    """Training replaced by ``fake_run``; returns the list of tasks it was asked to train."""
    calls: list = []

    def execute(task, quiet: bool = True) -> RunRecord:
        calls.append(task)
        return fake_run(task)

    monkeypatch.setattr(runner, "execute_run", execute)
    return calls


def run(config: StudyConfig, workspace: Workspace):
    return runner.run_study(config, workspace, TaskPool("local", 1, 1), quiet=True, log=lambda m: None)


REAL_ONLY = {"generation.grid": [], "curves": [BASE["curves"][0]]}


def test_the_store_holds_each_run_asked_for_once_under_its_id(tmp_path, trained):
    workspace = Workspace(tmp_path)
    config = study(**REAL_ONLY)
    report = run(config, workspace)
    plan = build_plan(config, workspace)
    with workspace.store() as store:
        rows = store.query("SELECT run_id, scale, seed, val_loss FROM runs ORDER BY run_id")
        studies = store.query("SELECT study, reference_scale FROM studies")
        curves = store.query("SELECT name, curve, kind FROM study_curves")
    assert sorted(rows["run_id"]) == sorted(plan.runs) and report.made == {"train": 6}
    for row in rows.itertuples():
        task = plan.runs[row.run_id]
        assert (row.scale, row.seed) == (task.scale, task.seed)
        assert row.val_loss == pytest.approx(loss_of(task.scale, task.seed))
    longest_first = sorted(plan.runs.values(), key=runner.expected_cost, reverse=True)
    assert [t.run_id for t in trained] == [t.run_id for t in longest_first]  # each once
    assert studies.to_dict("records") == [{"study": "inv", "reference_scale": 20}]
    assert curves.to_dict("records") == [{"name": "real", "curve": "mini/real/mini_resnet",
                                          "kind": "real"}]


def test_the_study_fits_the_runs_it_stored(tmp_path, trained):
    workspace = Workspace(tmp_path)
    run(study(**REAL_ONLY), workspace)
    with workspace.store() as store:
        fits = store.query("SELECT curve, set_name, law, result FROM fits")
        classes = store.query("SELECT class_id, k FROM class_fits ORDER BY class_id")
    assert list(zip(fits["curve"], fits["set_name"], fits["law"])) == [
        ("mini/real/mini_resnet", "val", "power")]
    result = json.loads(fits["result"].iloc[0])
    assert result["k"] == pytest.approx(K, abs=1e-9)
    assert result["ref_scale"] == 20  # the study's D_I
    # log L_{D_I}: the law at D_I plus the mean over the two seeds of log(1 + 0.01 seed)
    expected = math.log(loss_of(20, 0)) + math.log(1.01) / 2
    assert -result["params"]["perf_ref"] == pytest.approx(expected, abs=1e-9)
    assert classes["class_id"].tolist() == list(range(10))
    assert classes["k"].to_numpy() == pytest.approx(K, abs=1e-6)


def test_a_two_scale_curve_is_stored_without_fits_and_without_failure(tmp_path, trained):
    # Too few scales for a power law (3): no fit, no per-class fit, and the study succeeds.
    workspace = Workspace(tmp_path)
    short = {**BASE["curves"][0], "scales": [50, 100]}
    report = run(study(**{"generation.grid": [], "curves": [short]}), workspace)
    with workspace.store() as store:
        assert store.query("SELECT * FROM class_fits").empty
        assert store.query("SELECT * FROM fits").empty
    assert report.failed == [] and report.made == {"train": 4}


def test_a_rerun_trains_and_fits_nothing(tmp_path, trained):
    workspace = Workspace(tmp_path)
    config = study(**REAL_ONLY)
    run(config, workspace)
    with workspace.store() as store:
        fits = len(store.query("SELECT * FROM fits"))
    trained.clear()
    report = run(config, workspace)
    with workspace.store() as store:
        assert len(store.query("SELECT * FROM fits")) == fits
        assert len(store.query("SELECT * FROM runs")) == 6
    assert trained == [] and report.made == {} and report.failed == []


def test_a_failed_run_is_recorded_and_only_it_is_retried(tmp_path, monkeypatch):
    workspace = Workspace(tmp_path)
    config = study(**REAL_ONLY)
    calls: list = []

    def flaky(task, quiet: bool = True) -> RunRecord:
        calls.append((task.scale, task.seed))
        if (task.scale, task.seed) == (100, 1):
            raise RuntimeError("out of memory")
        return fake_run(task)

    monkeypatch.setattr(runner, "execute_run", flaky)
    report = run(config, workspace)
    assert [f["stage"] for f in report.failed] == ["train"] and report.made == {"train": 5}
    with workspace.store() as store:
        failures = store.query("SELECT stage, item, config, error FROM study_failures")
        assert len(store.query("SELECT * FROM runs")) == 5
        assert len(store.query("SELECT * FROM fits")) == 0  # the curve is incomplete: no fit
    assert failures["stage"].tolist() == ["train"] and "out of memory" in failures["error"].iloc[0]
    assert "D100-s1" in failures["item"].iloc[0]
    task = next(t for t in build_plan(config, workspace).runs.values() if (t.scale, t.seed) == (100, 1))
    assert json.loads(failures["config"].iloc[0]) == {  # enough to rerun it by hand
        "data": "real", "scale": 100, "seed": 1, "recipe": task.recipe.model_dump(mode="json")}

    monkeypatch.setattr(runner, "execute_run", lambda task, quiet=True: calls.append(
        (task.scale, task.seed)) or fake_run(task))
    calls.clear()
    report = run(config, workspace)
    assert calls == [(100, 1)] and report.made == {"train": 1} and report.failed == []
    with workspace.store() as store:
        assert len(store.query("SELECT * FROM study_failures")) == 0
        assert len(store.query("SELECT * FROM fits")) == 1


def test_a_synthetic_configuration_is_generated_measured_and_trained_on(tmp_path, trained):
    """The whole study with real generation (1 sampling step) and real measurement (a reference
    trained for 1 step): the stages hand each other the right artifacts."""
    workspace = Workspace(tmp_path)
    config = study()
    report = run(config, workspace)
    plan = build_plan(config, workspace)
    dataset = plan.datasets["pixel-classname-cfg2"]
    assert dataset.done and report.failed == []
    assert report.made == {"generate": 1, "measure": 1, "train": len(plan.runs)}
    with workspace.store() as store:
        measured = store.query("SELECT dataset, reference, measured_per_class FROM dataset_metrics")
        runs = store.query("SELECT run_id, data FROM runs")
        configs = store.query("SELECT name, dataset FROM study_configs")
        fitted = set(store.query("SELECT DISTINCT curve FROM fits")["curve"])
    assert measured.to_dict("records") == [{"dataset": dataset.name, "reference": plan.reference_key,
                                            "measured_per_class": 2}]
    assert configs.to_dict("records") == [{"name": "pixel-classname-cfg2", "dataset": dataset.name}]
    assert set(runs["run_id"]) == set(plan.runs)
    assert {d for d in runs["data"] if d != "real"} == {f"syn:{dataset.name}"}
    assert fitted == {c.key for c in plan.curves}
    assert {t.data.synthetic for t in trained if t.data.kind == "syn"} == {str(dataset.path)}
    # `synscale train --set data=syn:NAME` finds the dataset by its name in the workspace and
    # plans the study's runs: one run id whichever command trains it.
    from synscale.train.recipe import TrainRecipe
    from synscale.train.runs import CurveConfig, plan_runs

    curve = CurveConfig(data=f"syn:{dataset.name}", scales=[10, 20, 40], recipe=TrainRecipe(batch_size=8))
    assert {t.run_id for t in plan_runs(curve, workspace)} == {
        rid for rid, names in plan.run_curves.items() if "syn" in names}


def test_status_names_what_is_done_failed_and_pending(tmp_path, monkeypatch):
    workspace = Workspace(tmp_path)
    config = study(**REAL_ONLY)
    plan = build_plan(config, workspace)
    names = sorted(t.name for t in plan.runs.values())
    broken = next(t.name for t in plan.runs.values() if (t.scale, t.seed) == (200, 0))
    assert plan.status(None)["train"] == {"done": [], "failed": [], "pending": [t.name for t in plan.runs.values()]}

    def flaky(task, quiet: bool = True) -> RunRecord:
        if task.name == broken:
            raise RuntimeError("disk full")
        return fake_run(task)

    monkeypatch.setattr(runner, "execute_run", flaky)
    report = run(config, workspace)
    assert report.as_dict() == {"study": "inv", "seconds": round(report.seconds, 1),
                                "made": {"train": 5}, "failed": report.failed}
    with workspace.store() as store:
        status = plan.status(store)
    assert status["train"]["failed"] == [broken] and status["train"]["pending"] == []
    assert sorted(status["train"]["done"] + [broken]) == names
    assert status["fit"] == {"done": [], "failed": [], "pending": ["real"]}
    assert status["generate"] == status["measure"] == {"done": [], "failed": [], "pending": []}

    monkeypatch.setattr(runner, "execute_run", lambda task, quiet=True: fake_run(task))
    run(config, workspace)
    with workspace.store() as store:
        status = plan.status(store)
    assert sorted(status["train"]["done"]) == names and status["train"]["failed"] == []
    assert status["fit"] == {"done": ["real"], "failed": [], "pending": []}


def test_a_curve_trains_only_the_runs_the_store_lacks(tmp_path, monkeypatch):
    """``synscale train``'s loop: each scale's run is found by its id or trained and stored."""
    from synscale.train import runs
    from synscale.train.runs import CurveConfig, run_curve

    trained: list = []
    monkeypatch.setattr(runs, "execute_run", lambda task, quiet=False: trained.append(
        (task.scale, task.seed)) or fake_run(task))
    workspace = Workspace(tmp_path)
    first = list(run_curve(CurveConfig(scales=[50, 100]), workspace, quiet=True))
    assert trained == [(50, 0), (100, 0)] and [r.scale for r in first] == [50, 100]
    again = list(run_curve(CurveConfig(scales=[50, 100, 200]), workspace, quiet=True))
    assert trained == [(50, 0), (100, 0), (200, 0)]
    assert [r.run_id for r in again[:2]] == [r.run_id for r in first]
    assert [r.sets["val"].loss for r in again] == pytest.approx([loss_of(s, 0) for s in (50, 100, 200)])
    other = list(run_curve(CurveConfig(scales=[50], seed=1), workspace, quiet=True))
    assert trained[-1] == (50, 1) and other[0].run_id != first[0].run_id and other[0].seed == 1
    with workspace.store() as store:
        assert len(store.query("SELECT * FROM runs")) == 4


def test_the_store_describes_the_study_its_configurations_and_curves(tmp_path):
    """The rows the report reads back: the study file itself (so a stored study can be rebuilt),
    each configuration's generation settings and each curve's world, data, model and kind; a
    rerun keeps the mark of the last analysis."""
    workspace = Workspace(tmp_path)
    config = study(curves=[BASE["curves"][0], BASE["curves"][1],
                                 {"name": "mix", "data": "pixel-classname-cfg2", "real": 50,
                                  "scales": [0, 20, 40]}])
    plan = build_plan(config, workspace)
    with workspace.store() as store:
        runner._record_study(store, plan, "study.yaml")
        store.execute("UPDATE studies SET analysed = 'digest' WHERE study = 'inv'")
        runner._record_study(store, plan, "again.yaml")
        studies = store.query("SELECT * FROM studies").to_dict("records")
        configs = store.query("SELECT * FROM study_configs").to_dict("records")
        curves = [{k: None if pd.isna(v) else v for k, v in r.items()}  # no configuration: None
                  for r in store.query("SELECT * FROM study_curves ORDER BY name").to_dict("records")]
    [row] = studies
    assert build(StudyConfig, json.loads(row["config"])) == config
    assert (row["study"], row["source"], row["reference_scale"], row["model"], row["analysed"]) == (
        "inv", "again.yaml", 20, plan.recipe.model, "digest")
    item = plan.datasets["pixel-classname-cfg2"]
    assert configs == [{"study": "inv", "name": "pixel-classname-cfg2", "dataset": item.name,
                        "generator": "mini-pixel", "cfg": 2.0, "prompts": "classname",
                        "seed": item.generate.seed, "per_class": item.generate.per_class}]
    expected = {c.name: c for c in plan.curves}
    assert [r["name"] for r in curves] == sorted(expected)
    for r in curves:
        c = expected[r["name"]]
        assert r == {"study": "inv", "name": c.name, "curve": c.key, "world": "mini",
                     "data": c.data.name, "model": plan.recipe.model, "kind": c.kind,
                     "config": c.config, "real_images": c.data.real_images}
    assert {r["kind"] for r in curves} == {"real", "syn", "mix"}
    assert {r["config"] for r in curves} == {None, "pixel-classname-cfg2"}


OOD_K = 0.2


def fake_run_with_ood(task) -> RunRecord:
    """``fake_run`` plus an OOD set whose loss follows another law (k = 0.2), so a fit that reads
    the wrong set returns the wrong k."""
    record = fake_run(task)
    total = task.data.sizes(task.scale)[0]
    loss = 3.0 * (total / 100) ** -OOD_K
    per_class = [{"class_id": c, "loss": loss, "top1": 0.5, "n": 10} for c in range(10)]
    record.sets["digits"] = SetMetrics(loss, 0.5, 100, per_class)
    return record


def test_every_curve_is_fitted_on_every_set_with_its_exchange_rate(tmp_path, monkeypatch):
    """With OOD sets and exchange rates on: each curve is fitted on val and each OOD set (each set
    with its own k), per class on val, and the synthetic curve gets its exchange rate against
    the real one on every set."""
    workspace = Workspace(tmp_path)
    real = dict(BASE["curves"][0], seeds=[0])
    config = study(ood=["digits"], analysis={"exchange": True}, curves=[real, BASE["curves"][1]])
    plan = build_plan(config, workspace)
    dataset = plan.datasets["pixel-classname-cfg2"]
    dataset.path.mkdir(parents=True)  # a finished dataset, without generating it
    (dataset.path / "config.json").write_text("{}")
    assert dataset.done
    monkeypatch.setattr(runner, "_generate", lambda *args: None)
    monkeypatch.setattr(runner, "_measure", lambda *args: None)
    monkeypatch.setattr(runner, "execute_run", lambda task, quiet=True: fake_run_with_ood(task))
    report = run(config, workspace)
    assert report.failed == []
    with workspace.store() as store:
        fits = store.query("SELECT curve, set_name, law, result FROM fits")
        classes = store.query("SELECT DISTINCT curve, set_name FROM class_fits")
        rates = store.query("SELECT DISTINCT synthetic, real, set_name FROM exchange_rates")
    keys = {c.name: c.key for c in plan.curves}
    k = {(r.curve, r.set_name): json.loads(r.result)["k"] for r in fits.itertuples()}
    assert set(fits["law"]) == {"power"}
    assert sorted(keys) == ["real", "syn"] and len(fits) == 4
    assert set(k) == {(keys[c], s) for c in ("real", "syn") for s in ("val", "digits")}
    for (_, set_name), value in k.items():
        assert value == pytest.approx(K if set_name == "val" else OOD_K, abs=1e-9)
    assert set(classes["set_name"]) == {"val"}
    assert set(classes["curve"]) == {keys["real"], keys["syn"]}
    assert sorted(rates.itertuples(index=False, name=None)) == [
        (keys["syn"], keys["real"], "digits"), (keys["syn"], keys["real"], "val")]


def test_the_clip_section_gets_the_study_and_reports_what_it_made(tmp_path, monkeypatch):
    """The study hands its CLIP section the study's world, workspace, store and pool; what the
    section made is counted per stage, and an item that fails inside it is recorded under the
    study like any other."""
    import dataclasses

    from synscale.clip import study as clip_study

    workspace = Workspace(tmp_path)
    plan = build_plan(study(**REAL_ONLY), workspace)
    section = object()
    plan = dataclasses.replace(plan, study=plan.study.model_copy(update={"clip": section,
                                                                        "world_root": "/data/mini"}))
    pool, log, seen = TaskPool("local", 1, 1), (lambda m: None), {}

    def section_run(*args):
        seen["args"] = args
        attempt = args[6]
        with attempt("clip-train", "run-1", {"scale": 5}):
            raise RuntimeError("no captions")
        return {"clip-generate": 2, "clip-train": 1}

    monkeypatch.setattr(clip_study, "run_clip_section", section_run)
    report = runner.StudyReport("inv")
    with workspace.store() as store:
        runner._clip(plan, store, pool, report, True, log)
        failures = store.query("SELECT study, stage, item, config, error FROM study_failures")
        assert seen["args"] == (section, "mini", "/data/mini", workspace, store, pool, seen["args"][6],
                                True, log)
    assert report.made == {"clip-generate": 2, "clip-train": 1}
    assert failures.to_dict("records") == [{"study": "inv", "stage": "clip-train", "item": "run-1",
                                            "config": '{"scale": 5}',
                                            "error": "RuntimeError: no captions"}]
    assert report.failed == [{"stage": "clip-train", "item": "run-1", "error": "RuntimeError: no captions"}]


def test_status_follows_each_dataset_through_generation_and_measurement(tmp_path):
    """A dataset is pending, then failed (with the failure recorded under its stage), then done,
    for generation and for measurement by this study's reference at its images per class."""
    workspace = Workspace(tmp_path)
    config = study(curves=[BASE["curves"][1]])
    plan = build_plan(config, workspace)
    item = plan.datasets["pixel-classname-cfg2"]
    name, log = "pixel-classname-cfg2", (lambda m: None)
    empty = {"done": [], "failed": [], "pending": [name]}
    assert plan.status(None)["generate"] == plan.status(None)["measure"] == empty
    with workspace.store() as store:
        report = runner.StudyReport("inv")
        runner._fail(store, plan, report, "generate", name, {}, "disk full", log)
        assert plan.status(store)["generate"] == {"done": [], "failed": [name], "pending": []}
        assert plan.status(store)["measure"] == empty
        item.path.mkdir(parents=True)
        (item.path / "config.json").write_text("{}")
        runner._clear_failure(store, "inv", "generate", name)
        runner._fail(store, plan, report, "measure", name, {}, "no reference", log)
        assert plan.status(store)["generate"] == {"done": [name], "failed": [], "pending": []}
        assert plan.status(store)["measure"] == {"done": [], "failed": [name], "pending": []}
        runner._clear_failure(store, "inv", "measure", name)
        insert = "INSERT INTO dataset_metrics (dataset, measured_per_class, reference) VALUES (?, ?, ?)"
        store.execute(insert, [item.name, 2, "another reference"])
        store.execute(insert, [item.name, 5, plan.reference_key])
        assert plan.status(store)["measure"] == empty  # not by this reference at 2 per class
        store.execute(insert, [item.name, 2, plan.reference_key])
        assert plan.status(store)["measure"] == {"done": [name], "failed": [], "pending": []}


def test_the_advise_and_clip_sections_get_the_study_and_their_failures_are_recorded(
        tmp_path, trained, monkeypatch):
    """``run_study`` hands its advise and CLIP sections the plan, store, pool, quiet flag and log
    it runs with; what the CLIP section made is counted; a failed advise step is recorded under
    the study and the others go on; the report's time is the study's own, and a study run
    without a source stores an empty one."""
    import time

    from synscale.advise import experiment
    from synscale.clip import study as clip_study
    from synscale.store import ResultsStore

    workspace = Workspace(tmp_path)
    config = study(**REAL_ONLY, advise={}, clip={"scales": [10]})
    seen: dict[str, tuple] = {}

    def advise(*args):
        seen["advise"] = args
        raise RuntimeError("no configurations to leave out")

    def clip_section(*args):
        seen["clip"] = args
        return {"clip-train": 2}

    monkeypatch.setattr(experiment, "run_advise", advise)
    monkeypatch.setattr(clip_study, "run_clip_section", clip_section)
    pool, messages = TaskPool("local", 1, 1), []
    log = messages.append
    began = time.perf_counter()
    report = runner.run_study(config, workspace, pool, quiet=True, log=log)
    elapsed = time.perf_counter() - began

    plan, store, *rest = seen["advise"]
    assert plan.study == config and plan.workspace is workspace and isinstance(store, ResultsStore)
    assert list(plan.runs) == list(build_plan(config, workspace).runs)
    assert rest[0] is pool and rest[1] is True and rest[2] is log and len(rest) == 3
    section, world, root, clip_workspace, clip_store, clip_pool, attempt, quiet, clip_log = seen["clip"]
    assert (section, world, root) == (config.clip, "mini", None) and callable(attempt)
    assert (clip_workspace, clip_store, clip_pool, quiet, clip_log) == (workspace, store, pool, True, log)
    error = "RuntimeError: no configurations to leave out"
    assert report.made == {"train": 6, "clip-train": 2}
    assert report.failed == [{"stage": "advise", "item": "advise", "error": error}]
    assert f"FAILED advise advise: {error}" in messages
    assert 0 < report.seconds <= elapsed
    with workspace.store() as store:
        failures = store.query("SELECT study, stage, item, config, error FROM study_failures")
        sources = store.query("SELECT source FROM studies")["source"].tolist()
    assert failures.to_dict("records") == [{"study": "inv", "stage": "advise", "item": "advise",
                                            "config": "{}", "error": error}]
    assert sources == [""]


def count_fits(monkeypatch) -> list[str]:
    """The curves the runner fits from now on (one entry per curve and set)."""
    fitted: list[str] = []
    fit = runner.fit_stored_curve

    def counted(store, curve, *args):
        fitted.append(curve.key)
        return fit(store, curve, *args)

    monkeypatch.setattr(runner, "fit_stored_curve", counted)
    return fitted


def test_a_rerun_fits_only_when_the_stored_runs_change(tmp_path, trained, monkeypatch):
    """A rerun with the same runs stored fits nothing; a curve added to the study is fitted on
    the next run (its runs change what is stored)."""
    workspace = Workspace(tmp_path)
    config = study(**REAL_ONLY)
    run(config, workspace)
    fitted = count_fits(monkeypatch)
    run(config, workspace)
    assert fitted == []
    vit = {"name": "vit", "data": "real", "model": "mini_vit", "scales": [50, 100, 200]}
    report = run(study(**{**REAL_ONLY, "curves": [BASE["curves"][0], vit]}), workspace)
    assert report.made == {"train": 3} and report.failed == []
    assert sorted(fitted) == ["mini/real/mini_resnet", "mini/real/mini_vit"]
    with workspace.store() as store:
        assert sorted(store.query("SELECT curve FROM fits")["curve"]) == sorted(fitted)


def test_a_failed_fit_is_recorded_shown_and_retried(tmp_path, trained, monkeypatch):
    workspace = Workspace(tmp_path)
    config = study(**REAL_ONLY)
    fit = runner.fit_stored_curve

    def broken(*args):
        raise ValueError("singular matrix")

    monkeypatch.setattr(runner, "fit_stored_curve", broken)
    report = run(config, workspace)
    error = "ValueError: singular matrix"
    assert report.failed == [{"stage": "fit", "item": "real", "error": error}]
    plan = build_plan(config, workspace)
    with workspace.store() as store:
        failures = store.query("SELECT study, stage, item, config, error FROM study_failures")
        assert plan.status(store)["fit"] == {"done": [], "failed": ["real"], "pending": []}
    assert failures.to_dict("records") == [{"study": "inv", "stage": "fit", "item": "real",
                                            "config": '{"curve": "mini/real/mini_resnet"}',
                                            "error": error}]
    monkeypatch.setattr(runner, "fit_stored_curve", fit)
    fitted = count_fits(monkeypatch)
    report = run(config, workspace)  # the same runs, but the last analysis failed: fitted again
    assert report.failed == [] and fitted == ["mini/real/mini_resnet"]
    with workspace.store() as store:
        assert plan.status(store)["fit"] == {"done": ["real"], "failed": [], "pending": []}
        assert store.query("SELECT * FROM study_failures").empty


def test_runs_wait_for_their_dataset(tmp_path, trained):
    """Runs on a configuration's dataset train only once it is generated; the real runs do not
    wait for it."""
    workspace = Workspace(tmp_path)
    plan = build_plan(study(), workspace)
    item = plan.datasets["pixel-classname-cfg2"]
    for task in plan.runs.values():
        assert plan.dataset_of(task) == (None if task.data.kind == "real" else item)
    report = runner.StudyReport("inv")
    with workspace.store() as store:
        runner._train(plan, store, TaskPool("local", 1, 1), report, True, lambda m: None)
    assert not item.done and {t.data.kind for t in trained} == {"real"}
    assert sorted(t.run_id for t in trained) == sorted(
        rid for rid, t in plan.runs.items() if t.data.kind == "real")


def test_generation_gets_the_pools_engine_and_a_failed_dataset_is_recorded(tmp_path, monkeypatch):
    """Each dataset is generated on the study's engine (Ray with the pool's workers and address;
    the local engine sizes itself); a dataset that fails is recorded with its settings."""
    from synscale import engine
    from synscale.generators.stage import dataset as stage

    workspace = Workspace(tmp_path)
    plan = build_plan(study(), workspace)
    item = plan.datasets["pixel-classname-cfg2"]
    engines, asked = [], []
    monkeypatch.setattr(engine, "make_engine", lambda *args: engines.append(args) or f"engine {len(engines)}")

    def generate(config, in_workspace, on_engine, quiet):
        asked.append((config, in_workspace.root, on_engine, quiet))
        raise RuntimeError("disk full")

    monkeypatch.setattr(stage, "generate_dataset", generate)
    local, ray = TaskPool("local", 2, 1), TaskPool("ray", 3, 1, address="ray://head:10001")
    for pool in (local, ray):
        report = runner.StudyReport("inv")
        with workspace.store() as store:
            runner._generate(plan, store, pool, report, True, lambda m: None)
            failures = store.query("SELECT study, stage, item, config, error FROM study_failures")
        assert report.made == {} and report.failed == [
            {"stage": "generate", "item": "pixel-classname-cfg2", "error": "RuntimeError: disk full"}]
        [row] = failures.to_dict("records")
        assert json.loads(row.pop("config")) == item.generate.model_dump(mode="json")
        assert row == {"study": "inv", "stage": "generate", "item": "pixel-classname-cfg2",
                       "error": "RuntimeError: disk full"}
    # One dataset: made in the driver (side by side needs two); threads: the engine's default.
    assert engines == [("local", None, None, None), ("ray", 3, "ray://head:10001", None)]
    assert asked == [(item.generate, workspace.root, "engine 1", True),
                     (item.generate, workspace.root, "engine 2", True)]


def test_measurement_uses_the_study_reference_and_is_stored_under_it(tmp_path, monkeypatch):
    """A generated dataset is measured once, at the study's images per class, by the study's
    reference (its world, recipe, seed and weights), and stored under the reference's key; a
    dataset not generated yet is not measured; a failed measurement is recorded and retried."""
    import importlib

    from synscale.data import synthetic
    from synscale.train import reference

    measure = importlib.import_module("synscale.metrics.measure")  # the package's `measure` is a function

    weights = tmp_path / "reference.safetensors"
    weights.write_bytes(b"")
    grid = [dict(BASE["generation"]["grid"][0], cfg=[2, 3])]
    workspace = Workspace(tmp_path / "ws")
    plan = build_plan(study(**{"reference.weights": str(weights), "reference.seed": 4,
                               "generation.grid": grid}), workspace)
    item = plan.datasets["pixel-classname-cfg2"]
    item.path.mkdir(parents=True)  # generated; pixel-classname-cfg3 is not
    (item.path / "config.json").write_text("{}")
    references, loads, measured = [], [], []
    monkeypatch.setattr(reference, "reference_classifier", lambda *args: references.append(args) or "ref")

    class Images:
        def __init__(self, path):
            self.path = path

        def load(self, *args):
            loads.append((self.path, args))
            return "images"

    def measure_images(*args):
        measured.append(args)
        if len(measured) == 1:
            raise RuntimeError("no memory")
        return {"images": 20, "recognizability": 0.5, "diversity": 0.25, "fid": 3.0, "per_class": []}

    monkeypatch.setattr(synthetic, "SyntheticDataset", Images)
    monkeypatch.setattr(measure, "measure_images", measure_images)
    reports = []
    with workspace.store() as store:
        for _ in range(3):
            reports.append(runner.StudyReport("inv"))
            runner._measure(plan, store, reports[-1], True, lambda m: None)
            if len(reports) == 1:
                failures = store.query("SELECT study, stage, item, config, error FROM study_failures")
        rows = store.query("SELECT dataset, measured_per_class, reference, recognizability "
                           "FROM dataset_metrics").to_dict("records")
        assert store.query("SELECT * FROM study_failures").empty
    assert failures.to_dict("records") == [{
        "study": "inv", "stage": "measure", "item": "pixel-classname-cfg2",
        "config": json.dumps({"dataset": item.name}), "error": "RuntimeError: no memory"}]
    assert [r.made for r in reports] == [{}, {"measure": 1}, {}]
    assert rows == [{"dataset": item.name, "measured_per_class": 2, "reference": plan.reference_key,
                     "recognizability": 0.5}]
    world = plan.world
    assert references == [(world, workspace, plan.reference_recipe, 4, weights, True)] * 2
    assert loads == [(item.path, (2, world.channels, world.image_size))] * 2
    assert measured == [("images", world, "ref")] * 2


def test_a_synthetic_curve_is_compared_with_the_real_curve_of_its_model(tmp_path, monkeypatch):
    """The exchange rate and per-class comparison of a synthetic curve use the real curve of the
    same model; its per-class table carries its dataset's metrics measured at the study's images
    per class; every stored rate and per-class fit is the analysis's at the study's D_I and
    level (recomputing them changes nothing)."""
    from synscale.study.analysis import StoredCurve, classes_table, exchange_table

    workspace = Workspace(tmp_path)
    vit = {"name": "real-vit", "data": "real", "model": "mini_vit", "scales": [50, 100, 200],
           "seeds": [0, 1]}
    syn = dict(BASE["curves"][1], model="mini_vit", seeds=[0, 1])
    config = study(analysis={"exchange": True, "level": 0.8}, grid_seeds=[],
                   curves=[BASE["curves"][0], vit, syn])
    plan = build_plan(config, workspace)
    item = plan.datasets["pixel-classname-cfg2"]
    item.path.mkdir(parents=True)  # a finished dataset, without generating it
    (item.path / "config.json").write_text("{}")
    monkeypatch.setattr(runner, "_generate", lambda *args: None)
    monkeypatch.setattr(runner, "_measure", lambda *args: None)
    monkeypatch.setattr(runner, "execute_run", lambda task, quiet=True: fake_run(task))

    def measured(per_class: int) -> dict:
        rows = [{"class_id": c, "class_name": str(c), "images": per_class,
                 "recognizability": per_class / 10 + c / 100, "diversity": 0.5} for c in range(10)]
        return {"images": 10 * per_class, "per_class": rows}

    with workspace.store() as store:
        for per_class in (2, 5):  # the study measures 2 per class; 5 is another measurement
            store.add_measurement(item.name, per_class, plan.reference_key, measured(per_class))
    report = run(config, workspace)
    assert report.failed == []
    curves = {c.name: StoredCurve(c.key, c.name, c.world, c.data.name, c.model, "inv")
              for c in plan.curves}
    query = {"rates": "SELECT * FROM exchange_rates ORDER BY set_name, D_real",
             "classes": "SELECT * FROM class_fits ORDER BY curve, set_name, class_id"}
    with workspace.store() as store:
        stored = {name: store.query(sql) for name, sql in query.items()}
        exchange_table(store, curves["syn"], curves["real-vit"], "val", 20, 0.8)
        for curve in curves.values():
            classes_table(store, curve, "val", 20, 0.8, 2)
        again = {name: store.query(sql) for name, sql in query.items()}
    rates, classes = stored["rates"], stored["classes"]
    assert set(rates["synthetic"]) == {curves["syn"].key} and set(rates["real"]) == {curves["real-vit"].key}
    assert (rates["rate_hi"] > rates["rate_lo"]).all()  # the seeds scatter: a real interval
    syn_classes = classes[classes["curve"] == curves["syn"].key]
    assert syn_classes["recognizability"].tolist() == pytest.approx([0.2 + c / 100 for c in range(10)])
    for name in query:
        pd.testing.assert_frame_equal(stored[name], again[name])


# --- the order and the pool of training -------------------------------------------------------

def test_the_train_stage_submits_runs_longest_first_by_steps_batch_and_model_cost(tmp_path,
                                                                                  monkeypatch):
    wide = dict(BASE["curves"][0], name="wide", model="mini_resnet_wide", scales=[50, 100],
                seeds=[0])
    workspace = Workspace(tmp_path)
    plan = build_plan(study(**{"generation.grid": [], "curves": [BASE["curves"][0], wide]}),
                      workspace)
    submitted = []

    def record(function, tasks, pool):
        submitted.extend(tasks)
        yield from ()

    monkeypatch.setattr(runner, "run_tasks", record)
    with workspace.store() as store:
        runner._train(plan, store, TaskPool(), runner.StudyReport("inv"), True, lambda _: None)
    per_image = {"mini_resnet": 1.0, "mini_resnet_wide": 2.0}
    costs = [t.iterations * t.recipe.batch_size * per_image[t.recipe.model] for t in submitted]
    assert sorted(t.run_id for t in submitted) == sorted(plan.runs)
    assert [runner.expected_cost(t) for t in submitted] == costs == sorted(costs, reverse=True)
    assert submitted[0].recipe.model == "mini_resnet_wide" != submitted[-1].recipe.model
    # A model the table does not know costs what mini_resnet does, per image.
    task = submitted[-1]
    other = dataclasses.replace(task, recipe=task.recipe.model_copy(update={"model": "resnet18"}))
    assert runner.expected_cost(other) == task.iterations * task.recipe.batch_size


def curve_tasks(tmp_path, scales=(50, 100, 200)):
    config = CurveConfig(scales=list(scales), recipe=TrainRecipe(batch_size=8))
    return config, plan_runs(config, Workspace(tmp_path))


def test_synscale_train_runs_in_the_study_pool_on_the_cpu_and_in_process_otherwise(monkeypatch):
    assert runs.curve_pool(TrainSetup()) == TaskPool.default()
    assert runs.curve_pool(TrainSetup(workers_per_run=2)) is None
    monkeypatch.setattr(TrainSetup, "torch_device", lambda self: torch.device("cuda"))
    assert runs.curve_pool(TrainSetup()) is None


@pytest.fixture
def pool_of(monkeypatch):
    """Runs trained by a stand-in; each pool task runs in this process. Returns the calls:
    (run_id, threads, quiet, pool) in the order the pool got them."""
    calls: list = []
    pools: list = []

    def execute(task, quiet: bool = True) -> RunRecord:
        calls.append((task.run_id, task.threads, quiet, pools[-1] if pools else None))
        if task.scale in failing:
            raise failing[task.scale]
        return fake_run(task)

    def run_here(function, tasks, pool):
        pools.append(pool)
        for index, task in enumerate(tasks):
            yield index, tasks_module._guarded(function, task)

    failing: dict = {}
    monkeypatch.setattr(runs, "execute_run", execute)
    monkeypatch.setattr(tasks_module, "run_tasks", run_here)
    return SimpleNamespace(calls=calls, failing=failing)


def test_a_curves_runs_go_to_its_pool_longest_first_with_the_pools_threads(tmp_path, monkeypatch,
                                                                         pool_of):
    config, tasks = curve_tasks(tmp_path)
    pool = TaskPool("local", 2, 1)
    asked = []
    monkeypatch.setattr(runs, "curve_pool", lambda setup: asked.append(setup) or pool)
    tasks = [dataclasses.replace(t, threads=3) for t in tasks]
    got = list(runs._train_runs(tasks, pool, quiet=False))
    longest_first = sorted(tasks, key=lambda t: -t.iterations)
    assert [t.run_id for t, _ in got] == [t.run_id for t in longest_first]
    assert [r.run_id for _, r in got] == [t.run_id for t in longest_first]
    # Two workers: each run trains quietly in its worker, with the pool's one thread.
    assert [(threads, quiet, p) for _, threads, quiet, p in pool_of.calls] == [(1, True, pool)] * 3
    # One worker: the run trains in this process and shows its steps unless told to be quiet.
    pool_of.calls.clear()
    list(runs._train_runs(tasks[:1], TaskPool("local", 1, 1), quiet=False))
    assert pool_of.calls[0][2] is False
    pool_of.calls.clear()
    list(runs._train_runs(tasks[:1], TaskPool("local", 1, 1), quiet=True))
    assert pool_of.calls[0][2] is True
    # In this process too: every run of a one-worker pool, and a single run of any local pool.
    pool_of.calls.clear()
    list(runs._train_runs(tasks, TaskPool("local", 1, 1), quiet=False))
    list(runs._train_runs(tasks[:1], TaskPool("local", 2, 1), quiet=False))
    assert [quiet for _, _, quiet, _ in pool_of.calls] == [False] * 4
    # run_curve(concurrent=True) asks curve_pool about the curve's setup and trains there,
    # storing every record; it yields them in scale order.
    pool_of.calls.clear()
    records = list(runs.run_curve(config, Workspace(tmp_path), quiet=True, concurrent=True))
    assert asked == [config.setup]
    assert [r.scale for r in records] == [50, 100, 200]
    assert {p for _, _, _, p in pool_of.calls} == {pool}
    with Workspace(tmp_path).store() as store:
        assert all(store.get_run(r.run_id) is not None for r in records)


def test_a_failed_run_of_a_pool_fails_only_itself_and_names_itself(tmp_path, pool_of):
    _, tasks = curve_tasks(tmp_path)
    pool = TaskPool("local", 2, 1)
    pool_of.failing[100] = ConfigError("bad data")
    done = []
    with pytest.raises(SynscaleError) as error:
        for task, _ in runs._train_runs(tasks, pool, quiet=True):
            done.append(task.scale)
    assert sorted(done) == [50, 200]
    name = next(t.name for t in tasks if t.scale == 100)
    # One failure: the run and its error, where it was raised, nothing more.
    assert re.fullmatch(rf"run {re.escape(name)} failed: ConfigError: bad data \(at .+:\d+\)",
                        str(error.value))
    # Two failures: the first one in the pool's order is named, with the count of the others;
    # an error the user did not cause is not a user error.
    pool_of.failing.update({100: RuntimeError("boom"), 50: RuntimeError("bang")})
    with pytest.raises(RuntimeError) as error:
        list(runs._train_runs(tasks, pool, quiet=True))
    assert not isinstance(error.value, SynscaleError)
    assert str(error.value).startswith(f"run {name} failed: RuntimeError: boom")
    assert str(error.value).endswith(" (and 1 other run(s))")
