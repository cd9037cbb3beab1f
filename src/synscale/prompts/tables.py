"""Prompt tables: for each image to generate, its class and prompt; Parquet, deterministic.

Columns: ``image_index`` (0..N-1, class-major), ``class_id``, ``class_name``, ``strategy``,
``prompt``. With a workspace the table is an artifact (``prompts/<world>-<strategy>-<digest>/``)
whose digest covers the world's classes, the strategy and all its options, ``per_class`` and
``seed``: asking twice reads the stored table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from synscale.errors import ConfigError, DataError
from synscale.progress import track
from synscale.prompts.strategies import Strategy, get_strategy
from synscale.worlds.base import ClassInfo, World

if TYPE_CHECKING:
    from synscale.workspace import Workspace

TABLE_FILE = "prompts.parquet"
SCHEMA = pa.schema([("image_index", pa.int64()), ("class_id", pa.int64()),
                    ("class_name", pa.string()), ("strategy", pa.string()),
                    ("prompt", pa.string())])


def assign_prompts(world: World, strategy: str | Strategy, per_class: int, seed: int = 0,
                   classes: Sequence[int] | None = None, workspace: Workspace | None = None,
                   quiet: bool = True, **options: Any) -> pa.Table:
    """The prompt of every image to generate: ``per_class`` images for each class (all classes
    of the world, or the given ids), chosen from the strategy's candidates with ``seed``.

    ``options`` build the strategy when it is given by name (e.g. ``captioner="file"``);
    a workspace caches the table and the strategy's own expensive products.
    """
    # 1. Check the request and build the strategy.
    if per_class < 1:
        raise ConfigError(f"per_class must be at least 1 (got {per_class})")
    if seed < 0:
        raise ConfigError(f"seed must be non-negative (got {seed})")
    chosen = select_classes(world, classes)
    if isinstance(strategy, str):
        strategy = get_strategy(strategy, **options)
    elif options:
        raise ConfigError("strategy options go to get_strategy when a Strategy object is given")
    strategy.prepare(world, workspace)

    # 2. Reuse the stored table when this exact request ran before.
    config = {"world": world.name, "classes": [[c.id, c.name, c.wnid] for c in chosen],
              "strategy": strategy.config(), "per_class": per_class, "seed": seed}
    name = f"{world.name}-{strategy.name}"
    if workspace is not None and (found := workspace.find("prompts", name, config)):
        return read_prompt_table(found.path / TABLE_FILE)

    # 3. Draw each class's prompts; the image index runs class by class.
    class_ids, names, prompts = [], [], []
    with track(f"prompts ({strategy.name})", len(chosen), quiet, unit="class") as progress:
        for cls in chosen:
            drawn = strategy.prompts(cls, world, per_class, seed)
            class_ids += [cls.id] * per_class
            names += [cls.name] * per_class
            prompts += drawn
            progress.advance()
    table = pa.table({"image_index": range(len(prompts)), "class_id": class_ids,
                      "class_name": names, "strategy": [strategy.name] * len(prompts),
                      "prompt": prompts}, schema=SCHEMA)
    table = table.replace_schema_metadata({"synscale": json.dumps(config, sort_keys=True)})

    # 4. Store it atomically.
    if workspace is not None:
        with workspace.building("prompts", name, config) as tmp:
            write_prompt_table(table, tmp / TABLE_FILE)
    return table


def select_classes(world: World, ids: Sequence[int] | None) -> list[ClassInfo]:
    """The world's classes with the given ids (all when None), in ascending id order."""
    classes = world.classes
    if ids is None:
        return list(classes)
    if not ids:
        raise ConfigError("no class ids given")
    bad = [i for i in ids if not 0 <= i < len(classes)]
    if bad:
        raise ConfigError(f"class id {bad[0]} out of range: world {world.name!r} has classes "
                          f"0..{len(classes) - 1}")
    return [classes[i] for i in sorted(set(ids))]


def write_prompt_table(table: pa.Table, path: str | Path) -> None:
    pq.write_table(table, path, compression="zstd")


def read_prompt_table(path: str | Path) -> pa.Table:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"prompt table not found: {path}")
    try:
        table = pq.read_table(path)
    except pa.ArrowInvalid as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    missing = [c for c in SCHEMA.names if c not in table.column_names]
    if missing:
        raise DataError(f"{path}: not a prompt table (missing columns: {', '.join(missing)})")
    return table


def prompt_table(world: str, strategy: str, per_class: int = 1, seed: int = 0,
                 classes: Sequence[int] | None = None, root: str | Path | None = None,
                 workspace: str | Path | None = None, quiet: bool = True,
                 **options: Any) -> pa.Table:
    """``assign_prompts`` by names, as the ``synscale prompts`` command asks for it."""
    from synscale.workspace import Workspace
    from synscale.worlds import get_world

    ws = Workspace(workspace) if workspace is not None else None
    return assign_prompts(get_world(world, root=root), strategy, per_class, seed, classes, ws,
                          quiet, **options)

