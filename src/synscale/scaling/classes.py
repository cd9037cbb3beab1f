"""Per-class scaling (paper 4.6, Figures 6 and 7): k and performance at D_I for every class.

Each class's loss curve is fitted with Eq. 2, giving its scaling ability ``k`` and its
performance at the reference scale ``perf_ref = -log L_{D_I}`` (the axes of Figure 6). Classes
are then grouped by where they sit in that scatter, relative to the other classes:

- ``easy``: performance at D_I in the top third of the classes (``perf_ref`` at or above its
  ``easy_quantile`` = 2/3 quantile) - good already, whatever the slope;
- ``scaling``: not easy, and ``k`` at or above the median ``k`` (``scaling_quantile`` = 0.5) -
  weaker at D_I but improving fast with more data;
- ``poor``: the rest - below-median scaling ability and not among the best performers.

Every class falls in exactly one group; the thresholds are quantiles over the classes, so the
rule needs no units and compares classes of one curve with each other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synscale.errors import DataError
from synscale.scaling.curves import curves_from_frame
from synscale.scaling.fit import fit_curve

GROUPS = ("scaling", "easy", "poor")


def group_classes(
    k: np.ndarray, perf_ref: np.ndarray, easy_quantile: float = 2 / 3, scaling_quantile: float = 0.5
) -> np.ndarray:
    """The group of each class from its scaling ability and its performance at D_I."""
    k, perf_ref = np.asarray(k, float), np.asarray(perf_ref, float)
    if k.shape != perf_ref.shape or k.size == 0:
        raise DataError("group_classes needs one k and one perf_ref per class")
    easy = perf_ref >= np.quantile(perf_ref, easy_quantile)
    scaling = ~easy & (k >= np.quantile(k, scaling_quantile))
    return np.where(easy, "easy", np.where(scaling, "scaling", "poor"))


def class_fits(
    class_curves: pd.DataFrame, ref_scale: float | None = None, level: float = 0.95
) -> pd.DataFrame:
    """Fit Eq. 2 per class of one curve: ``class_id, k, k_lo, k_hi, perf_ref, perf_ref_se, group``.

    ``class_curves`` has the columns ``class_id, D, loss`` (and optionally ``seed``), as
    ``ResultsStore.class_curves`` returns them for one curve.
    """
    missing = {"class_id", "D", "loss"} - set(class_curves.columns)
    if missing:
        raise DataError(f"per-class curves: missing column(s) {', '.join(sorted(missing))}")
    table = class_curves.assign(curve=class_curves["class_id"].astype(str))
    rows = []
    for curve in curves_from_frame(
        table[[c for c in ("curve", "D", "loss", "seed") if c in table]], source="per-class curves"
    ):
        fit = fit_curve(curve, "power", ref_scale=ref_scale, level=level)
        rows.append(
            {
                "class_id": int(curve.name),
                "k": fit.k,
                "k_lo": fit.k_ci[0],
                "k_hi": fit.k_ci[1],
                "perf_ref": fit.params["perf_ref"],
                "perf_ref_se": fit.stderr["perf_ref"],
            }
        )
    out = pd.DataFrame(rows).sort_values("class_id", ignore_index=True)
    out["group"] = group_classes(out["k"].to_numpy(), out["perf_ref"].to_numpy())
    return out
