"""The train stage starts the longest runs first, so that no long run starts last."""

from __future__ import annotations

from synscale.engine.tasks import TaskPool
from synscale.study import runner
from synscale.study.config import load_study
from synscale.study.plan import build_plan
from synscale.workspace import Workspace


def test_runs_are_submitted_longest_first_by_steps_and_model_cost(study_writer, tmp_path,
                                                                  monkeypatch):
    # Only real curves are ready (no dataset generated); the wide model costs 2x per image.
    path = study_writer(tmp_path, curves=[
        {"name": "real", "data": "real", "scales": [50, 100, 200]},
        {"name": "wide", "data": "real", "model": "mini_resnet_wide", "scales": [50, 100]}])
    workspace = Workspace(tmp_path / "ws")
    plan = build_plan(load_study(path), workspace)
    submitted = []

    def record(function, tasks, pool):
        submitted.extend(tasks)
        yield from ()

    monkeypatch.setattr(runner, "run_tasks", record)
    with workspace.store() as store:
        runner._train(plan, store, TaskPool(), runner.StudyReport("tiny"), True, lambda _: None)
    # 20, 27 and 33 steps at scales 50, 100, 200 (the tiny study's schedule), batch 32.
    assert [(t.recipe.model, t.scale, t.iterations) for t in submitted] == [
        ("mini_resnet_wide", 100, 27), ("mini_resnet_wide", 50, 20),
        ("mini_resnet", 200, 33), ("mini_resnet", 100, 27), ("mini_resnet", 50, 20)]
    costs = [runner.expected_cost(t) for t in submitted]
    assert costs == sorted(costs, reverse=True) and costs[0] == 27 * 32 * 2.0


def test_clip_runs_are_submitted_most_captions_first(monkeypatch):
    from types import SimpleNamespace

    from synscale.clip import study as clip_study

    recipe = SimpleNamespace(epochs=3)
    tasks = [SimpleNamespace(run_id=f"r{scale}", scale=scale, recipe=recipe) for scale in (100, 400, 200)]
    submitted = []

    def record(function, ready, pool):
        submitted.extend(ready)
        yield from ()

    monkeypatch.setattr(clip_study, "get_clip_run", lambda store, run_id: None)
    monkeypatch.setattr(clip_study, "run_tasks", record)
    clip_study._train(tasks, None, TaskPool(), None, lambda _: None)
    assert [t.scale for t in submitted] == [400, 200, 100]
