"""A study's configurations as one frame: cheap measurements and expensive targets.

One row per generation configuration of a study, with
- the **cheap** measurements of its dataset (``measure``, 50 images per class in the paper):
  ``recognizability``, ``diversity``, ``log_fid`` and the spread over classes (standard deviation)
  of the per-class recognizability and diversity;
- the **pilot** measurements: mean log validation loss at the two smallest scales that every
  curve shares (``small_log_loss``), the slope between them (``small_slope``, an estimate of k)
  and the straight line through them carried to D_I (``small_perf_ref``);
- the **targets**: ``k`` and ``perf_ref = -log L_{D_I}`` of the power law (Eq. 2, at the study's
  D_I) fitted to every stored run of the study's classifier on the configuration's dataset at
  scales up to D_I (the range every curve of the study covers), all seeds.

A configuration "has a curve" when it has runs at three or more scales up to D_I; the others (the
grid's runs at D_I only) have no targets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synscale.errors import ConfigError, DataError
from synscale.scaling.curves import Curve
from synscale.scaling.fit import fit_curve
from synscale.store import ResultsStore

FEATURES = ("recognizability", "diversity", "log_fid", "recognizability_spread", "diversity_spread")
PILOT = ("small_slope", "small_perf_ref", "small_log_loss")
TARGETS = ("k", "perf_ref")
MIN_CURVE_SCALES = 3


@dataclass(frozen=True)
class StudyTable:
    study: str
    reference_scale: int
    model: str
    measured_per_class: int
    small_scales: tuple[int, int] | None  # the two smallest scales every curve has
    frame: pd.DataFrame  # one row per configuration: config, dataset, FEATURES, PILOT, TARGETS

    @property
    def with_curves(self) -> pd.DataFrame:
        return self.frame[self.frame["k"].notna()].reset_index(drop=True)


def study_names(store: ResultsStore) -> list[str]:
    """Studies that have a grid of configurations."""
    return sorted(store.query("SELECT DISTINCT study FROM study_configs")["study"])


def choose_study(store: ResultsStore, name: str | None) -> str:
    """The study named, else the one with the most configurations that have curves (ties: by name)."""
    names = study_names(store)
    if not names:
        raise ConfigError("the workspace has no study grid: run `synscale study run` on a study "
                          "file with generation configurations first (e.g. examples/mini-adaptive.yaml)")
    if name is not None:
        if name not in names:
            raise ConfigError(f"--study {name!r}: no such study with a grid; valid: {', '.join(names)}")
        return name
    counts = {n: len(study_table(store, n).with_curves) for n in names}
    return min(names, key=lambda n: (-counts[n], n))


def study_table(store: ResultsStore, study: str) -> StudyTable:
    row = store.query("SELECT config, reference_scale, model FROM studies WHERE study = ?", [study])
    if row.empty:
        raise ConfigError(f"study {study!r} is not recorded in the store")
    config = json.loads(row["config"].iloc[0])
    ref_scale, model = int(row["reference_scale"].iloc[0]), str(row["model"].iloc[0])
    per_class = int(config.get("measure", {}).get("per_class", 50))
    configs = store.query("SELECT name AS config, dataset FROM study_configs WHERE study = ? "
                          "ORDER BY generator, prompts, cfg, name", [study])
    features = dataset_features(store, list(configs["dataset"]), per_class)
    frame = configs.merge(features, on="dataset", how="left")
    curves = _curve_targets(store, list(configs["dataset"]), model, ref_scale)
    small = _small_scales(curves)
    frame = frame.merge(_targets_and_pilot(curves, small, ref_scale), on="dataset", how="left")
    for column in (*FEATURES, *PILOT, *TARGETS):
        if column not in frame:
            frame[column] = np.nan
    return StudyTable(study, ref_scale, model, per_class, small, frame)


def dataset_features(store: ResultsStore, datasets: list[str], per_class: int) -> pd.DataFrame:
    """The cheap measurements of each dataset measured with ``per_class`` images per class (the
    first reference classifier by name when several measured it)."""
    empty = pd.DataFrame(columns=["dataset", *FEATURES])
    if not datasets:
        return empty
    marks = ", ".join("?" * len(datasets))
    overall = store.query(
        f"SELECT dataset, reference, recognizability, diversity, fid FROM dataset_metrics WHERE "
        f"measured_per_class = ? AND dataset IN ({marks}) ORDER BY dataset, reference",
        [per_class, *datasets]).drop_duplicates("dataset")
    if overall.empty:
        return empty
    classes = store.query(
        f"SELECT dataset, reference, class_id, recognizability, diversity FROM dataset_class_metrics"
        f" WHERE measured_per_class = ? AND dataset IN ({marks})", [per_class, *datasets])
    classes = classes.merge(overall[["dataset", "reference"]], on=["dataset", "reference"])
    spread = classes.groupby("dataset").agg(recognizability_spread=("recognizability", "std"),
                                            diversity_spread=("diversity", "std")).reset_index()
    fid = pd.to_numeric(overall["fid"], errors="coerce")
    out = overall.assign(log_fid=np.log(fid.where(fid > 0)))
    return out.merge(spread, on="dataset", how="left")[["dataset", *FEATURES]]


def _curve_targets(store: ResultsStore, datasets: list[str], model: str, ref_scale: int) -> pd.DataFrame:
    """Validation losses of the model's runs on each dataset at scales up to D_I."""
    if not datasets:
        return pd.DataFrame(columns=["dataset", "D", "seed", "loss"])
    marks = ", ".join("?" * len(datasets))
    runs = store.query(
        f"SELECT substr(data, 5) AS dataset, scale AS D, seed, val_loss AS loss FROM runs WHERE "
        f"model = ? AND scale <= ? AND data IN ({marks}) ORDER BY dataset, D, seed",
        [model, ref_scale, *[f"syn:{d}" for d in datasets]])
    scales = runs.groupby("dataset")["D"].nunique()
    return runs[runs["dataset"].isin(scales[scales >= MIN_CURVE_SCALES].index)]


