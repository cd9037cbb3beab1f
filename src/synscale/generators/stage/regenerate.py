"""Remake one image of a synthetic dataset from its manifest, and check it is the same bytes.

The image's whole batch is rendered again (its ids, prompts and seeds are all in the manifest):
floating-point kernels may round differently at another batch size, so only the original batch
reproduces the original bytes exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

from synscale.data.shards import sample_key
from synscale.data.synthetic import SyntheticDataset
from synscale.engine.base import default_threads, pin_threads
from synscale.errors import DataError
from synscale.generators.stage.plan import Batch, GenerateConfig
from synscale.generators.stage.render import first_difference, render_batch, settings_json


def regenerate_image(dataset: SyntheticDataset, image_id: int, out: Path | None = None,
                     threads: int | None = None) -> dict[str, object]:
    # 1. The image's batch, from the manifest.
    config = GenerateConfig.model_validate(dataset.card["config"])
    manifest = dataset.manifest.set_index("id").sort_index()
    if image_id not in manifest.index:
        raise DataError(f"{dataset.name} has no image {image_id} (ids 0..{len(manifest) - 1})")
    start = image_id // config.batch_size * config.batch_size
    rows = manifest.loc[start:start + config.batch_size - 1]
    own_cfg = any(e.cfg is not None for e in config.class_plan or [])
    batch = Batch(image_id // config.batch_size, rows.index.tolist(), rows["prompt"].tolist(),
                  [int(s) for s in rows["seed"]], [float(c) for c in rows["cfg"]] if own_cfg else None)

    # 2. The same generator, or a clear refusal.
    pin_threads(threads or default_threads(1))
    generator = config.generator_spec().build()
    settings = settings_json(generator)
    recorded = dataset.card["generator_settings"]
    if json.loads(settings) != recorded:
        raise DataError(f"{dataset.name} was made with other generator settings "
                        f"({first_difference(recorded, json.loads(settings))}); cannot reproduce it")

    # 3. Render, compare, write.
    rendered = render_batch(generator, batch, config.cfg, settings)
    position = rendered.ids.index(image_id)
    png, digest = rendered.pngs[position], rendered.hashes[position]
    out = out or Path(f"{sample_key(image_id)}.png")
    out.write_bytes(png)
    expected = str(manifest.loc[image_id, "sha256"])
    return {"id": image_id, "path": str(out), "sha256": digest, "manifest_sha256": expected,
            "identical": digest == expected, "prompt": str(manifest.loc[image_id, "prompt"]),
            "seed": int(manifest.loc[image_id, "seed"])}
