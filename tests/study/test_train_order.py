"""CLIP runs start with the most captions, so that no long run starts last (the train stage's
order is tested in tests/invariants/test_study_invariants.py)."""

from __future__ import annotations

from synscale.engine.tasks import TaskPool


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
