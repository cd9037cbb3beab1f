"""The task engine: outcomes in any order, failures as outcomes, never as exceptions."""

from __future__ import annotations

import math
import os

import pytest

from synscale.engine.tasks import TaskPool, run_tasks
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


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"engine": "dask"}, "unknown engine 'dask'; valid choices: local, ray"),
    ({"workers": 0}, "must be at least 1"),
    ({"address": "10.0.0.1:6379"}, "--address needs --engine ray"),
])
def test_bad_pools_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        TaskPool(**kwargs)
