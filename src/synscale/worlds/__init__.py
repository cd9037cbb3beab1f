"""Worlds: real data and class metadata. Importing this package registers every world."""

from synscale.worlds import imagenet, mini  # noqa: F401  (registration)
from synscale.worlds.base import WORLDS, ClassInfo, World

__all__ = ["WORLDS", "ClassInfo", "World", "get_world"]


def get_world(name: str, **options: object) -> World:
    return WORLDS.create(name, **options)
