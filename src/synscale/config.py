"""Typed, frozen configuration: one pydantic model per component, YAML files, dotted overrides.

Every config forbids unknown keys, so a YAML file or ``--set`` override that names a key no code
reads is an error rather than silently ignored.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from synscale.errors import ConfigError

C = TypeVar("C", bound="FrozenConfig")


class FrozenConfig(BaseModel):
    """Base of every config: immutable, unknown keys rejected, hashable to a stable digest."""

    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())

    def digest(self) -> str:
        return stable_hash(self.model_dump(mode="json"))


def stable_hash(obj: Any, length: int = 16) -> str:
    """Hex digest of a JSON-serialisable object, independent of dict key order."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def build(cls: type[C], data: dict[str, Any], source: str = "config") -> C:
    """Validate ``data`` as ``cls``; any problem becomes one ConfigError line."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        if first["type"] == "extra_forbidden":
            valid = ", ".join(sorted(_field_names(cls, first["loc"][:-1])))
            raise ConfigError(f"{source}: unknown key {where!r}; valid keys: {valid}") from None
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{source}: {where}: {message}") from None


def load_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping of keys to values")
    return data


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of ``data`` with ``a.b=c`` overrides applied; values parse as YAML scalars."""
    result = json.loads(json.dumps(data))
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} must look like key.path=value")
        node = result
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: {part!r} is not a section")
        node[leaf] = yaml.safe_load(raw)
    return result


def load_config(cls: type[C], path: str | Path | None, overrides: list[str] | None = None,
                base: dict[str, Any] | None = None) -> C:
    """``base`` (e.g. from CLI flags) < YAML file < ``--set`` overrides."""
    data = dict(base or {})
    source = str(path) if path else "config"
    if path:
        data = _deep_merge(data, load_yaml(path))
    data = apply_overrides(data, overrides or [])
    return build(cls, data, source)


def _deep_merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _field_names(cls: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    model: Any = cls
    for part in loc:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)
