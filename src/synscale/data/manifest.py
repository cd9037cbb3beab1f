"""The Parquet manifest of a synthetic dataset (one row per image) and its dataset card (JSON).

Every row says how its image was made, so that any single image can be traced and regenerated:
``id`` (image index), ``class_id``, ``class_name``, ``prompt``, ``seed`` (its own noise seed),
``generator``, ``cfg``, ``scheduler``, ``steps``, ``shard`` (tar file name) and ``sha256`` (of the
PNG bytes in the shard).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from synscale.errors import DataError

MANIFEST_FILE = "manifest.parquet"
CARD_FILE = "card.json"

SCHEMA = pa.schema([
    ("id", pa.int64()), ("class_id", pa.int32()), ("class_name", pa.string()),
    ("prompt", pa.string()), ("seed", pa.int64()), ("generator", pa.string()), ("cfg", pa.float64()),
    ("scheduler", pa.string()), ("steps", pa.int32()), ("shard", pa.string()), ("sha256", pa.string()),
])
COLUMNS = SCHEMA.names


def write_manifest(path: Path, rows: pd.DataFrame) -> None:
    """Write rows (sorted by id) atomically; the bytes depend only on the rows."""
    table = pa.Table.from_pandas(rows.sort_values("id")[COLUMNS], schema=SCHEMA, preserve_index=False)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table.replace_schema_metadata(None), tmp, compression="zstd")
    os.replace(tmp, path)


def read_manifest(path: Path) -> pd.DataFrame:
    try:
        return pq.read_table(path, schema=SCHEMA).to_pandas()
    except (OSError, pa.ArrowInvalid) as exc:
        raise DataError(f"{path}: not a readable manifest ({exc})") from None


def read_manifests(paths: list[Path]) -> pd.DataFrame:
    if not paths:
        return pd.DataFrame({name: pd.Series(dtype=SCHEMA.field(name).type.to_pandas_dtype())
                             for name in COLUMNS})
    return pd.concat([read_manifest(p) for p in paths], ignore_index=True)


def write_card(path: Path, card: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def read_card(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DataError(f"{path.parent} is not a synthetic dataset (no {path.name})")
    return json.loads(path.read_text())
