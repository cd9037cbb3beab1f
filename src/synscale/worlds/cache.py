"""A versioned on-disk cache of arrays that a world derives from its sources (parsed MNIST, rendered
fonts, outlines), so that a process starts in milliseconds instead of re-parsing and re-rendering.

An entry is one ``.npz`` file (a bundle of ``.npy`` arrays) in the user cache directory
(``$SYNSCALE_CACHE_DIR``, else ``$XDG_CACHE_HOME/synscale``, else ``~/.cache/synscale``), named by
a digest of everything that decides its contents: the caller's key (source file bytes, library
versions) and the code that builds it. A changed source or changed code gives a new name, so a
stale entry is never read. Writers write a private temporary file and rename it into place, so
concurrent processes at worst build the same entry twice, and a reader never sees half a file; a
damaged entry is rebuilt. A cache that cannot be written (read-only home) only costs the rebuild.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import os
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

Arrays = dict[str, np.ndarray]


def cache_dir() -> Path:
    if os.environ.get("SYNSCALE_CACHE_DIR"):
        return Path(os.environ["SYNSCALE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "synscale"


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cached_arrays(name: str, key: dict[str, Any], build: Callable[[], Arrays],
                  code: tuple[ModuleType, ...] = ()) -> Arrays:
    """``build()``'s arrays, from the cache when an entry for (``name``, ``key``, the source of
    ``build``'s module and of the ``code`` modules) exists, else built and stored."""
    modules = [inspect.getmodule(build), *code]
    sources = [inspect.getsource(m) for m in modules if m is not None]
    digest = hashlib.sha256(json.dumps([name, key, sources], sort_keys=True, default=str).encode())
    path = cache_dir() / f"{name}-{digest.hexdigest()[:20]}.npz"
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {k: stored[k] for k in stored.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        pass  # missing or damaged: build it again
    arrays = build()
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, path)
    except OSError:  # an unwritable cache costs only the rebuild
        with contextlib.suppress(OSError):
            tmp.unlink()
    return arrays
