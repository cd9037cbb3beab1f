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
