"""A made-up study store: configurations whose k and -log L_{D_I} are known linear functions of
their measurements, with learning curves drawn from Eq. 2 with those values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from synscale.store import ResultsStore, RunRecord, SetMetrics

REF = 2000
SCALES = (125, 250, 500, 1000, 2000)
CLASSES = 10


def true_k(recognizability: float, diversity: float) -> float:
    return 0.05 + 0.2 * recognizability + 0.3 * diversity


def true_perf(recognizability: float, diversity: float) -> float:
    return 0.5 + 1.5 * recognizability - 0.5 * diversity


def make_store(root: Path, n_configs: int = 14, curves: int | None = None, seed: int = 0,
               shuffle_targets: bool = False, noise: float = 0.005) -> dict:
    """A store with one study ``s`` of ``n_configs`` configurations, the first ``curves`` of them
    (default: all) with runs at every scale, the others at D_I only. Returns the truth."""
    rng = np.random.default_rng(seed)
    recog = rng.uniform(0.3, 1.0, n_configs)
    div = rng.uniform(0.2, 0.8, n_configs)
    k, perf = true_k(recog, div), true_perf(recog, div)
    if shuffle_targets:  # break the relation: targets no longer follow the features
        order = rng.permutation(n_configs)
        k, perf = k[order], perf[order]
    curves = n_configs if curves is None else curves
    with ResultsStore(root / "results.duckdb") as store:
        store.replace_rows("studies", {"study": "s"}, [{
            "study": "s", "config": json.dumps({"measure": {"per_class": 50}}), "source": "",
            "reference_scale": REF, "model": "m", "analysed": None}])
        for i in range(n_configs):
            dataset = f"d{i:02d}"
            store.replace_rows("study_configs", {"study": "s", "name": f"c{i:02d}"}, [{
                "study": "s", "name": f"c{i:02d}", "dataset": dataset, "generator": "g",
                "cfg": float(i), "prompts": "p", "seed": 0, "per_class": 200}])
            add_measurement(store, dataset, recog[i], div[i], rng)
            scales = SCALES if i < curves else (REF,)
            for scale in scales:
                for run_seed in (0, 1):
                    loss = np.exp(-perf[i]) * (scale / REF) ** (-k[i]) * np.exp(rng.normal(0, noise))
                    add_run(store, f"syn:{dataset}", scale, run_seed, float(loss))
    return {"recognizability": recog, "diversity": div, "k": k, "perf_ref": perf}


def add_measurement(store: ResultsStore, dataset: str, recog: float, div: float,
                    rng: np.random.Generator) -> None:
    per_class = [{"class_id": c, "class_name": str(c), "images": 50,
                  "recognizability": float(np.clip(recog + rng.normal(0, 0.02), 0, 1)),
                  "diversity": float(div + rng.normal(0, 0.02))} for c in range(CLASSES)]
    store.add_measurement(dataset, 50, "ref", {
        "images": 50 * CLASSES, "recognizability": float(recog), "diversity": float(div),
        "fid": float(10 + 50 * (1 - recog) + rng.normal(0, 1)), "per_class": per_class})


def add_run(store: ResultsStore, data: str, scale: int, seed: int, loss: float,
            model: str = "m", per_class: list[dict] | None = None) -> None:
    store.add_run(RunRecord(f"{data}-{model}-{scale}-{seed}", "mini", data, model, scale, seed, 10,
                            1.0, 0.0, 1.0, {}, {"val": SetMetrics(loss, 0.9, 500, per_class or [])},
                            0, scale))
