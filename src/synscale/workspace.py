"""The workspace: a directory of content-addressed artifacts and one results store.

An artifact lives at ``<root>/<kind>/<name>-<digest>/`` where the digest hashes its resolved
config and its inputs' digests, so a stage that already ran is found and skipped. Artifacts are
built in a hidden temporary directory and renamed into place only when complete: a crash never
leaves a half-written artifact under its final name.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synscale.config import stable_hash
from synscale.errors import WorkspaceError
from synscale.store import ResultsStore

CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class Artifact:
    path: Path
    digest: str

    @property
    def config(self) -> dict[str, Any]:
        return json.loads((self.path / CONFIG_FILE).read_text())


class Workspace:
    """A workspace directory; created on first write, so a failed command leaves nothing."""

    def __init__(self, root: str | Path, create: bool = True) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise WorkspaceError(f"workspace {self.root} exists and is not a directory")
        blocking = next((p for p in self.root.parents if p.exists() and not p.is_dir()), None)
        if blocking is not None:
            raise WorkspaceError(f"workspace {self.root} cannot be made: {blocking} is a file")
        if not create and not self.root.is_dir():
            raise WorkspaceError(f"workspace {self.root} does not exist")

    @property
    def store_path(self) -> Path:
        return self.root / "results.duckdb"

    def store(self) -> ResultsStore:
        self.root.mkdir(parents=True, exist_ok=True)
        return ResultsStore(self.store_path)

    def artifact_path(self, kind: str, name: str, config: dict[str, Any],
                      inputs: tuple[str, ...] = ()) -> Artifact:
        digest = stable_hash({"config": config, "inputs": list(inputs)})
        return Artifact(self.root / kind / f"{_safe(name)}-{digest}", digest)

    def find(self, kind: str, name: str, config: dict[str, Any],
             inputs: tuple[str, ...] = ()) -> Artifact | None:
        artifact = self.artifact_path(kind, name, config, inputs)
        return artifact if (artifact.path / CONFIG_FILE).is_file() else None

    @contextmanager
    def building(self, kind: str, name: str, config: dict[str, Any],
                 inputs: tuple[str, ...] = ()) -> Iterator[Path]:
        """Yield a temporary directory to fill; on success it becomes the artifact, atomically.

        ``config.json`` is written last, so its presence marks a complete artifact.
        """
        artifact = self.artifact_path(kind, name, config, inputs)
        tmp = artifact.path.parent / f".tmp-{artifact.path.name}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        try:
            yield tmp
            payload = {"kind": kind, "name": name, "digest": artifact.digest,
                       "inputs": list(inputs), "config": config}
            (tmp / CONFIG_FILE).write_text(json.dumps(payload, indent=2, sort_keys=True))
            if artifact.path.exists():  # a concurrent builder finished first; same content
                shutil.rmtree(tmp)
            else:
                os.replace(tmp, artifact.path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def writable_file(path: str | Path, what: str) -> Path:
    """``path`` ready to be written as a file: its folders made, or one clear error naming
    ``what`` (the option) and why not (a folder in the way, a file where a folder must be,
    no permission)."""
    path = Path(path)
    if path.is_dir():
        raise WorkspaceError(f"{what} {path} is a directory; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"{what} {path}: cannot create its folder ({exc.strerror or exc})") from None
    if not os.access(path.parent, os.W_OK):
        raise WorkspaceError(f"{what} {path}: no permission to write in {path.parent}")
    return path


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:60]
