"""Training-test data: a tiny learnable image set, and a set written to disk as a synthetic
dataset in synscale's own format (shards, manifest, card)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from synscale.data.datasets import LabeledImages
from synscale.data.manifest import write_card, write_manifest
from synscale.data.shards import Sample, encode_png, sha256, shard_name, write_shard
from synscale.workspace import CONFIG_FILE


def bars(n: int, seed: int, size: int = 16) -> LabeledImages:
    """A learnable toy task: class 0 = horizontal bar, class 1 = vertical bar, at random places,
    with seeded grey noise so that no two images are equal."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 60, (n, 1, size, size), generator=g, dtype=torch.uint8)
    labels = torch.arange(n) % 2
    pos = torch.randint(2, size - 2, (n,), generator=g)
    for i in range(n):
        if labels[i] == 0:
            images[i, 0, pos[i], 2:size - 2] = 255
        else:
            images[i, 0, 2:size - 2, pos[i]] = 255
    return LabeledImages(images, labels, "bars")


def write_synthetic(folder: Path, images: LabeledImages, per_shard: int = 50) -> Path:
    """``images`` as a finished synthetic dataset (PNG shards, manifest, card, config)."""
    folder.mkdir(parents=True)
    rows = []
    for start in range(0, len(images), per_shard):
        shard = shard_name(start // per_shard)
        samples = []
        for i in range(start, min(start + per_shard, len(images))):
            png = encode_png(images.images[i])
            samples.append(Sample(i, png, {"class_id": int(images.labels[i])}))
            rows.append({"id": i, "class_id": int(images.labels[i]), "class_name": "c",
                         "prompt": "p", "seed": i, "generator": "test", "cfg": 1.0,
                         "scheduler": "none", "steps": 1, "shard": shard, "sha256": sha256(png)})
        write_shard(folder / shard, samples)
    write_manifest(folder / "manifest.parquet", pd.DataFrame(rows))
    channels = int(images.images.shape[1])
    write_card(folder / "card.json", {"images": len(images), "image": {"channels": channels},
                                      "config": {}})
    (folder / CONFIG_FILE).write_text("{}")
    return folder
