"""Fit speed: 1,000 bootstrap refits of a 6-point saturating curve (goal: <= 3 s).

Run: .venv/bin/python benchmarks/fit_speed.py   (prints one JSON line; about 1 s)
The refits run as one batch of vectorised Levenberg-Marquardt problems (synscale.scaling.solver);
the full fit (multi-start, scipy polish, profile interval of k, 1,000-refit bootstrap) is timed too.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import json
import time

import numpy as np

from synscale.scaling import LAWS, Curve, fit_curve
from synscale.scaling.uncertainty import bootstrap

GOAL_SECONDS = 3.0
REFITS = 1000
REPEATS = 5


def main() -> None:
    scales = np.array([1e3, 2e3, 4e3, 8e3, 16e3, 32e3])
    loss = (0.3 + 20 * scales**-0.5) * np.exp(np.random.default_rng(0).normal(0, 0.02, len(scales)))
    curve = Curve("bench", scales, loss)
    point = fit_curve(curve, "saturating", n_boot=0)
    law = LAWS.create("saturating")
    x, y = np.log(scales) - point.x0, np.log(loss)

    times, converged = [], 0.0
    for repeat in range(REPEATS):
        start = time.perf_counter()
        converged = bootstrap(law, x, y, point.theta, False, REFITS, seed=repeat).converged_fraction
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    full = fit_curve(curve, "saturating", n_boot=REFITS)
    full_seconds = time.perf_counter() - start

    best = min(times)
    print(
        json.dumps(
            {
                "benchmark": "fit_speed",
                "law": "saturating",
                "points": len(scales),
                "bootstrap_refits": REFITS,
                "seconds_best_of_5": round(best, 4),
                "seconds_median_of_5": round(float(np.median(times)), 4),
                "refits_per_second": round(REFITS / best),
                "converged_fraction": converged,
                "full_fit_seconds": round(full_seconds, 4),
                "full_fit_converged": full.converged,
                "goal_seconds": GOAL_SECONDS,
                "meets_goal": bool(np.median(times) <= GOAL_SECONDS),
            }
        )
    )


if __name__ == "__main__":
    main()
