"""Typed, frozen configuration: one pydantic model per component, YAML files, dotted overrides.

Every config forbids unknown keys, so a YAML file or ``--set`` override that names a key no code
reads is an error rather than silently ignored, and refuses NaN and infinities in every float.
Precedence (docs/cli.md): the config's defaults < a config file < command-line flags < ``--set``;
an error names the layer the bad value came from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from synscale.errors import ConfigError

C = TypeVar("C", bound="FrozenConfig")


class FrozenConfig(BaseModel):
    """Base of every config: immutable, unknown keys rejected, hashable to a stable digest."""

    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=(), allow_inf_nan=False)

    def digest(self) -> str:
        return stable_hash(self.model_dump(mode="json"))


def stable_hash(obj: Any, length: int = 16) -> str:
    """Hex digest of a JSON-serialisable object, independent of dict key order."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def build(cls: type[C], data: dict[str, Any], source: str | Callable[[tuple[Any, ...]], str] = "config") -> C:
    """Validate ``data`` as ``cls``; any problem becomes one ConfigError line.

    ``source`` names where the data came from, or maps an error's key path to that name."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        where = ".".join(str(p) for p in loc) or "(root)"
        origin = source(loc) if callable(source) else source
        if first["type"] == "extra_forbidden":
            valid = ", ".join(sorted(_field_names(cls, loc[:-1])))
            raise ConfigError(f"{origin}: unknown key {where!r}; valid keys: {valid}") from None
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "finite_number":
            message = f"must be a finite number, got {first.get('input')!r}"
        raise ConfigError(f"{origin}: {where}: {message}") from None


def validation_message(exc: ValidationError) -> str:
    """The first problem of a pydantic error as ``where: what`` (for one error line)."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or exc.title
    if first["type"] == "finite_number":
        return f"{where}: must be a finite number, got {first.get('input')!r}"
    return f"{where}: {first['msg'].removeprefix('Value error, ')}"


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


def parse_overrides(overrides: list[str], flag: str = "--set") -> dict[str, Any]:
    """``["a.b=c", ...]`` -> ``{"a.b": parsed c}`` (a later override of a key wins)."""
    parsed: dict[str, Any] = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key or "" in key.split("."):
            raise ConfigError(f"{flag} {item!r} must look like key.path=value")
        try:
            parsed[key] = yaml.safe_load(raw)
        except yaml.YAMLError:
            parsed[key] = raw  # not a YAML scalar: keep the text; validation judges it
    return parsed


def load_config(cls: type[C], path: str | Path | None = None, overrides: list[str] | None = None,
                flags: dict[str, Any] | None = None, *, defaults: dict[str, Any] | None = None,
                flag_names: dict[str, str] | None = None) -> C:
    """The config's defaults < ``defaults`` < the YAML file at ``path`` < ``flags`` < ``--set``.

    ``flags`` maps dotted config keys to the values of command-line flags (``None``: not given,
    so the layers below decide); ``flag_names`` names the flag of a key where it is not
    ``--key-with-dashes`` (e.g. ``{"world_root": "--root"}``). An error names where the bad
    value came from: a flag, the file, or a ``--set`` override."""
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    sets = parse_overrides(overrides or [])
    file_data = load_yaml(path) if path else {}
    data = json.loads(json.dumps(defaults or {}))
    data = _deep_merge(data, file_data)
    for key, value in given.items():
        _put(data, key.split("."), value, _flag(key, flag_names))
    for key, value in sets.items():
        _put(data, key.split("."), value, f"--set {key}")

    def origin(loc: tuple[Any, ...]) -> str:
        """The last layer that set the key at ``loc`` (or a section holding it)."""
        path_ = [str(p) for p in loc]
        for key, value in reversed(list(sets.items())):
            if _covers(key, path_):
                return f"--set {key}={_text(value)}"
        for key, value in given.items():
            if _covers(key, path_):
                return f"{_flag(key, flag_names)} {_text(value)}"
        return str(path) if path else "config"

    return build(cls, data, origin)


def _flag(key: str, names: dict[str, str] | None) -> str:
    return (names or {}).get(key) or "--" + key.split(".")[-1].replace("_", "-")


def _covers(key: str, loc: list[str]) -> bool:
    """Whether a dotted key set the value at ``loc``: the same key, a section of it, or a key
    inside it (an error at ``recipe`` caused by ``--set recipe.x=1``)."""
    parts = key.split(".")
    n = min(len(parts), len(loc))
    return n > 0 and parts[:n] == loc[:n]


def _text(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _put(data: dict[str, Any], parts: list[str], value: Any, origin: str) -> None:
    """Set the dotted key; a mapping merges into a mapping already there (a flag that sets a few
    keys of a section keeps the file's other keys of it)."""
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"{origin}: {part!r} is not a section")
    here = node.get(parts[-1])
    node[parts[-1]] = _deep_merge(here, value) if isinstance(here, dict) and isinstance(value, dict) else value


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
