"""Per-class fits and the scaling / easy / poor grouping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synscale.errors import DataError
from synscale.scaling.classes import class_fits, group_classes


def test_grouping_rule() -> None:
    # Six classes: perf_ref top third -> easy; else k >= median -> scaling; else poor.
    k = np.array([0.9, 0.1, 0.5, 0.6, 0.2, 0.3])
    perf = np.array([-0.1, -0.2, -1.0, -1.2, -2.0, -1.5])
    assert group_classes(k, perf).tolist() == ["easy", "easy", "scaling", "scaling", "poor", "poor"]


def test_every_class_gets_exactly_one_group() -> None:
    rng = np.random.default_rng(0)
    groups = group_classes(rng.normal(size=99), rng.normal(size=99))
    counts = pd.Series(groups).value_counts()
    assert counts.sum() == 99 and counts["easy"] == 33
    assert set(counts.index) == {"easy", "scaling", "poor"}


def test_class_fits_recover_per_class_slopes() -> None:
    scales = np.array([125, 250, 500, 1000, 2000])
    # class: (k, loss at D_I = 1000)
    true = {
        0: (0.6, 1.5),
        1: (0.1, 0.2),
        2: (0.5, 3.0),
        3: (0.05, 2.5),
        4: (0.3, 0.5),
        5: (0.02, 4.0),
    }
    rows = [
        {"class_id": c, "D": d, "loss": loss * (d / 1000) ** -k}
        for c, (k, loss) in true.items()
        for d in scales
    ]
    fits = class_fits(pd.DataFrame(rows), ref_scale=1000)
    assert fits["class_id"].tolist() == list(true)
    assert fits["k"].to_numpy() == pytest.approx([k for k, _ in true.values()])
    assert fits["perf_ref"].to_numpy() == pytest.approx(
        [-np.log(loss) for _, loss in true.values()]
    )
    assert fits["group"].tolist() == ["scaling", "easy", "scaling", "poor", "easy", "poor"]


def test_per_class_losses_must_be_positive() -> None:
    frame = pd.DataFrame({"class_id": [0, 0, 0], "D": [1, 2, 4], "loss": [1.0, 0.0, 0.5]})
    with pytest.raises(DataError, match="loss must be > 0"):
        class_fits(frame)
