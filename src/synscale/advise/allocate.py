"""Spend a generation budget per class (``synscale allocate``).

Model. A pilot curve's per-class fits (``class_fits``: Eq. 2 per class, k_c and
``perf_ref_c = -log L_c(D_I)``, with D the total scale of a class-balanced set) give each class a
power law in its own image count n = D / C:

    L_c(n) = a_c * n^(-k_c) + floor_c,    a_c = exp(-perf_ref_c) * (D_I / C)^(k_c)

(``floor_c`` is 0 for the power law). The predicted validation loss of counts n_1 .. n_C is
``sum_c w_c L_c(n_c)`` with w_c the class's share of the validation set (1 / C when balanced).
The allocation minimises it subject to ``sum_c n_c = N`` and ``minimum <= n_c``, n_c integer.

Method. Greedy marginal gains: every class starts at ``minimum``; each of the remaining images
goes to the class whose predicted loss falls most from one more image (a heap, O(N log C)). When
every L_c is convex in n, the marginal gains of a class never increase, and greedy is exactly
optimal for such separable convex resource allocation (Gross 1956; Ibaraki & Katoh, *Resource
Allocation Problems*, 1988, ch. 4). ``a_c n^(-k)`` is convex for k >= 0; a class whose pilot k is
negative (its loss rose with data) is given k = 0: the model never expects data to hurt, and
such a class stays at the minimum.

Assumptions, stated because they can fail: a class's loss depends only on its own count (a
skewed set also moves the classifier's prior, which the per-class fits of a balanced pilot do
not see), and the fitted power law holds outside the pilot's range of per-class counts
(``minimum`` can keep every class within it).

Per-class configuration (optional): with per-class fits of several configurations, each class
takes the configuration whose law predicts the lowest loss at the uniform share N / C, then the
counts are allocated on the chosen laws. This two-stage rule is a heuristic, not the joint
optimum (the minimum over configurations of convex laws is not convex).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synscale.errors import ConfigError, DataError


@dataclass(frozen=True)
class ClassLaw:
    """L(n) = a * n^(-k) + floor for one class, n = its number of images."""

    class_id: int
    a: float
    k: float
    floor: float = 0.0
    weight: float = 1.0  # share of the validation set
    config: str | None = None  # the generation configuration the law was fitted on

    def loss(self, n: float) -> float:
        return self.a * n ** (-max(self.k, 0.0)) + self.floor


@dataclass(frozen=True)
class Allocation:
    budget: int
    minimum: int
    laws: tuple[ClassLaw, ...]
    counts: tuple[int, ...]

    @property
    def predicted_loss(self) -> float:
        return predicted_loss(self.laws, self.counts)

    def rows(self) -> list[dict[str, object]]:
        return [{"class_id": law.class_id, "count": n, "config": law.config, "a": law.a, "k": law.k,
                 "predicted_loss": law.loss(n)} for law, n in zip(self.laws, self.counts)]


def predicted_loss(laws: Sequence[ClassLaw], counts: Sequence[int]) -> float:
    """The validation loss the laws predict for these counts (class losses weighted by share)."""
    weights = np.array([law.weight for law in laws], float)
    losses = np.array([law.loss(n) for law, n in zip(laws, counts)])
    return float(weights @ losses / weights.sum())


def allocate(laws: Sequence[ClassLaw], budget: int, minimum: int = 1) -> Allocation:
    """The counts that minimise the predicted loss for ``budget`` images (greedy marginal gains)."""
    laws = tuple(laws)
    if not laws:
        raise DataError("no per-class laws to allocate with")
    if minimum < 1:
        raise ConfigError(f"the minimum per class must be at least 1, got {minimum}")
    if budget < minimum * len(laws):
        raise ConfigError(f"--budget {budget} is below {len(laws)} classes x {minimum} "
                          f"image(s) each = {minimum * len(laws)}")
    for law in laws:
        if not (law.a > 0 and math.isfinite(law.a) and math.isfinite(law.k) and law.weight > 0):
            raise DataError(f"class {law.class_id}: law a={law.a:g}, k={law.k:g}, weight="
                            f"{law.weight:g} cannot be allocated on")
    counts = [minimum] * len(laws)

    def gain(i: int) -> float:
        law = laws[i]
        return law.weight * (law.loss(counts[i]) - law.loss(counts[i] + 1))

    heap = [(-gain(i), i) for i in range(len(laws))]  # ties go to the lower index
    heapq.heapify(heap)
    for _ in range(budget - minimum * len(laws)):
        _, i = heapq.heappop(heap)
        counts[i] += 1
        heapq.heappush(heap, (-gain(i), i))
    return Allocation(budget, minimum, laws, tuple(counts))


def uniform(laws: Sequence[ClassLaw], budget: int) -> Allocation:
    """The same budget spread evenly (the first ``budget mod C`` classes get one more)."""
    laws = tuple(laws)
    base, extra = divmod(budget, len(laws))
    if base < 1:
        raise ConfigError(f"--budget {budget} is below the number of classes ({len(laws)})")
    return Allocation(budget, base, laws, tuple(base + (i < extra) for i in range(len(laws))))


def laws_from_fits(fits: pd.DataFrame, ref_scale: float, weights: dict[int, float] | None = None,
                   config: str | None = None) -> list[ClassLaw]:
    """Per-class laws in the image count of each class from ``class_fits`` rows (``class_id, k,
    perf_ref``) of a balanced pilot curve with reference scale D_I."""
    if fits.empty:
        raise DataError("the pilot curve has no per-class fits")
    classes = len(fits)
    laws = []
    for row in fits.sort_values("class_id").itertuples():
        if not (np.isfinite(row.k) and np.isfinite(row.perf_ref)):
            raise DataError(f"class {row.class_id}: per-class fit is not finite (k={row.k}, "
                            f"perf_ref={row.perf_ref})")
        a = math.exp(-row.perf_ref) * (ref_scale / classes) ** max(row.k, 0.0)
        weight = (weights or {}).get(int(row.class_id), 1.0 / classes)
        laws.append(ClassLaw(int(row.class_id), a, float(row.k), 0.0, weight, config))
    return laws


def best_config_per_class(laws_by_config: dict[str, list[ClassLaw]], budget: int) -> list[ClassLaw]:
    """For each class, the law (of any configuration) with the lowest loss at the uniform share."""
    tables = list(laws_by_config.values())
    ids = [law.class_id for law in tables[0]]
    if any([law.class_id for law in laws] != ids for laws in tables):
        raise DataError("configurations' per-class fits cover different classes")
    share = budget / len(ids)
    return [min((laws[i] for laws in tables), key=lambda law: (law.loss(share), law.config or ""))
            for i in range(len(ids))]
