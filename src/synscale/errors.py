"""Errors a user can cause. The CLI prints their message on one line and exits with code 2."""

from __future__ import annotations


class SynscaleError(Exception):
    """Base class of every error that a user can cause and fix."""


class ConfigError(SynscaleError):
    """A configuration value, file or override is invalid."""


class UnknownNameError(ConfigError):
    """A name given for a pluggable component is not registered."""

    def __init__(self, kind: str, name: str, valid: list[str]) -> None:
        self.kind, self.name, self.valid = kind, name, valid
        super().__init__(f"unknown {kind} {name!r}; valid choices: {', '.join(valid) or '(none)'}")


class DataError(SynscaleError):
    """Input data is missing, empty, corrupt or too small for the request."""


class WorkspaceError(SynscaleError):
    """The workspace cannot be used as asked (not a directory, conflicting artifact, ...)."""


class FitError(SynscaleError):
    """A scaling-law fit cannot be made from the given points."""


# Packages only an optional extra installs (pyproject.toml), by top-level module name.
EXTRAS = {"transformers": "gen", "accelerate": "gen", "ray": "ray"}


class MissingExtraError(SynscaleError):
    """A feature needs a package that only an optional extra installs."""

    def __init__(self, module: str) -> None:
        extra = EXTRAS.get(module, module)
        super().__init__(f"{module} is not installed; it comes with the '{extra}' extra: "
                         f"pip install 'synscale[{extra}]'")


def require_extra(module: str) -> None:
    """Fail early, in one line, when ``module`` (of an optional extra) is not installed."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(module)


def missing_extra(exc: ModuleNotFoundError) -> MissingExtraError | None:
    """The one-line error for an import of an extra's package that failed, else None."""
    top = (exc.name or "").split(".")[0]
    return MissingExtraError(top) if top in EXTRAS else None
