"""Execution engines: where the batches of a generation job run. Importing this package registers
``local`` (one process) and ``ray`` (Ray Data batch inference over an actor pool)."""

from synscale.engine import local, ray  # noqa: F401  (registration)
from synscale.engine.base import ENGINES, Engine, make_engine

__all__ = ["ENGINES", "Engine", "make_engine"]
