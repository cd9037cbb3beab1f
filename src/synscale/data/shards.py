"""WebDataset tar shards of generated images: one PNG and one JSON record per sample.

A shard is written to a hidden temporary file, flushed to disk and renamed into place, so a file
under a shard's final name is always complete. Tars are byte-reproducible (fixed mtime, owner and
mode) and readable by ``webdataset.WebDataset`` as well as by ``read_shard`` here.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synscale.errors import DataError

# Images are encoded and decoded (torch, PIL, webdataset) only where they are made and used:
# checking a shard against its recorded hashes reads the tar's bytes and nothing more.
if TYPE_CHECKING:
    import torch

SHARD_SUFFIX = ".tar"


@dataclass(frozen=True)
class Sample:
    id: int
    png: bytes
    meta: dict[str, Any]


def shard_name(index: int) -> str:
    return f"shard-{index:06d}{SHARD_SUFFIX}"


def sample_key(image_id: int) -> str:
    return f"{image_id:09d}"


def encode_png(image: torch.Tensor) -> bytes:
    """uint8 ``[C, H, W]`` (C = 1 or 3) -> PNG bytes, the same bytes for the same pixels."""
    import numpy as np
    from PIL import Image

    array = image.numpy()
    pil = Image.fromarray(array[0], "L") if array.shape[0] == 1 else \
        Image.fromarray(np.ascontiguousarray(array.transpose(1, 2, 0)), "RGB")
    buffer = io.BytesIO()
    pil.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def decode_png(data: bytes, channels: int) -> torch.Tensor:
    """PNG bytes -> uint8 ``[channels, H, W]`` (colour converted to grey or back as needed)."""
    import numpy as np
    import torch
    from PIL import Image

    with Image.open(io.BytesIO(data)) as pil:
        array = np.array(pil.convert("L" if channels == 1 else "RGB"), dtype=np.uint8)
    array = array[None] if channels == 1 else array.transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(array))


def png_shape(data: bytes) -> tuple[int, int, int]:
    """(channels, height, width) of a PNG written by ``encode_png``."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as pil:
        return (1 if pil.mode == "L" else 3), pil.height, pil.width


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_shard(path: Path, samples: Iterable[Sample]) -> None:
    """Write ``samples`` to ``path`` atomically (temporary file, fsync, rename)."""
    from webdataset import TarWriter

    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as handle:
        with TarWriter(handle, encoder=False, mtime=0, user="synscale", group="synscale") as writer:
            for sample in samples:
                meta = json.dumps(sample.meta, sort_keys=True, separators=(",", ":")).encode()
                writer.write({"__key__": sample_key(sample.id), "png": sample.png, "json": meta})
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def read_shard(path: Path) -> Iterator[tuple[int, bytes]]:
    """(image id, PNG bytes) of every sample; a truncated or unreadable tar raises DataError."""
    try:
        with tarfile.open(path, "r:") as tar:
            for member in tar:
                key, _, extension = member.name.partition(".")
                if extension == "png":
                    handle = tar.extractfile(member)
                    if handle is None:
                        raise DataError(f"{path.name}: {member.name} is not a file")
                    data = handle.read()
                    if len(data) != member.size:
                        raise DataError(f"{path.name}: {member.name} is truncated")
                    yield int(key), data
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise DataError(f"{path.name}: unreadable shard ({exc})") from None


def check_shard(path: Path, expected: dict[int, str]) -> str | None:
    """Why the shard at ``path`` does not hold exactly the images ``{id: sha256}``, or None."""
    if not path.is_file():
        return "missing"
    found: dict[int, str] = {}
    try:
        for image_id, data in read_shard(path):
            found[image_id] = sha256(data)
    except DataError as exc:
        return f"truncated or unreadable ({str(exc).split(': ', 1)[-1]})"
    missing = len(expected.keys() - found.keys())
    differ = sum(1 for i, h in expected.items() if i in found and found[i] != h)
    extra = len(found.keys() - expected.keys())
    if missing or differ or extra:
        parts = [f"{n} {what}" for n, what in ((missing, "images missing"),
                                              (differ, "images differ from the manifest"),
                                              (extra, "unexpected images")) if n]
        return ", ".join(parts)
    return None


def load_shard_images(folder: Path, shard_ids: dict[str, list[int]], channels: int
                      ) -> dict[int, torch.Tensor]:
    """Decode the images ``{shard file: [ids]}`` under ``folder``, reading each shard once."""
    images: dict[int, torch.Tensor] = {}
    for shard, ids in sorted(shard_ids.items()):
        wanted = set(ids)
        for image_id, data in read_shard(folder / shard):
            if image_id in wanted:
                images[image_id] = decode_png(data, channels)
        if missing := wanted - images.keys():
            raise DataError(f"{shard}: {len(missing)} images listed in the manifest are missing")
    return images
