import itertools
import math

import pytest

from synscale.config import build
from synscale.errors import ConfigError
from synscale.train.schedule import Schedule


def test_iterations_are_linear_in_log_scale():
    s = Schedule(small_scale=100, small_iterations=200, large_scale=10000, large_iterations=600)
    assert s.iterations(100) == 200 and s.iterations(10000) == 600
    assert s.iterations(1000) == 400  # halfway in log D
    steps = [s.iterations(d) for d in (100, 200, 400, 800)]
    diffs = {b - a for a, b in itertools.pairwise(steps)}
    assert max(diffs) - min(diffs) <= 1  # equal steps per doubling, up to rounding
    assert s.iterations(31) == round(200 - 400 * math.log(100 / 31) / math.log(100))  # extends the line
    assert s.iterations(10) == s.min_iterations  # the line reaches 0 there: floored


def test_floor_for_tiny_scales():
    assert Schedule(min_iterations=77).iterations(1) == 77


def test_invalid_end_points():
    with pytest.raises(ConfigError, match="small_scale < large_scale"):
        build(Schedule, {"small_scale": 500, "large_scale": 100})