def _small_scales(curves: pd.DataFrame) -> tuple[int, int] | None:
    if curves.empty:
        return None
    shared = set.intersection(*(set(g["D"]) for _, g in curves.groupby("dataset")))
    small = sorted(int(d) for d in shared)[:2]
    return (small[0], small[1]) if len(small) == 2 else None


def _targets_and_pilot(curves: pd.DataFrame, small: tuple[int, int] | None, ref_scale: int) -> pd.DataFrame:
    rows = []
    for dataset, group in curves.groupby("dataset"):
        fit = fit_curve(Curve(dataset, group["D"].to_numpy(float), group["loss"].to_numpy(float),
                              group["seed"].to_numpy()), "power", ref_scale=ref_scale)
        row = {"dataset": dataset, "k": fit.k, "perf_ref": fit.params["perf_ref"],
               "runs": len(group), "scales": int(group["D"].nunique())}
        if small is not None:
            row |= pilot_measurements(group, small, ref_scale)
        rows.append(row)
    return pd.DataFrame(rows, columns=["dataset", *TARGETS, "runs", "scales", *PILOT])


def pilot_measurements(runs: pd.DataFrame, small: tuple[int, int], ref_scale: int) -> dict[str, float]:
    """From runs (``D, loss``) at the two small scales: mean log loss at the smallest, the slope
    between the two (a k) and the line through them carried to D_I (a ``-log L_{D_I}``)."""
    means = [float(np.mean(np.log(runs.loc[runs["D"] == d, "loss"]))) for d in small]
    if not all(np.isfinite(means)):
        raise DataError(f"no runs at the small scales {small[0]} and {small[1]}")
    slope = -(means[1] - means[0]) / (np.log(small[1]) - np.log(small[0]))
    return {"small_slope": slope, "small_log_loss": means[0],
            "small_perf_ref": -(means[1] - slope * (np.log(ref_scale) - np.log(small[1])))}
