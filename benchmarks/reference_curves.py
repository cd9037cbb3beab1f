"""Held-out RMSE of log loss per law on published learning curves (Alabdulmohsin et al. 2022
protocol: fit the Training=1 points, predict the held-out larger scales).

Run: .venv/bin/python benchmarks/reference_curves.py   (a few minutes on 2 busy cores)
Prints a readable table on stderr and one JSON line on stdout. Needs ../shared/reference-curves
(or SYNSCALE_SHARED). Every law is fitted to exactly the same points; ``m4`` is the authors'
estimator M4 reimplemented here (their start, local least squares on their objective).
"+range" fits from the smallest scale chosen by forward validation on the last two training
scales (synscale.scaling.extrapolate.choose_fit_start).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import json
import sys
import time

import numpy as np

from synscale.scaling import fit_curve
from synscale.scaling.extrapolate import choose_fit_start, heldout_error
from synscale.scaling.reference import load_alabdulmohsin, load_bnsl, reference_dir

LAWS = ("power", "saturating", "broken", "m4")
METHODS = [(law, False) for law in LAWS] + [(law, True) for law in LAWS]
N_BOOT = 200


def score(train, heldout, law: str, choose_range: bool) -> dict[str, float]:
    if choose_range:
        train = train.select(train.D >= choose_fit_start(train, law))
    fit = fit_curve(train, law, n_boot=N_BOOT)
    check = heldout_error(fit, heldout)
    return {
        "rmse_log": check.rmse_log,
        "coverage": check.coverage,
        "converged": fit.converged,
        "fit_from_D": float(train.D.min()),
    }


def main() -> None:
    directory = reference_dir()
    if not directory.is_dir():
        print(json.dumps({"benchmark": "reference_curves", "skipped": f"{directory} not found"}))
        return
    start = time.perf_counter()
    names = [law + ("+range" if chosen else "") for law, chosen in METHODS]
    rows = []
    for name, train, heldout in load_alabdulmohsin(directory):
        results = {
            label: score(train, heldout, law, chosen)
            for label, (law, chosen) in zip(names, METHODS)
        }
        rows.append(
            {
                "curve": name,
                "fit_points": len(train.D),
                "heldout_points": len(heldout.D),
                "results": results,
            }
        )
    mean = {
        label: float(np.mean([r["results"][label]["rmse_log"] for r in rows])) for label in names
    }
    coverage = {
        label: float(np.mean([r["results"][label]["coverage"] for r in rows])) for label in names
    }
    _, bnsl_train, bnsl_heldout = load_bnsl(directory)
    bnsl = {law: score(bnsl_train, bnsl_heldout, law, False) for law in LAWS}
    bnsl["broken"]["break_D"] = fit_curve(bnsl_train, "broken", n_boot=0).params["d1"]
    best = min((label for label in names if not label.startswith("m4")), key=mean.get)

    _print_table(rows, names, mean, coverage, bnsl)
    print(
        json.dumps(
            {
                "benchmark": "reference_curves",
                "metric": "heldout RMSE of log loss",
                "curves": rows,
                "mean": mean,
                "mean_heldout_coverage": coverage,
                "best_synscale_method": best,
                "best_mean": mean[best],
                "m4_mean": mean["m4"],
                "best_at_least_as_good_as_m4": mean[best] <= mean["m4"],
                "bnsl_4digit_addition": bnsl,
                "seconds": round(time.perf_counter() - start, 1),
            }
        )
    )


def _print_table(rows, names, mean, coverage, bnsl) -> None:
    width = max(len(r["curve"]) for r in rows)
    out = [f"{'curve':{width}}  " + "  ".join(f"{n:>16}" for n in names)]
    for r in rows:
        out.append(
            f"{r['curve']:{width}}  "
            + "  ".join(f"{r['results'][n]['rmse_log']:16.4f}" for n in names)
        )
    out.append(f"{'mean':{width}}  " + "  ".join(f"{mean[n]:16.4f}" for n in names))
    out.append(f"{'PI coverage':{width}}  " + "  ".join(f"{coverage[n]:16.2f}" for n in names))
    out.append(
        "BNSL 4-digit addition: "
        + ", ".join(f"{law} {v['rmse_log']:.4f}" for law, v in bnsl.items())
        + f"; broken break at D = {bnsl['broken']['break_D']:.0f}"
    )
    print("\n".join(out), file=sys.stderr)


if __name__ == "__main__":
    main()
