"""The task engine: outcomes in any order, failures as outcomes, never as exceptions."""

from __future__ import annotations

import math
import operator
import os

import pytest

from synscale.engine.tasks import TaskPool, kept_workers, run_tasks
from synscale.errors import ConfigError


@pytest.mark.parametrize("workers", [1, 2])
def test_values_and_errors_come_back_by_task_index(workers):
    outcomes = dict(run_tasks(math.sqrt, [4.0, -1.0, 9.0], TaskPool("local", workers, 1)))
    assert sorted(outcomes) == [0, 1, 2]
    assert outcomes[0].value == 2.0 and outcomes[2].value == 3.0
    assert not outcomes[1].ok and outcomes[1].error.startswith("ValueError: math domain error")


def test_a_worker_that_dies_is_a_failed_outcome_not_a_crash():
    outcomes = dict(run_tasks(os._exit, [3, 3], TaskPool("local", 2, 1)))
    assert sorted(outcomes) == [0, 1]
    assert all("worker process died" in o.error for o in outcomes.values())


def _worker_pids(pool: TaskPool) -> set[int]:
    return {o.value for _, o in run_tasks(operator.call, [os.getpid] * 4, pool)}


def test_kept_workers_serve_every_call_and_stop_with_the_block():
    pool = TaskPool("local", 2, 1)
    with kept_workers(pool):
        seen = _worker_pids(pool) | _worker_pids(pool) | _worker_pids(pool)
        assert os.getpid() not in seen and len(seen) <= 2  # without keeping: new ones per call
    for pid in seen:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert _worker_pids(pool).isdisjoint(seen)  # outside the block: a pool of its own


def test_a_kept_pool_whose_worker_died_is_started_again():
    pool = TaskPool("local", 2, 1)
    with kept_workers(pool):
        died = dict(run_tasks(os._exit, [3, 3], pool))
        assert all("worker process died" in o.error for o in died.values())
        after = dict(run_tasks(math.sqrt, [4.0, 9.0], pool))
        assert [after[i].value for i in (0, 1)] == [2.0, 3.0]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"engine": "dask"}, "unknown engine 'dask'; valid choices: local, ray"),
    ({"workers": 0}, "must be at least 1"),
    ({"address": "10.0.0.1:6379"}, "--address needs --engine ray"),
])
def test_bad_pools_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        TaskPool(**kwargs)
