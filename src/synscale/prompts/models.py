"""Where a prompt model comes from (local directory or hub id) and a fingerprint for caching."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from synscale.errors import ConfigError

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def resolve_model(model: str | Path | None, what: str) -> str:
    """A local directory (must hold config.json) or a hub id ("owner/name"); anything that looks
    like a path must exist, so a typo never turns into a download attempt."""
    if model is None or str(model).strip() == "":
        # Named as the option key, not a flag: generate and studies set it as prompt_options.model.
        raise ConfigError(f"{what} needs its option 'model': a local directory or a hub id")
    text = str(model)
    path = Path(text).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ConfigError(f"{what} model {text!r} is not a model directory (no config.json)")
        return str(path)
    if _HUB_ID.match(text) and not text.startswith((".", "~")):
        return text
    raise ConfigError(f"{what} model directory not found: {text}")


def model_fingerprint(model: str | Path) -> str:
    """Digest of a local model directory's files (names and bytes), so a moved copy keeps its
    cached products and a retrained model in the same place does not; a hub id stands for itself."""
    path = Path(model)
    if not path.is_dir():
        return str(model)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode())
        with file.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    return f"sha256:{digest.hexdigest()[:16]}"


@contextmanager
def quiet_loading() -> Iterator[None]:
    """Hide transformers' per-load progress bars; our own progress reports the work."""
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()
