"""The pilot of an allocation: a study curve with per-class fits, as per-class laws.

Default pilot: the study's synthetic curve (of the study's classifier) that has per-class fits on
``val`` and the most scales (then the most runs, then by name).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from synscale.advise.allocate import ClassLaw, laws_from_fits
from synscale.errors import ConfigError, DataError
from synscale.store import ResultsStore
from synscale.study.analysis import StoredCurve, find_curve


@dataclass(frozen=True)
class PilotSource:
    curve: StoredCurve
    config: str | None  # the study's configuration the curve trains on
    dataset: str
    ref_scale: int
    fits: pd.DataFrame  # class_fits rows on val: class_id, k, perf_ref
    weights: dict[int, float]  # each class's share of the validation set
    smallest_scale: int  # of the pilot's runs

    def laws(self) -> list[ClassLaw]:
        return laws_from_fits(self.fits, self.ref_scale, self.weights, self.config)

    def default_minimum(self, budget: int) -> int:
        """The smallest per-class count the pilot measured (its laws are not extrapolated below
        it), lowered when the budget cannot give every class that many."""
        classes = len(self.fits)
        return max(1, min(self.smallest_scale // classes, budget // classes))


def pilot_source(store: ResultsStore, study: str, name: str | None) -> PilotSource:
    ref_scale = int(store.query("SELECT reference_scale FROM studies WHERE study = ?", [study]).iloc[0, 0])
    candidates = store.query(
        "SELECT c.name, c.curve, c.config, count(DISTINCT r.scale) AS scales, count(*) AS runs "
        "FROM study_curves c JOIN runs r ON r.world || '/' || r.data || '/' || r.model = c.curve "
        "WHERE c.study = ? AND c.kind = 'syn' AND c.curve IN "
        "(SELECT curve FROM class_fits WHERE set_name = 'val') GROUP BY ALL "
        "ORDER BY scales DESC, runs DESC, c.name", [study])
    if name is None:
        if candidates.empty:
            raise ConfigError(f"study {study!r} has no synthetic curve with per-class fits: run it with "
                              "analysis.per_class (the default), or name a curve with --pilot")
        name = str(candidates["name"].iloc[0])
    curve = find_curve(store, name, "--pilot")
    if curve.kind != "syn":
        raise ConfigError(f"--pilot {name!r} is a {curve.kind} curve; the pilot must be synthetic")
    fits = store.query("SELECT class_id, k, perf_ref FROM class_fits WHERE curve = ? AND "
                       "set_name = 'val' ORDER BY class_id", [curve.key])
    if fits.empty:
        raise DataError(f"--pilot {curve.name!r} has no per-class fits: run `synscale classes "
                        f"--curve {curve.name}` first")
    row = candidates[candidates["curve"] == curve.key]
    smallest = store.query("SELECT min(scale) FROM runs WHERE world || '/' || data || '/' || model = ?",
                           [curve.key]).iloc[0, 0]
    return PilotSource(curve, str(row["config"].iloc[0]) if len(row) else None, curve.dataset or "",
                       ref_scale, fits, val_shares(store, curve.key), int(smallest))


def val_shares(store: ResultsStore, curve_key: str) -> dict[int, float]:
    """Each class's share of the validation set, from the per-class rows of one of its runs."""
    counts = store.query(
        "SELECT c.class_id, c.n FROM class_metrics c WHERE c.set_name = 'val' AND c.run_id = "
        "(SELECT min(r.run_id) FROM runs r WHERE r.world || '/' || r.data || '/' || r.model = ?)",
        [curve_key])
    total = counts["n"].sum()
    return {int(c): float(n) / total for c, n in zip(counts["class_id"], counts["n"])} if total else {}


def config_laws(store: ResultsStore, study: str, pilot: PilotSource) -> dict[str, list[ClassLaw]]:
    """Per-class laws of every configuration of the study that shares the pilot's generator and
    has a curve of the pilot's classifier with per-class fits (a plan has one generator)."""
    generator = pilot_generator(store, pilot)
    rows = store.query(
        "SELECT c.config, c.curve FROM study_curves c JOIN study_configs g ON g.study = c.study AND "
        "g.name = c.config WHERE c.study = ? AND c.kind = 'syn' AND c.model = ? AND g.generator = ? "
        "AND c.curve IN (SELECT curve FROM class_fits WHERE set_name = 'val') ORDER BY c.config, c.name",
        [study, pilot.curve.model, generator]).drop_duplicates("config")
    out = {}
    for config, key in zip(rows["config"], rows["curve"]):
        fits = store.query("SELECT class_id, k, perf_ref FROM class_fits WHERE curve = ? AND "
                           "set_name = 'val' ORDER BY class_id", [key])
        out[str(config)] = laws_from_fits(fits, pilot.ref_scale, pilot.weights, str(config))
    if not out:
        raise DataError(f"no configuration with generator {generator!r} has per-class fits")
    return out


def pilot_generator(store: ResultsStore, pilot: PilotSource) -> str:
    config = dataset_config(store, pilot.dataset)
    return str(config["generator"])


def dataset_config(store: ResultsStore, dataset: str) -> dict:
    """The generation config a dataset was made with (the ``datasets`` table)."""
    rows = store.query("SELECT config FROM datasets WHERE dataset = ?", [dataset])
    if rows.empty:
        raise DataError(f"dataset {dataset!r} is not in the store's datasets table")
    return json.loads(rows["config"].iloc[0])
