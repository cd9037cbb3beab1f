"""A results store built by hand (no training): known power laws, a CFG grid, per-class data.

Losses follow ``L_c(D) = A_c * D^-k_c`` per class with 0.5% multiplicative noise; the val loss
of a run is the mean over its classes. The real curve has k = 0.3 for every class; the synthetic
one a spread of per-class k (so its overall k is smaller). One optional OOD set ("sketch").
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from synscale.data.manifest import COLUMNS, write_card, write_manifest
from synscale.data.shards import Sample, encode_png, shard_name, write_shard
from synscale.store import ResultsStore, RunRecord, SetMetrics
from synscale.study.analysis import classes_table, exchange_table, fit_stored_curve, stored_curves

CLASSES = 6
REF = 500
REAL_SCALES = [125, 250, 500, 1000]
SYN_SCALES = [125, 250, 500, 1000, 2000, 4000]
MIX_SCALES = [250, 500, 1000]  # 125 real images plus synthetic ones
SEEDS = [0, 1]
REAL_K = np.full(CLASSES, 0.3)
SYN_K = np.array([0.02, 0.05, 0.1, 0.15, 0.25, 0.45])
CFGS = [1.0, 2.0, 4.0]
PROMPTS = {"classname": 1, "clip_templates_80": 8}  # distinct prompts per class in the manifest


def dataset_name(prompts: str, cfg: float) -> str:
    return f"mini-pixel-{prompts}-cfg{cfg:g}"


SYN_DATASET = dataset_name("classname", 2.0)


def build_store(root: Path, ood: bool = True, syn_k_scale: float = 1.0) -> Path:
    """Write ``root/results.duckdb`` (and the grid's datasets) and return ``root``."""
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    sets = {"val": 1.0, **({"sketch": 1.6} if ood else {})}

    def run(data: str, scale: int, seed: int, ks: np.ndarray, level: float,
            real_images: int) -> RunRecord:
        metrics = {}
        for set_name, factor in sets.items():
            k = ks if set_name == "val" else ks / 3  # the shift flattens every curve
            losses = factor * level * 2.3 * (scale / REF) ** -k * rng.lognormal(0, 0.005, CLASSES)
            per_class = [{"class_id": c, "loss": float(v), "top1": float(np.exp(-v)), "n": 100}
                         for c, v in enumerate(losses)]
            metrics[set_name] = SetMetrics(float(losses.mean()), float(np.exp(-losses.mean())),
                                           100 * CLASSES, per_class)
        return RunRecord(f"{data}-{scale}-{seed}", "mini", data, "mini_resnet", scale, seed, 10,
                         1000.0, 0.0, 0.5, {"scale": scale}, metrics, real_images,
                         scale - real_images)

    with ResultsStore(root / "results.duckdb") as store:
        for seed in SEEDS:
            for scale in REAL_SCALES:
                store.add_run(run("real", scale, seed, REAL_K, 1.0, scale))
            for scale in SYN_SCALES:
                store.add_run(run(f"syn:{SYN_DATASET}", scale, seed, SYN_K * syn_k_scale, 1.05, 0))
            for scale in MIX_SCALES:
                store.add_run(run(f"real125+syn:{SYN_DATASET}", scale, seed, REAL_K * 0.8, 0.98,
                                  125))
        _grid(root, store, lambda data, cfg: run(data, REF, 0, SYN_K, _level(cfg), 0))
        _study(store)
        for curve in stored_curves(store)[:3]:
            for set_name in sets:
                fit_stored_curve(store, curve, set_name, ["power"], REF, 0.95)
        named = {c.name: c for c in stored_curves(store)}
        classes_table(store, named["syn"], "val", REF)
        exchange_table(store, named["syn"], named["real"], "val", REF)
    return root


def _level(cfg: float) -> float:
    """Loss at D_I by CFG: best at CFG 2 (rise then fall of -log L)."""
    return {1.0: 1.10, 2.0: 1.05, 4.0: 1.12}[cfg]


def _grid(root: Path, store: ResultsStore, make_run) -> None:
    for prompts, n_prompts in PROMPTS.items():
        for cfg in CFGS:
            name = dataset_name(prompts, cfg)
            if name != SYN_DATASET:
                store.add_run(make_run(f"syn:{name}", cfg))
            _dataset(root / "datasets" / name, prompts, n_prompts, cfg)
            recognizability = 0.5 + 0.1 * cfg - (0.1 if n_prompts > 1 else 0.0)
            diversity = 0.6 - 0.1 * cfg + (0.1 if n_prompts > 1 else 0.0)
            offsets = np.linspace(-0.02, 0.02, CLASSES)
            store.add_measurement(name, 10, "ref", {
                "images": 10 * CLASSES, "recognizability": recognizability,
                "diversity": diversity, "fid": 1.0,
                "per_class": [{"class_id": c, "class_name": str(c), "images": 10,
                               "recognizability": recognizability + offsets[c],
                               "diversity": diversity + offsets[c]} for c in range(CLASSES)]})
            store.replace_rows("study_configs", {"study": "hand", "name": name}, [{
                "study": "hand", "name": name, "dataset": name, "generator": "mini-pixel",
                "cfg": cfg, "prompts": prompts, "seed": 0, "per_class": 4}])
            store.replace_rows("datasets", {"dataset": name}, [{
                "dataset": name, "world": "mini", "generator": "mini-pixel", "cfg": cfg,
                "prompts": prompts, "seed": 0, "per_class": 4, "images": 4 * CLASSES,
                "config": "{}"}])


def _dataset(folder: Path, prompts: str, n_prompts: int, cfg: float) -> None:
    """A finished synthetic dataset on disk: 4 images per class in one shard."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, samples = [], []
    for i in range(4 * CLASSES):
        image = torch.full((1, 16, 16), 20 * (i % CLASSES), dtype=torch.uint8)
        png = encode_png(image)
        rows.append({"id": i, "class_id": i % CLASSES, "class_name": f"class{i % CLASSES}",
                     "prompt": f"{prompts} {i % n_prompts}", "seed": i, "generator": "mini-pixel",
                     "cfg": cfg, "scheduler": "ddim", "steps": 8, "shard": shard_name(0),
                     "sha256": ""})
        samples.append(Sample(i, png, {}))
    write_shard(folder / shard_name(0), samples)
    write_manifest(folder / "manifest.parquet", pd.DataFrame(rows)[COLUMNS])
    write_card(folder / "card.json", {"image": {"channels": 1, "height": 16, "width": 16},
                                      "config": {"classes": None},
                                      "generator_identity": {"generator": "mini-pixel",
                                                             "steps": 8}})
    (folder / "config.json").write_text(json.dumps({"cfg": cfg, "prompts": prompts}))


def _study(store: ResultsStore) -> None:
    store.replace_rows("studies", {"study": "hand"}, [{
        "study": "hand", "config": "{}", "source": "hand.yaml", "reference_scale": REF,
        "model": "mini_resnet", "analysed": "[]"}])
    curves = [("real", "real", "real", 0), ("syn", f"syn:{SYN_DATASET}", "syn", 0),
              ("mix", f"real125+syn:{SYN_DATASET}", "mix", 125)]
    store.replace_rows("study_curves", {"study": "hand"}, [{
        "study": "hand", "name": name, "curve": f"mini/{data}/mini_resnet", "world": "mini",
        "data": data, "model": "mini_resnet", "kind": kind, "config": None, "real_images": real}
        for name, data, kind, real in curves])
