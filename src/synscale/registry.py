"""One registry class for every pluggable kind (worlds, models, prompt strategies, generators, laws).

Components register themselves with a decorator in the module that defines them. A kind whose
modules are heavy (they import torch) also *declares* each name with the module that registers it
and a one-line description: ``names()``, ``describe()`` and ``in`` then answer without importing
anything, and ``get``/``create`` import the declared module on first use. A declared module that
does not register its name is an error when it is asked for, never a silently missing entry.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from importlib import import_module
from typing import Generic, TypeVar

from synscale.errors import ConfigError, UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Named factories of one kind: ``register(name)``, ``create(name, **kw)``, ``names()``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Callable[..., T]] = {}
        self._docs: dict[str, str] = {}
        self._modules: dict[str, str] = {}  # declared name -> module that registers it

    def declare(self, name: str, module: str, doc: str) -> None:
        """Name a component registered by ``module`` when it is imported, without importing it."""
        if name in self._modules or name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._modules[name] = module
        self._docs[name] = doc

    def register(self, name: str, doc: str | None = None) -> Callable[[Callable[..., T]], Callable[..., T]]:
        def decorator(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            if name in self._modules and self._modules[name] != factory.__module__:
                raise ValueError(f"{self.kind} {name!r} is declared in {self._modules[name]}, "
                                 f"registered in {factory.__module__}")
            self._entries[name] = factory
            self._docs.setdefault(name, doc or _first_line(factory.__doc__))
            return factory

        return decorator

    def get(self, name: str) -> Callable[..., T]:
        if name not in self._entries:
            if name not in self._modules:
                raise UnknownNameError(self.kind, name, self.names())
            import_module(self._modules[name])
            if name not in self._entries:
                raise RuntimeError(f"{self._modules[name]} does not register {self.kind} {name!r}")
        return self._entries[name]

    def create(self, name: str, **kwargs: object) -> T:
        """Build the component; options left as ``None`` keep the component's own defaults."""
        return self._call(name, self.get(name), kwargs)

    def call(self, name: str, method: str, **kwargs: object) -> object:
        """Call a class method of a registered class (e.g. a generator's ``identity``) with the
        options ``create`` would get, handled the same way."""
        return self._call(name, getattr(self.get(name), method), kwargs)

    def _call(self, name: str, function: Callable[..., object], kwargs: dict[str, object]) -> object:
        options = {k: v for k, v in kwargs.items() if v is not None}
        try:
            return function(**options)
        except TypeError as exc:
            # Raised by the call itself (no deeper frame): the options do not fit the signature
            # (an unknown option, or options given to a component that takes none).
            if "unexpected keyword argument" in str(exc) or exc.__traceback__.tb_next is None:
                raise ConfigError(f"{self.kind} {name!r}: {exc}") from exc
            raise

    def names(self, pattern: str = "*") -> list[str]:
        return sorted(n for n in self._entries.keys() | self._modules.keys() if fnmatch.fnmatch(n, pattern))

    def describe(self) -> dict[str, str]:
        """Name -> one-line description, for listings in the CLI."""
        return {n: self._docs[n] for n in self.names()}

    def declared_module(self, name: str) -> str | None:
        """The module declared to register ``name`` (None for a name registered directly)."""
        return self._modules.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._modules


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0] if doc and doc.strip() else ""
